/** The confirmation before sending to production from a terminal. */
import { PassThrough, Writable } from 'node:stream';
import { ENDPOINTS } from '../../src/config/defaults.js';
import {
  confirmationQuestion,
  confirmProductionSend,
  confirmSend,
  needsConfirmation,
  NOT_CONFIRMED,
  terminalOf,
} from '../../src/cli/confirm.js';

/** A stream posing as a terminal (or not). */
function fakeTty(isTTY = true): PassThrough & { isTTY: boolean } {
  return Object.assign(new PassThrough(), { isTTY });
}

function screen(isTTY = true): Writable & { isTTY: boolean; text(): string } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      written += String(chunk);
      callback();
    },
  });
  return Object.assign(stream, { isTTY, text: () => written });
}

const PRODUCTION = { dryRun: false, yes: false, endpoint: ENDPOINTS.production };
const BOTH = { stdin: true, stderr: true };
const PLAN = { customers: 12345, requests: 124, estimatedMs: 25_000, endpoint: ENDPOINTS.production, environment: 'production' };

describe('needsConfirmation', () => {
  it('asks for a real send to production from a terminal', () => {
    expect(needsConfirmation(PRODUCTION, BOTH)).toBe(true);
  });

  it.each([
    ['--yes', { ...PRODUCTION, yes: true }, BOTH],
    ['--dry-run', { ...PRODUCTION, dryRun: true }, BOTH],
    ['staging', { ...PRODUCTION, endpoint: ENDPOINTS.staging }, BOTH],
    ['a custom endpoint', { ...PRODUCTION, endpoint: 'http://127.0.0.1:8787/api/v3/customers/segments' }, BOTH],
    ['stdin not a terminal (a scheduler, a pipe)', PRODUCTION, { stdin: false, stderr: true }],
    ['stderr not a terminal', PRODUCTION, { stdin: true, stderr: false }],
  ])('does not ask with %s', (_name, config, terminal) => {
    expect(needsConfirmation(config, terminal)).toBe(false);
  });

  it('reads isTTY of the streams', () => {
    expect(terminalOf(fakeTty(true), fakeTty(false))).toEqual({ stdin: true, stderr: false });
    expect(terminalOf(new PassThrough(), undefined)).toEqual({ stdin: false, stderr: false });
  });
});

describe('confirmationQuestion', () => {
  it('shows the numbers of the plan and the target', () => {
    expect(confirmationQuestion(PLAN)).toBe(
      `Send 12,345 customers (124 requests, ~25.0 s) to production (${ENDPOINTS.production})? [y/N] `,
    );
    expect(confirmationQuestion({ ...PLAN, customers: 1, requests: 1, estimatedMs: 0 })).toBe(
      `Send 1 customer (1 request) to production (${ENDPOINTS.production})? [y/N] `,
    );
  });
});

describe('confirmSend', () => {
  it.each(['y\n', 'Y\n', 'yes\n', ' YES \r\n'])('is true for %j, and writes the question to stderr', async (answer) => {
    const stdin = fakeTty();
    const stderr = screen();
    const asked = confirmSend('Send? [y/N] ', { stdin, stderr });
    stdin.write(answer);
    await expect(asked).resolves.toBe(true);
    expect(stderr.text()).toBe('Send? [y/N] ');
  });

  it.each(['\n', 'n\n', 'no\n', 'yep\n', 'y es\n'])('is false for %j (the default is no)', async (answer) => {
    const stdin = fakeTty();
    const asked = confirmSend('Send? ', { stdin, stderr: screen() });
    stdin.write(answer);
    await expect(asked).resolves.toBe(false);
  });

  it('waits for the end of the line, even when it comes in pieces', async () => {
    const stdin = fakeTty();
    let settled = false;
    const asked = confirmSend('Send? ', { stdin, stderr: screen() }).then((v) => ((settled = true), v));
    stdin.write('y');
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    stdin.write('es\n');
    await expect(asked).resolves.toBe(true);
  });

  it('is false at the end of input (Ctrl-D) and on an abort (Ctrl-C), without waiting', async () => {
    const stdin = fakeTty();
    const asked = confirmSend('Send? ', { stdin, stderr: screen() });
    stdin.end();
    await expect(asked).resolves.toBe(false);

    const controller = new AbortController();
    const stderr = screen();
    const aborted = confirmSend('Send? ', { stdin: fakeTty(), stderr, signal: controller.signal });
    controller.abort();
    await expect(aborted).resolves.toBe(false);
    expect(stderr.text()).toBe('Send? \n');

    const already = new AbortController();
    already.abort();
    await expect(confirmSend('Send? ', { stdin: fakeTty(), stderr: screen(), signal: already.signal })).resolves.toBe(false);
  });

  it('leaves stdin paused and without its listeners', async () => {
    const stdin = fakeTty();
    const asked = confirmSend('Send? ', { stdin, stderr: screen() });
    stdin.write('y\n');
    await asked;
    expect(stdin.isPaused()).toBe(true);
    expect(stdin.listenerCount('data')).toBe(0);
    expect(stdin.listenerCount('end')).toBe(0);
  });
});

describe('confirmProductionSend', () => {
  it('goes ahead without a question when none is needed', async () => {
    const stderr = screen();
    await expect(confirmProductionSend({ ...PRODUCTION, yes: true }, PLAN, { stdin: fakeTty(), stderr })).resolves.toBe(true);
    await expect(confirmProductionSend(PRODUCTION, PLAN, { stdin: fakeTty(false), stderr })).resolves.toBe(true);
    expect(stderr.text()).toBe('');
  });

  it('asks on a terminal and follows the answer', async () => {
    const stdin = fakeTty();
    const stderr = screen();
    const asked = confirmProductionSend(PRODUCTION, PLAN, { stdin, stderr });
    stdin.write('n\n');
    await expect(asked).resolves.toBe(false);
    expect(stderr.text()).toContain('Send 12,345 customers (124 requests, ~25.0 s) to production');
  });

  it('a declined run ends rejected with exit 2 and says how to send', () => {
    expect(NOT_CONFIRMED.status).toBe('rejected');
    expect(NOT_CONFIRMED.exitCode).toBe(2);
    expect(NOT_CONFIRMED.message).toContain('not confirmed');
    expect(NOT_CONFIRMED.message).toContain('--yes');
  });
});

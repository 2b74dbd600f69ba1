import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { emulatorCommand, emulatorOptionsFromArgs, readIdLists, serveUntilStopped, type EmulatorArgs } from '../../src/cli/emulator.js';
import { formatProblems } from '../../src/emulator/index.js';
import { UsageError } from '../../src/core/errors.js';
import { customersBody, postBulk } from '../support/emulator.js';

/** Parses flags exactly as the CLI does, without running the handler. */
function parseFlags(argv: string[]): EmulatorArgs {
  const builder = emulatorCommand.builder as (y: Argv) => Argv<EmulatorArgs>;
  return builder(yargs(argv)).parseSync() as EmulatorArgs;
}

/** Runs the command through yargs, as main.ts does, so handler errors surface as rejections. */
function runCommand(argv: string[]): Promise<unknown> {
  return yargs(['emulator', ...argv])
    .command(emulatorCommand)
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseAsync();
}

function problemsOf(argv: string[]): string[] {
  const result = emulatorOptionsFromArgs(parseFlags(argv));
  return result.ok ? [] : result.error.map((problem) => formatProblems([problem]));
}

describe('emulator command: flags to options', () => {
  it('defaults to port 8787, token dev-token, every customer known and no faults', () => {
    const result = emulatorOptionsFromArgs(parseFlags([]));
    expect(result).toMatchObject({
      ok: true,
      value: {
        host: '127.0.0.1',
        port: 8787,
        tokens: ['dev-token'],
        known: 'all',
        faults: { errorRate: 0, rateLimit: 0, resetRate: 0 },
      },
    });
  });

  it('maps each flag to its option, with repeated --token accepted as several tokens', () => {
    const args = parseFlags([
      '--token',
      'a',
      '--token',
      'b',
      '--port',
      '0',
      '--rate-limit',
      '5',
      '--retry-after-format',
      'http-date',
      '--error-rate',
      '0.2',
      '--reset-rate',
      '0.05',
      '--slow-rate',
      '0.1',
      '--slow-ms',
      '3000',
      '--drip-rate',
      '0.1',
      '--malformed-rate',
      '0.1',
      '--seed',
      '9',
      '--max-body-bytes',
      '1000',
    ]);
    const result = emulatorOptionsFromArgs(args, { known: ['k1'], rejectIds: ['r1'] });
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        port: 0,
        tokens: ['a', 'b'],
        known: ['k1'],
        seed: 9,
        maxBodyBytes: 1000,
        faults: expect.objectContaining({
          rateLimit: 5,
          retryAfter: 'http-date',
          errorRate: 0.2,
          resetRate: 0.05,
          slowRate: 0.1,
          slowMs: 3000,
          dripRate: 0.1,
          malformedRate: 0.1,
          rejectIds: ['r1'],
        }),
      }),
    });
  });

  it('names the flag and the bad value of every invalid option', () => {
    const argv = ['--error-rate', '1.5', '--port', 'abc', '--retry-after-format', 'minutes', '--slow-ms', '-5'];
    expect(problemsOf(argv)).toEqual([
      "--port must be a port number between 0 and 65535 (got 'abc')",
      "--retry-after-format must be one of 'seconds', 'http-date' (got 'minutes')",
      '--error-rate must be a number between 0 and 1 (got 1.5)',
      '--slow-ms must be a whole number ≥ 0 (got -5)',
    ]);
  });

  it('refuses --known together with --known-all', () => {
    expect(problemsOf(['--known', 'ids.txt', '--known-all'])).toEqual([
      "--known must be left out when --known-all is given (got 'ids.txt')",
    ]);
  });
});

describe('emulator command: running', () => {
  it('throws a UsageError naming the flag before listening when a value is invalid', async () => {
    await expect(runCommand(['--port', '0', '--reset-rate', '2'])).rejects.toThrow(UsageError);
    await expect(runCommand(['--port', '0', '--reset-rate', '2'])).rejects.toThrow(/--reset-rate .*\(got 2\)/);
  });

  it('throws a UsageError naming --known when its file cannot be read', async () => {
    const missing = path.join(tmpdir(), 'no-such-dir', 'ids.txt');
    await expect(runCommand(['--port', '0', '--known', missing])).rejects.toThrow(/--known .*no-such-dir.*ENOENT/);
  });

  it('reads the --known and --reject-ids files, one id a line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'emulator-command-'));
    await writeFile(path.join(dir, 'known.txt'), 'k1\r\nk2\n\n');
    await writeFile(path.join(dir, 'reject.txt'), 'r1\n');
    const args = parseFlags(['--known', path.join(dir, 'known.txt'), '--reject-ids', path.join(dir, 'reject.txt')]);
    expect(await readIdLists(args)).toEqual({ known: ['k1', 'k2'], rejectIds: ['r1'] });
  });

  it('prints its URL, serves with the known ids, and closes when stopped', async () => {
    const options = emulatorOptionsFromArgs(parseFlags(['--port', '0']), { known: ['k1', 'k2'] });
    if (!options.ok) throw new Error('options should be valid');
    const stop = new AbortController();
    const lines: string[] = [];
    let printed: () => void = () => undefined;
    const urlPrinted = new Promise<void>((resolve) => (printed = resolve));
    const serving = serveUntilStopped(options.value, stop.signal, (line) => {
      lines.push(line);
      printed();
    });
    await urlPrinted;
    const url = /(http:\/\/\S+)/.exec(lines[0] ?? '')?.[1] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/customers\/segments$/);
    const answer = await postBulk(url, customersBody(['k1', []], ['zz', []]));
    expect(JSON.parse(answer.text)).toEqual({ updatedCustomers: ['k1'] });
    stop.abort();
    await serving;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(lines).toHaveLength(1);
  });
});

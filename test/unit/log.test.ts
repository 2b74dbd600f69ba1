import { Writable } from 'node:stream';
import { scrub, type LogOptions, type Logger } from '../../src/core/log.js';
import { createLogger } from '../../src/core/logger.js';

const RUN_ID = '6f1c2d3e-0000-4000-8000-000000000001';
const TOKEN = 'tok_live_9f8e7d6c5b4a';

/** A stream that keeps what is written, optionally posing as a terminal. */
function sink(isTTY = false): Writable & { text(): string; isTTY?: boolean } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      written += String(chunk);
      callback();
    },
  });
  return Object.assign(stream, { isTTY, text: () => written });
}

/** Logs through a fresh logger and returns every line it wrote, once the logger has finished. */
async function logLines(options: Partial<LogOptions>, write: (log: Logger) => void, isTTY = false): Promise<string[]> {
  const stream = sink(isTTY);
  const log = createLogger({ level: 'debug', format: 'json', runId: RUN_ID, secrets: () => [], ...options, stream });
  write(log);
  await new Promise<void>((resolve) => {
    log.on('finish', resolve);
    log.end();
  });
  return stream
    .text()
    .split('\n')
    .filter((line) => line !== '');
}

describe('createLogger, JSON lines', () => {
  it('writes one JSON object per line with level, message, fields, timestamp and the run id', async () => {
    const lines = await logLines({}, (log) => {
      log.info('validating input', { files: ['a.csv', 'b.csv'] });
      log.warn('slow answer', { ms: 1200 });
      log.error('request failed');
      log.debug('retry', { attempt: 2 });
    });
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((e) => [e.level, e.message])).toEqual([
      ['info', 'validating input'],
      ['warn', 'slow answer'],
      ['error', 'request failed'],
      ['debug', 'retry'],
    ]);
    for (const entry of entries) {
      expect(entry.runId).toBe(RUN_ID);
      expect(new Date(String(entry.timestamp)).toISOString()).toBe(entry.timestamp);
    }
    expect(entries[0]!.files).toEqual(['a.csv', 'b.csv']);
    expect(entries[1]!.ms).toBe(1200);
  });

  it('drops lines below the level', async () => {
    const lines = await logLines({ level: 'warn' }, (log) => {
      log.debug('hidden');
      log.info('hidden too');
      log.warn('shown');
    });
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['shown']);
  });

  it('writes JSON in auto format when the stream is not a terminal', async () => {
    const [line] = await logLines({ format: 'auto' }, (log) => log.info('hello'));
    expect(JSON.parse(line!)).toMatchObject({ message: 'hello', runId: RUN_ID });
  });
});

describe('createLogger, readable lines', () => {
  it('writes time, level, message and fields on one line in text format', async () => {
    const [line] = await logLines({ format: 'text' }, (log) =>
      log.info('progress', { sent: 200, phase: 'sending', counts: { failed: 0 } }),
    );
    expect(line).toMatch(/^\d\d:\d\d:\d\d info {2}progress {2}sent=200 phase=sending counts=\{"failed":0\}$/);
  });

  it('writes readable lines in auto format on a terminal', async () => {
    const [line] = await logLines({ format: 'auto' }, (log) => log.warn('careful'), true);
    expect(line).toMatch(/^\d\d:\d\d:\d\d warn {2}careful$/);
  });
});

describe('scrub', () => {
  it('replaces a secret in a string, however often it occurs', () => {
    expect(scrub(`Bearer ${TOKEN} and again ${TOKEN}`, [TOKEN])).toBe('Bearer [REDACTED] and again [REDACTED]');
  });

  it('replaces secrets in nested objects and arrays, and leaves other values alone', () => {
    const meta = {
      request: { headers: { authorization: `Bearer ${TOKEN}` }, attempts: 3, ok: false, none: null },
      echoes: [TOKEN, 'fine'],
    };
    expect(scrub(meta, [TOKEN])).toEqual({
      request: { headers: { authorization: 'Bearer [REDACTED]' }, attempts: 3, ok: false, none: null },
      echoes: ['[REDACTED]', 'fine'],
    });
  });

  it('does not change the value it is given', () => {
    const meta = { header: `Bearer ${TOKEN}` };
    scrub(meta, [TOKEN]);
    expect(meta.header).toBe(`Bearer ${TOKEN}`);
  });

  it('replaces a secret used as a key', () => {
    expect(JSON.stringify(scrub({ [TOKEN]: 1 }, [TOKEN]))).not.toContain(TOKEN);
  });

  it('never passes a deeply nested secret through', () => {
    let deep: unknown = { token: TOKEN };
    for (let i = 0; i < 20; i++) deep = { level: i, inner: deep };
    expect(JSON.stringify(scrub(deep, [TOKEN]))).not.toContain(TOKEN);
  });

  it('leaves nothing of a longer token that contains a shorter one', () => {
    const old = 'abc123';
    const rotated = 'abc123-rotated-xyz';
    expect(scrub(`first ${rotated} then ${old}`, [old, rotated])).toBe('first [REDACTED] then [REDACTED]');
  });

  it('ignores empty secrets', () => {
    expect(scrub('nothing secret here', [''])).toBe('nothing secret here');
  });
});

describe('createLogger redaction', () => {
  const leaky = (log: Logger): void => {
    log.info(`sending with ${TOKEN}`, { request: { headers: { Authorization: `Bearer ${TOKEN}` } }, tokens: [TOKEN] });
    log.error('auth failed', { error: { message: `401 for token ${TOKEN}`, config: { headers: { Authorization: `Bearer ${TOKEN}` } } } });
  };

  it.each(['json', 'text'] as const)('removes the token from message and nested fields in %s format', async (format) => {
    const lines = await logLines({ format, secrets: () => [TOKEN] }, leaky);
    expect(lines).toHaveLength(2);
    const output = lines.join('\n');
    expect(output).not.toContain(TOKEN);
    expect(output).toContain('sending with [REDACTED]');
    expect(output).toContain('Bearer [REDACTED]');
  });

  it('keeps the redacted JSON lines parseable with the run id', async () => {
    const lines = await logLines({ secrets: () => [TOKEN] }, leaky);
    const first = JSON.parse(lines[0]!);
    expect(first.runId).toBe(RUN_ID);
    expect(first.request.headers.Authorization).toBe('Bearer [REDACTED]');
  });

  it('redacts a token rotated after the logger was created', async () => {
    const secrets = [TOKEN];
    const rotated = 'tok_live_rotated_000111';
    const lines = await logLines({ secrets: () => secrets }, (log) => {
      secrets.push(rotated);
      log.warn('token file re-read', { header: `Bearer ${rotated}`, previous: TOKEN });
    });
    expect(lines.join('\n')).not.toContain(rotated);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('does not change the fields the caller passed', async () => {
    const meta = { header: `Bearer ${TOKEN}` };
    await logLines({ secrets: () => [TOKEN] }, (log) => log.info('x', meta));
    expect(meta.header).toBe(`Bearer ${TOKEN}`);
  });
});

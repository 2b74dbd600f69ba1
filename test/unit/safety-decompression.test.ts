/** Caps on what one input file may decompress to: --max-input-bytes and the bomb ratio guard. */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors.js';
import { openByteSource, type ByteLimits } from '../../src/pipeline/input/source.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safety-decompression-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A .gz of 1 KiB `document_id,tier` rows whose cells are long runs of one letter: it compresses ~450×. */
async function bomb(file: string, decodedBytes: number): Promise<void> {
  const row = `0,${'a'.repeat(1022)}\n`; // 1 KiB
  const chunk = Buffer.from(row.repeat(1024)); // 1 MiB
  const chunks = Math.ceil(decodedBytes / chunk.length);
  async function* source() {
    yield Buffer.from('document_id,tier\n');
    for (let i = 0; i < chunks; i++) yield chunk;
  }
  await pipeline(Readable.from(source()), createGzip({ level: 9 }), createWriteStream(file));
}

async function drain(file: string, limits: ByteLimits): Promise<number> {
  const source = await openByteSource(file, path.basename(file), limits);
  let bytes = 0;
  for await (const chunk of source.chunks) bytes += chunk.length;
  return bytes;
}

const caught = async (promise: Promise<unknown>): Promise<InputError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
};

describe('decompression bombs', () => {
  it('refuses a .gz that expands far beyond its size once the threshold is decoded, reading little of it', async () => {
    const file = path.join(dir, 'bomb.csv.gz');
    await bomb(file, 64 * 1024 ** 2);
    const error = await caught(drain(file, { maxInputBytes: 16 * 1024 ** 3, maxCompressionRatio: 200, ratioAfterBytes: 4 * 1024 ** 2 }));
    expect(error.code).toBe('LIKELY_DECOMPRESSION_BOMB');
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(
      /^bomb\.csv\.gz: refused as a likely decompression bomb: \d+ KiB of gzip expanded to more than [\d.]+ MiB \(over 200× its size, --max-compression-ratio\); nothing was sent\./,
    );
    // Stopped long before the end (64 MiB): the compressed side reads ahead, so it trips at ~200× the bytes read so far.
    expect(Number(/more than ([\d.]+) MiB/.exec(error.message)![1])).toBeLessThan(40);
    expect(error.message).toMatch(/decompress it yourself \(gunzip -k\) and pass the uncompressed file/);
  });

  it('reads an ordinary .gz through, and a bomb too when the ratio check is off (0)', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `${1000000 + i},tier-${i % 7},region-${(i * 31) % 101}\n`).join('');
    const text = `document_id,tier,region\n${rows}`;
    const file = path.join(dir, 'ok.csv.gz');
    writeFileSync(file, gzipSync(text, { level: 9 }));
    expect(await drain(file, { maxInputBytes: 1 << 30, maxCompressionRatio: 200, ratioAfterBytes: 64 * 1024 })).toBe(
      Buffer.byteLength(text),
    );

    const bombFile = path.join(dir, 'bomb.csv.gz');
    await bomb(bombFile, 8 * 1024 ** 2);
    expect(await drain(bombFile, { maxInputBytes: 1 << 30, maxCompressionRatio: 0, ratioAfterBytes: 1024 })).toBeGreaterThan(8 * 1024 ** 2);
  });
});

describe('--max-input-bytes', () => {
  it('refuses a .gz that decompresses to more than the cap', async () => {
    const file = path.join(dir, 'big.csv.gz');
    await bomb(file, 3 * 1024 ** 2);
    const error = await caught(drain(file, { maxInputBytes: 2 * 1024 ** 2, maxCompressionRatio: 0, ratioAfterBytes: 0 }));
    expect(error.code).toBe('INPUT_TOO_LARGE');
    expect(error.message).toBe(
      'big.csv.gz: decompresses to more than 2 MiB (--max-input-bytes 2097152); nothing was sent. Split the file, or raise --max-input-bytes if it really is this large.',
    );
  });

  it('applies to a plain file too, and lets through one exactly at the cap', async () => {
    const file = path.join(dir, 'plain.csv');
    writeFileSync(file, 'document_id\n1\n2\n'); // 16 bytes
    expect(await drain(file, { maxInputBytes: 16, maxCompressionRatio: 200, ratioAfterBytes: 0 })).toBe(16);
    const error = await caught(drain(file, { maxInputBytes: 15, maxCompressionRatio: 200, ratioAfterBytes: 0 }));
    expect(error.message).toMatch(/^plain\.csv: holds more than 15 bytes \(--max-input-bytes 15\)/);
  });
});

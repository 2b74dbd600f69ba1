import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChunkedOutput } from '../../src/pipeline/report/chunked-output.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'chunked-output-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ChunkedOutput', () => {
  it('writes strings, bytes and decimals in the order appended, across many chunks and reused buffers', async () => {
    const target = path.join(dir, 'out.csv');
    const output = ChunkedOutput.create(target);
    const numbers = [0, 1, 9, 10, 99, 100, 999, 1000, 123_456_789, 999_999_999, 1_000_000_000, 2 ** 32 - 1];
    const bytes = Buffer.from('<é😀-bytes>', 'utf8');
    let expected = '';
    for (let i = 0; i < 30_000; i++) {
      const n = numbers[i % numbers.length] as number;
      await output.appendDecimal(n);
      await output.appendBytes(bytes, 1, bytes.length - 1);
      await output.append(`,日本 ${i}\n`);
      expected += `${n}${bytes.subarray(1, bytes.length - 1).toString('utf8')},日本 ${i}\n`;
    }
    // Larger than a chunk, both ways: written as their own chunks, still in order.
    const big = 'x'.repeat(200_000);
    void output.append(big);
    const bigBytes = Buffer.from('y'.repeat(100_000));
    void output.appendBytes(bigBytes, 0, bigBytes.length);
    expected += big + bigBytes.toString();
    await output.commit();
    expect(readFileSync(target, 'utf8')).toBe(expected);
  });

  it('refuses a number that is not a whole number below 2^32', () => {
    const output = ChunkedOutput.create(path.join(dir, 'out.csv'));
    expect(() => output.appendDecimal(-1)).toThrow(RangeError);
    expect(() => output.appendDecimal(1.5)).toThrow(RangeError);
    expect(() => output.appendDecimal(2 ** 32)).toThrow(RangeError);
    return output.abort();
  });
});

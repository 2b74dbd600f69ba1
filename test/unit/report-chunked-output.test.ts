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
  it('writes strings and reserved byte pieces in the order given, across many chunks and reused buffers', async () => {
    const target = path.join(dir, 'out.csv');
    const output = ChunkedOutput.create(target);
    const bytes = Buffer.from('<é😀-bytes>', 'utf8');
    let expected = '';
    for (let i = 0; i < 30_000; i++) {
      await output.reserve(bytes.length);
      output.put(bytes, 1, bytes.length - 1);
      await output.append(`,日本 ${i}\n`);
      expected += `${bytes.subarray(1, bytes.length - 1).toString('utf8')},日本 ${i}\n`;
    }
    // Larger than a chunk: written as its own chunk, still in order.
    const big = 'x'.repeat(200_000);
    void output.append(big);
    expected += big;
    await output.commit();
    expect(readFileSync(target, 'utf8')).toBe(expected);
  });

  it('refuses to reserve more than a chunk, and to put more than was reserved', async () => {
    const output = ChunkedOutput.create(path.join(dir, 'out.csv'));
    expect(() => output.reserve(output.reservable + 1)).toThrow(RangeError);
    const almostFull = Buffer.alloc(output.reservable - 2, 0x78);
    await output.reserve(almostFull.length);
    output.put(almostFull, 0, almostFull.length);
    expect(() => output.put(Buffer.from('abc'), 0, 3)).toThrow(RangeError);
    await output.abort();
  });
});

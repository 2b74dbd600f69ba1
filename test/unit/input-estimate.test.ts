import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { estimateRecords } from '../../src/pipeline/input/estimate.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'estimate-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<{ path: string; display: string }> {
  const p = path.join(dir, name);
  await fs.writeFile(p, content);
  return { path: p, display: name };
}

describe('estimateRecords', () => {
  it('estimates a large file from the line density of its start, within a few percent', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `id-${i},gold,north`).join('\n');
    const estimate = await estimateRecords([await file('a.csv', `document_id,tier,region\n${lines}\n`)]);
    expect(estimate).toBeGreaterThan(47_000);
    expect(estimate).toBeLessThan(53_000);
  });

  it('adds up several files and counts an empty one as nothing', async () => {
    const a = await file('a.csv', 'document_id,tier\n1,a\n2,b\n');
    const empty = await file('empty.csv', '');
    expect(await estimateRecords([a, empty, a])).toBe(6);
  });

  it('gives a gzip file a positive guess from its size', async () => {
    const gz = await file('a.csv.gz', gzipSync(Buffer.from('document_id,tier\n1,a\n'.repeat(1000))));
    expect(await estimateRecords([gz])).toBeGreaterThan(0);
  });
});

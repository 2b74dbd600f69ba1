import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildBodies, postAll, streamBodies } from '../../tools/bench/axios-baseline.js';
import { writeWideFile } from '../../tools/bench/generate.js';
import { batchCustomers, requestBody } from '../../src/pipeline/batch/index.js';
import { Classifier, IdIndex } from '../../src/pipeline/dedupe/index.js';
import { readInputs } from '../../src/pipeline/input/index.js';
import { CustomerSpool } from '../../src/pipeline/spool/index.js';
import { withEmulator } from '../support/emulator.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-baseline-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * The bodies the CLI itself would send for `file`, built by its own stages: pass 1 classifies the
 * rows and spools the customers, pass 2 batches the spool.
 */
async function cliBodies(file: string, batchSize: number): Promise<string[]> {
  const options = { idColumn: 'document_id', skipEmpty: false, maxRecordBytes: 1 << 20, maxFields: 1000, tmpDir: dir };
  const index = new IdIndex({ dir });
  const spool = new CustomerSpool({ dir });
  try {
    const classifier = new Classifier({ ids: index });
    for await (const chunk of readInputs([{ path: file, display: file }], options)) {
      for (const row of classifier.classify(chunk)) if (row.kind === 'customer') spool.addCustomer(row.ordinal, row.id, row.segments);
    }
    spool.finish();
    const bodies: string[] = [];
    for await (const batch of batchCustomers(spool.customers(), { maxCustomers: batchSize, maxBytes: 1 << 20 }))
      bodies.push(requestBody(batch.customers));
    return bodies;
  } finally {
    spool.finish();
    index.close();
  }
}

describe('buildBodies', () => {
  it('builds byte for byte the bodies the CLI sends for a generated file', async () => {
    const file = path.join(dir, 'wide.csv');
    await writeWideFile(file, { rows: 3_000, duplicateShare: 0.05, seed: 11 });
    expect(await buildBodies(file, 100)).toEqual(await cliBodies(file, 100));
  });

  it('keeps the first occurrence of an id, trims cells and sends a blank row as no segments', async () => {
    const file = path.join(dir, 'small.csv');
    await writeFile(file, '\uFEFFdocument_id, tier ,region\n a ,gold,\nb,,\na,silver,north\n');
    const [body] = await buildBodies(file, 10);
    expect(JSON.parse(body!)).toEqual({
      customers: [
        { document_id: 'a', segments: [{ type: 'tier', value: 'gold' }] },
        { document_id: 'b', segments: [] },
      ],
    });
  });
});

describe('streamBodies', () => {
  it('yields the bodies buildBodies returns, one at a time, and counts the customers put in them', async () => {
    const file = path.join(dir, 'wide.csv');
    const facts = await writeWideFile(file, { rows: 2_500, duplicateShare: 0.05, seed: 13 });
    const tally = { customers: 0 };
    const streamed: string[] = [];
    for await (const body of streamBodies(file, 100, tally)) streamed.push(body);
    expect(streamed).toEqual(await buildBodies(file, 100));
    expect(tally.customers).toBe(facts.customers);
  });

  it('fails on an unreadable file instead of ending quietly', async () => {
    const stream = streamBodies(path.join(dir, 'missing.csv'), 10);
    await expect(stream.next()).rejects.toThrow(/ENOENT/);
  });
});

describe('postAll', () => {
  it('posts a stream of bodies (the baseline process) exactly once each, with requests in flight', async () => {
    const file = path.join(dir, 'wide.csv');
    const facts = await writeWideFile(file, { rows: 3_000, duplicateShare: 0.05, seed: 17 });
    const expected = await buildBodies(file, 50);
    await withEmulator({ tokens: ['bench'] }, async (emulator) => {
      const posted = await postAll(emulator.url, 'bench', streamBodies(file, 50), 8);
      expect(posted.updated).toBe(facts.customers);
      expect(emulator.state().requests.total).toBe(expected.length);
      expect(Object.keys(emulator.state().customers)).toHaveLength(facts.customers);
    });
  });

  it('posts every body and adds up the customers the endpoint updated', async () => {
    const file = path.join(dir, 'wide.csv');
    const facts = await writeWideFile(file, { rows: 500, duplicateShare: 0.05, seed: 5 });
    const bodies = await buildBodies(file, 7);
    await withEmulator({ tokens: ['bench'] }, async (emulator) => {
      const posted = await postAll(emulator.url, 'bench', bodies, 4);
      expect(posted.updated).toBe(facts.customers);
      expect(emulator.state().requests.total).toBe(bodies.length);
    });
  });

  it('fails with the status only, never the axios error that carries the token', async () => {
    await withEmulator({ tokens: ['other'] }, async (emulator) => {
      const failure = postAll(emulator.url, 'secret-bench-token', ['{"customers":[]}'], 1);
      await expect(failure).rejects.toThrow('baseline POST failed: HTTP 401');
      await expect(failure).rejects.not.toThrow(/secret-bench-token/);
    });
  });
});

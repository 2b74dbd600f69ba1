/**
 * A 200 whose updatedCustomers lists 125,000 ids that were never sent: the run does not crash
 * (it used to overflow the stack in Sender.acknowledge, exit 70, no report), every customer sent
 * is reconciled exactly, and the log carries a count and a small sample, never the whole list.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines, spawnCli, stopChildren } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { syncArgs } from '../support/faults/scenario.js';
import { readReport } from '../support/report.js';
import { uniqueToken } from '../support/secrets.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const data = generateDataset({ customers: 300 });
const GHOSTS = Array.from({ length: 125_000 }, (_, i) => `ghost-${String(i).padStart(7, '0')}`);
let ws: Workspace;
let server: http.Server | undefined;

afterEach(async () => {
  await stopChildren();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  }
  await ws.remove();
});

test('125,000 unexpected ids in each answer: no crash, exact outcomes for the ids sent, a capped sample in the log', async () => {
  ws = await makeWorkspace(data.csv);
  const known = new Set(data.known);
  let requests = 0;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests++;
      const { customers } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { customers: { document_id: string }[] };
      const updated = customers.map((c) => c.document_id).filter((id) => known.has(id));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ updatedCustomers: [...GHOSTS, ...updated] }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/customers/segments`;
  const run = await spawnCli(syncArgs(ws, { endpoint, batchSize: 100, concurrency: 2 }), {
    cwd: ws.root,
    env: { TMPDIR: ws.tmpDir, SEGMENT_SYNC_TOKEN: uniqueToken('ghosts') },
  }).done;

  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.Ok });
  const { summary, results } = readReport(ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { customers: data.customers.length, failed: 0 } });
  const byId = new Map(results.filter((r) => r.status !== 'duplicate' && r.status !== 'invalid').map((r) => [r.document_id, r.status]));
  for (const id of data.customers) expect(byId.get(id)).toBe(known.has(id) ? 'updated' : 'not_found');
  expect(requests).toBe(Math.ceil(data.customers.length / 100));

  const lines = logLines(run.stdout);
  const events = lines.filter((l) => l.message === 'send: unexpectedIds');
  expect(events).toHaveLength(requests);
  for (const event of events) {
    expect(event.count).toBe(125_000);
    expect((event.ids as string[]).length).toBeLessThanOrEqual(20);
  }
  const warned = lines.filter((l) => l.message === 'endpoint reported ids that were not sent');
  expect(warned.length).toBeGreaterThan(0);
  for (const line of warned) expect(line).toMatchObject({ count: 125_000, sample: expect.any(Array) });
  // No line carries the list: the biggest is a few KiB.
  expect(Math.max(...run.stdout.split('\n').map((l) => l.length))).toBeLessThan(16 * 1024);
}, 60_000);

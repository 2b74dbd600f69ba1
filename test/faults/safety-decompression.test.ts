/**
 * A decompression bomb and an oversized input are refused while validating: exit 3, nothing sent,
 * and quickly (the bomb is stopped after its first few hundred MiB, never read to its end). The
 * .gz is generated here, streaming: 512 MiB of 1 KiB rows that gzip ~450× (to ~1.1 MiB).
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ExitCode } from '../../src/core/exit-codes.js';
import { runCli } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, syncArgs } from '../support/faults/scenario.js';
import { readSummary } from '../support/report.js';

afterEach(closeScenarios);

async function writeBomb(file: string, decodedMiB: number): Promise<void> {
  const chunk = Buffer.from(`0,${'a'.repeat(1022)}\n`.repeat(1024)); // 1 MiB of 1 KiB rows
  async function* source() {
    yield Buffer.from('document_id,tier\n');
    for (let i = 0; i < decodedMiB; i++) yield chunk;
  }
  await pipeline(Readable.from(source()), createGzip({ level: 9 }), createWriteStream(file));
}

test('a .gz expanding ~450× is refused as a likely bomb with the defaults: exit 3, nothing sent, says how to get past it', async () => {
  const sc = await openScenario(generateDataset({ customers: 10 }));
  const bomb = path.join(sc.ws.root, 'bomb.csv.gz');
  await writeBomb(bomb, 512);
  const started = Date.now();
  const args = syncArgs(sc.ws, { endpoint: sc.emulator.url });
  const run = await runCli([...args.slice(0, -1), bomb], { cwd: sc.ws.root, env: { TMPDIR: sc.ws.tmpDir, SEGMENT_SYNC_TOKEN: sc.token } });

  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.InputRejected });
  const summary = readSummary(sc.ws.report);
  expect(summary).toMatchObject({ status: 'rejected', exitCode: ExitCode.InputRejected });
  expect(summary.message).toMatch(/bomb\.csv\.gz: refused as a likely decompression bomb/);
  expect(summary.message).toMatch(/decompress it yourself \(gunzip -k\) and pass the uncompressed file, or raise --max-compression-ratio/);
  expect(sc.emulator.state().requests.total).toBe(0);
  // Stopped early, not after reading 512 MiB.
  expect(Date.now() - started).toBeLessThan(30_000);
}, 60_000);

test('--max-input-bytes: a file larger than the cap is rejected, exit 3, nothing sent', async () => {
  const data = generateDataset({ customers: 200 });
  const sc = await openScenario(data);
  const run = await sc.run({ extra: ['--max-input-bytes', '1000'] });

  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.InputRejected });
  const summary = readSummary(sc.ws.report);
  expect(summary).toMatchObject({ status: 'rejected', exitCode: ExitCode.InputRejected, options: { maxInputBytes: 1000 } });
  expect(summary.message).toMatch(/customers\.csv: holds more than 1000 bytes \(--max-input-bytes 1000\)/);
  expect(sc.emulator.state().requests.total).toBe(0);

  // The default lets it through.
  const again = await sc.run();
  expect(again.code).toBe(ExitCode.Ok);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
});

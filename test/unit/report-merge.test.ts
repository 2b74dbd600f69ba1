import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import yargs from 'yargs';
import { reportMergeCommand } from '../../src/cli/report-merge.js';
import { UsageError } from '../../src/core/errors.js';
import { mergeReports, ResultsWriter, RetryWriter, writeSummary, type ResultRow, type Summary } from '../../src/pipeline/report/index.js';
import type { RunStatus } from '../../src/core/types.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'report-merge-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const INPUTS = [
  { path: 'day-1.csv', sha256: '1'.repeat(64), rows: 40 },
  { path: '-day-2.csv', sha256: '2'.repeat(64), rows: 35 },
];
const SHARDS = 3;

/** Every row of a two-file run; row i belongs to shard i mod 3 (as a hash of its id would decide). */
function allRows(): ResultRow[] {
  const rows: ResultRow[] = [];
  INPUTS.forEach((input, file) => {
    for (let i = 0; i < input.rows; i++) {
      const status = (['updated', 'not_found', 'failed', 'duplicate', 'invalid'] as const)[(i * 7 + file) % 5]!;
      rows.push({
        file,
        line: i + 2,
        id: `${i % 3 === 0 ? '=' : ''}id-${file},${i}`,
        status,
        detail: status === 'failed' ? 'HTTP 503 "busy"' : '',
      });
    }
  });
  return rows;
}

/** What a spreadsheet-safe cell looks like, written independently of the code under test. */
const excelSafe = (cell: string): string => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

const shardOf = (row: ResultRow): number => (row.line + row.file) % SHARDS;

function countsOf(rows: ResultRow[]): Summary['counts'] {
  const n = (status: ResultRow['status']) => rows.filter((r) => r.status === status).length;
  const [updated, notFound, failed] = [n('updated'), n('not_found'), n('failed')];
  return {
    rows: rows.length,
    invalid: n('invalid'),
    duplicates: n('duplicate'),
    customers: updated + notFound + failed,
    updated,
    notFound,
    failed,
  };
}

async function writeShard(index: number, status: RunStatus, over: Partial<Summary> = {}): Promise<string> {
  const dir = path.join(root, `shard-${index}`);
  const rows = allRows().filter((row) => shardOf(row) === index);
  const results = ResultsWriter.open(
    dir,
    INPUTS.map((i) => i.path),
  );
  const retry = RetryWriter.open(dir, { layout: 'json', idColumn: 'document_id', segmentTypes: [] });
  for (const row of rows) {
    await results.write(row);
    if (row.status === 'failed') retry.add({ document_id: row.id, segments: [{ type: 'tier', value: `v${row.line}` }] });
  }
  await results.commit();
  await retry.commit();
  await writeSummary(dir, {
    status,
    dryRun: false,
    counts: countsOf(rows),
    requests: { byStatus: { '200': 10 + index, '503': index }, total: 10 + 2 * index, retries: index },
    startedAt: `2026-01-02T03:00:0${index}.000Z`,
    finishedAt: `2026-01-02T03:0${5 - index}:00.000Z`,
    durationMs: 1000,
    inputs: INPUTS,
    options: { batchSize: 100 },
    runId: `run-${index}`,
    exitCode: status === 'succeeded' ? 0 : status === 'interrupted' ? 143 : 1,
    shard: { index, count: SHARDS },
    ...over,
  });
  return dir;
}

const writeShards = (statuses: RunStatus[]): Promise<string[]> => Promise.all(statuses.map((status, i) => writeShard(i, status)));

describe('mergeReports', () => {
  test('merges results.csv of 3 shards back into input order (file, then line)', async () => {
    const dirs = await writeShards(['succeeded', 'partial', 'succeeded']);
    const out = path.join(root, 'merged');
    await mergeReports(dirs, out);
    const records = parse(readFileSync(path.join(out, 'results.csv'), 'utf8')) as string[][];
    expect(records[0]).toEqual(['line', 'document_id', 'status', 'detail', 'file']);
    // Cells come back exactly as the shards wrote them: neutralised once, not twice.
    const expected = allRows().map((r) => [String(r.line), excelSafe(r.id), r.status, r.detail, excelSafe(INPUTS[r.file]!.path)]);
    expect(records.slice(1)).toEqual(expected);
  });

  test('sums counts and requests, takes the worst status and the full time span', async () => {
    const dirs = await writeShards(['succeeded', 'partial', 'interrupted']);
    const merged = (await mergeReports(dirs, path.join(root, 'merged'))) as Summary;
    expect(merged.counts).toEqual(countsOf(allRows()));
    expect(merged.requests).toEqual({ byStatus: { '200': 33, '503': 3 }, total: 36, retries: 3 });
    expect(merged.status).toBe('interrupted');
    expect(merged.exitCode).toBe(143);
    expect(merged.startedAt).toBe('2026-01-02T03:00:00.000Z');
    expect(merged.finishedAt).toBe('2026-01-02T03:05:00.000Z');
    expect(merged.durationMs).toBe(300_000);
    expect(merged.inputs).toEqual(INPUTS);
    expect(merged.shard).toBeUndefined();
    const written = JSON.parse(readFileSync(path.join(root, 'merged', 'summary.json'), 'utf8')) as Summary;
    expect(written.counts).toEqual(merged.counts);
  });

  test('concatenates the retry files under one header, so they resend every failed customer', async () => {
    const dirs = await writeShards(['partial', 'partial', 'partial']);
    await mergeReports(dirs, path.join(root, 'merged'));
    const records = parse(readFileSync(path.join(root, 'merged', 'retry.csv'), 'utf8')) as string[][];
    expect(records[0]).toEqual(['document_id', 'segments']);
    const failedIds = allRows()
      .filter((r) => r.status === 'failed')
      .map((r) => r.id);
    expect(
      records
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(failedIds.sort());
    expect(records.filter((r) => r[0] === 'document_id')).toHaveLength(1);
  });

  test('writes no retry.csv when no shard had failures', async () => {
    const dirs = await writeShards(['succeeded', 'succeeded']);
    for (const dir of dirs) rmSync(path.join(dir, 'retry.csv'), { force: true });
    await mergeReports(dirs, path.join(root, 'merged'));
    expect(readdirSync(path.join(root, 'merged')).sort()).toEqual(['results.csv', 'summary.json']);
  });

  test('rejects shards made from different inputs, naming the directory, and writes nothing', async () => {
    const dirs = await writeShards(['succeeded', 'succeeded']);
    const other = await writeShard(2, 'succeeded', { inputs: [INPUTS[0]!, { ...INPUTS[1]!, sha256: 'f'.repeat(64) }] });
    const out = path.join(root, 'merged');
    const result = mergeReports([...dirs, other], out);
    await expect(result).rejects.toBeInstanceOf(UsageError);
    await expect(result).rejects.toThrow(other);
    expect(existsSync(out)).toBe(false);
  });

  test('rejects a directory without summary.json, and one that does not exist', async () => {
    const [dir] = await writeShards(['succeeded']);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    await expect(mergeReports([dir!, empty], path.join(root, 'm1'))).rejects.toThrow(/empty has no readable summary\.json/);
    await expect(mergeReports([dir!, path.join(root, 'nope')], path.join(root, 'm2'))).rejects.toThrow(/nope is not a directory/);
  });

  test('rejects the same shard twice instead of counting its rows twice', async () => {
    const [dir] = await writeShards(['succeeded']);
    await expect(mergeReports([dir!, `${dir}/`], path.join(root, 'merged'))).rejects.toBeInstanceOf(UsageError);
  });

  test('rejects shard reports whose rows overlap, leaving no merged files behind', async () => {
    const dirs = await writeShards(['succeeded', 'succeeded']);
    const copy = path.join(root, 'copy');
    mkdirSync(copy);
    writeFileSync(path.join(copy, 'results.csv'), readFileSync(path.join(dirs[0]!, 'results.csv')));
    const summary = JSON.parse(readFileSync(path.join(dirs[0]!, 'summary.json'), 'utf8')) as Summary;
    writeFileSync(path.join(copy, 'summary.json'), JSON.stringify({ ...summary, shard: { index: 2, count: SHARDS } }));
    const out = path.join(root, 'merged');
    await expect(mergeReports([...dirs, copy], out)).rejects.toThrow(/in more than one shard report/);
    expect(readdirSync(out)).toEqual([]);
  });

  test('merges single-input reports, which have no file column', async () => {
    const input = { path: 'only.csv', sha256: 'a'.repeat(64), rows: 4 };
    const shard = async (index: number, lines: number[]): Promise<string> => {
      const dir = path.join(root, `single-${index}`);
      const results = ResultsWriter.open(dir, [input.path]);
      for (const line of lines) await results.write({ file: 0, line, id: `id-${line}`, status: 'updated', detail: '' });
      await results.commit();
      const counts = {
        rows: lines.length,
        invalid: 0,
        duplicates: 0,
        customers: lines.length,
        updated: lines.length,
        notFound: 0,
        failed: 0,
      };
      await writeSummary(dir, {
        status: 'succeeded',
        dryRun: false,
        counts,
        requests: { byStatus: {}, total: 1, retries: 0 },
        startedAt: '2026-01-02T03:00:00Z',
        finishedAt: '2026-01-02T03:00:01Z',
        durationMs: 1000,
        inputs: [input],
        options: {},
        runId: 'r',
        exitCode: 0,
        shard: { index, count: 2 },
      });
      return dir;
    };
    const dirs = [await shard(0, [3, 4]), await shard(1, [2, 5])];
    await mergeReports(dirs, path.join(root, 'merged'));
    expect(readFileSync(path.join(root, 'merged', 'results.csv'), 'utf8')).toBe(
      'line,document_id,status,detail\n2,id-2,updated,\n3,id-3,updated,\n4,id-4,updated,\n5,id-5,updated,\n',
    );
  });

  test('rejects a summary.json that is not a report summary, naming the file', async () => {
    const [dir] = await writeShards(['succeeded']);
    writeFileSync(path.join(dir!, 'summary.json'), '{"status": "fine"}');
    await expect(mergeReports([dir!], path.join(root, 'merged'))).rejects.toThrow(
      new UsageError(`report merge: ${path.join(dir!, 'summary.json')}: unknown status "fine"`),
    );
  });

  test('refuses to write over an existing report', async () => {
    const dirs = await writeShards(['succeeded']);
    await expect(mergeReports(dirs, dirs[0]!)).rejects.toThrow(/already holds a report/);
  });
});

describe('report merge command', () => {
  test('merges the directories, prints the summary and exits with the merged run’s code', async () => {
    const dirs = await writeShards(['succeeded', 'partial', 'succeeded']);
    const out = path.join(root, 'merged');
    const exit = { code: 0 };
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => printed.push(chunk) > 0) as typeof process.stdout.write;
    try {
      await yargs(['report', 'merge', ...dirs, '--out', out])
        .command(reportMergeCommand(exit))
        .strict()
        .exitProcess(false)
        .parseAsync();
    } finally {
      process.stdout.write = write;
    }
    expect(exit.code).toBe(1);
    expect(printed.join('')).toMatch(/^status +partial, exit code 1$/m);
    expect(printed.join('')).toContain(`report     ${out}`);
    expect(existsSync(path.join(out, 'summary.json'))).toBe(true);
  });
});

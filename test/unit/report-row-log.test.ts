import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { RowLog, type Resolution } from '../../src/pipeline/report/row-log.js';
import { ResultsWriter } from '../../src/pipeline/report/results-writer.js';
import type { ResultRow } from '../../src/pipeline/report/result-row.js';

let dir: string;
let reportDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'row-log-'));
  reportDir = path.join(dir, 'report');
  mkdirSync(reportDir);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const resultsCsv = (): string => readFileSync(path.join(reportDir, 'results.csv'), 'utf8');
const records = (): string[][] => parse(resultsCsv(), { relax_column_count: true }) as string[][];

/** Customer `ordinal` → what became of it. */
const outcomes =
  (byOrdinal: Record<number, Resolution>) =>
  (ordinal: number): Resolution =>
    byOrdinal[ordinal] ?? { status: 'valid', detail: '' };

/** The ids and details that must come back unchanged. */
const HOSTILE = [
  'tab\there',
  'new\nline',
  'cr\rlf\r\n',
  'back\\slash',
  'literal \\t and \\n, not escapes',
  'trailing backslash\\',
  'comma, and "quotes"',
  '日本-😀',
  '',
];

describe('RowLog', () => {
  it('turns known and customer lines into results.csv lines in input order', async () => {
    const log = new RowLog(dir);
    log.customer(0, 0, 2, 'a');
    log.known(0, 3, '', 'invalid', 'empty document_id');
    log.customer(1, 0, 4, 'b');
    log.known(0, 5, 'a', 'duplicate', 'duplicate of line 2');
    log.customer(0, 0, 6, 'a');
    log.customer(2, 0, 7, 'c');
    await log.writeResults(
      reportDir,
      ['in.csv'],
      outcomes({
        0: { status: 'updated', detail: '' },
        1: { status: 'not_found', detail: 'not in updatedCustomers' },
        2: { status: 'failed', detail: 'HTTP 500' },
      }),
    );
    expect(resultsCsv()).toBe(
      [
        'line,document_id,status,detail',
        '2,a,updated,',
        '3,,invalid,empty document_id',
        '4,b,not_found,not in updatedCustomers',
        '5,a,duplicate,duplicate of line 2',
        '6,a,updated,',
        '7,c,failed,HTTP 500',
        '',
      ].join('\n'),
    );
  });

  it('asks the resolver about each customer line, with its ordinal, file and line, and never about known lines', async () => {
    const log = new RowLog(dir);
    log.customer(3, 1, 9, 'x');
    log.known(0, 2, 'y', 'invalid', 'bad');
    log.customer(0, 0, 4, 'z');
    const asked: [number, number, number][] = [];
    await log.writeResults(reportDir, ['a.csv', 'b.csv'], (ordinal, file, line) => {
      asked.push([ordinal, file, line]);
      return { status: 'not_sent', detail: 'not sent: run interrupted' };
    });
    expect(asked).toEqual([
      [3, 1, 9],
      [0, 0, 4],
    ]);
  });

  it('adds the file column in a multi-file run, naming each row its own file', async () => {
    const log = new RowLog(dir);
    log.customer(0, 0, 2, 'a');
    log.known(1, 2, 'a', 'duplicate', 'duplicate of line 2 of monday.csv');
    log.customer(1, 1, 3, 'b');
    await log.writeResults(reportDir, ['monday.csv', 'tuesday, late.csv'], outcomes({}));
    expect(records()).toEqual([
      ['line', 'document_id', 'status', 'detail', 'file'],
      ['2', 'a', 'valid', '', 'monday.csv'],
      ['2', 'a', 'duplicate', 'duplicate of line 2 of monday.csv', 'tuesday, late.csv'],
      ['3', 'b', 'valid', '', 'tuesday, late.csv'],
    ]);
  });

  it('round-trips ids and details with tabs, newlines, backslashes, commas and quotes', async () => {
    const log = new RowLog(dir);
    HOSTILE.forEach((text, i) => log.known(0, 2 + 2 * i, text, 'invalid', text));
    HOSTILE.forEach((text, i) => log.customer(i, 0, 3 + 2 * i, text));
    await log.writeResults(reportDir, ['in.csv'], (ordinal) => ({ status: 'failed', detail: HOSTILE[ordinal]! }));
    const rows = records().slice(1);
    expect(rows.filter((r) => r[2] === 'invalid').map((r) => [r[1], r[3]])).toEqual(HOSTILE.map((t) => [t, t]));
    expect(rows.filter((r) => r[2] === 'failed').map((r) => [r[1], r[3]])).toEqual(HOSTILE.map((t) => [t, t]));
    // In the order logged (pass 1 logs in input order).
    expect(rows.map((r) => Number(r[0]))).toEqual([...HOSTILE.map((_, i) => 2 + 2 * i), ...HOSTILE.map((_, i) => 3 + 2 * i)]);
  });

  it('neutralises formula cells exactly as ResultsWriter does: the same bytes as writing the rows directly', async () => {
    const cells = ['=HYPERLINK("http://x")', '@SUM(A1)', '+A1', '-2+3', '-100', '+573001234567', '\tTAB', 'plain', "'quoted"];
    const rows: ResultRow[] = [];
    const log = new RowLog(dir);
    cells.forEach((cell, i) => {
      log.known(i % 2, 2 + 2 * i, cell, 'invalid', cell);
      rows.push({ file: i % 2, line: 2 + 2 * i, id: cell, status: 'invalid', detail: cell });
      log.customer(i, i % 2, 3 + 2 * i, cell);
      rows.push({ file: i % 2, line: 3 + 2 * i, id: cell, status: 'failed', detail: `=${cell}` });
    });
    const inputs = ['=evil.csv', 'b.csv'];
    await log.writeResults(reportDir, inputs, (ordinal) => ({ status: 'failed', detail: `=${cells[ordinal]}` }));
    const viaLog = resultsCsv();

    const directDir = path.join(dir, 'direct');
    mkdirSync(directDir);
    const writer = ResultsWriter.open(directDir, inputs);
    for (const row of rows) await writer.write(row);
    await writer.commit();
    expect(viaLog).toBe(readFileSync(path.join(directDir, 'results.csv'), 'utf8'));
    // And the cells a spreadsheet would run are prefixed.
    const byId = new Map(
      records()
        .slice(1)
        .map((r) => [r[3], r[1]]),
    );
    expect(byId.get('\'=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(records()[1]![4]).toBe("'=evil.csv");
  });

  it('keeps order over many lines (several scratch chunks)', async () => {
    const log = new RowLog(dir);
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) log.known(0, i + 2, `dup-${i}-${'x'.repeat(20)}`, 'duplicate', `duplicate of line ${i}`);
      else log.customer(i, 0, i + 2, `id-${i}-${'y'.repeat(20)}`);
    }
    await log.writeResults(reportDir, ['in.csv'], (ordinal) => ({ status: 'updated', detail: String(ordinal) }));
    const rows = records().slice(1);
    expect(rows).toHaveLength(n);
    expect(rows.map((r) => Number(r[0]))).toEqual(rows.map((_, i) => i + 2));
    expect(rows[4]).toEqual(['6', `id-4-${'y'.repeat(20)}`, 'updated', '4']);
  });

  it('writes the same bytes as ResultsWriter for runs of consecutive customers broken by known rows, jumps, long and non-ASCII ids', async () => {
    // Consecutive customers are logged without their numbers; this mixes them with everything that
    // breaks a run: known rows, a skipped line (a quoted line break), a repeated ordinal (long
    // layout), another file, and ids from ASCII to emoji to one larger than the log's buffers.
    const ids = ['a', 'é-accent', '日本', '😀', 'x'.repeat(200), '+573001234567', 'quote"d', ''];
    const big = 'big-'.repeat(40_000);
    const log = new RowLog(dir);
    const rows: ResultRow[] = [];
    let ordinal = 0;
    let line = 2;
    for (let i = 0; i < 20_000; i++) {
      const id = i === 100 || i === 103 ? big : `${ids[i % ids.length]!}-${i}`;
      const file = i < 15_000 ? 0 : 1;
      if (i % 7 === 3) {
        log.known(file, line, id, 'duplicate', `duplicate of line ${line - 1}`);
        rows.push({ file, line, id, status: 'duplicate', detail: `duplicate of line ${line - 1}` });
      } else {
        const repeated = i % 11 === 5 && ordinal > 0;
        const customer = repeated ? ordinal - 1 : ordinal++;
        log.customer(customer, file, line, id);
        rows.push({ file, line, id, status: 'failed', detail: `customer ${customer}` });
      }
      line += i % 13 === 0 ? 3 : 1;
      if (i === 14_999) line = 2;
    }
    const inputs = ['a.csv', 'b.csv'];
    await log.writeResults(reportDir, inputs, (customer) => ({ status: 'failed', detail: `customer ${customer}` }));
    const directDir = path.join(dir, 'direct');
    mkdirSync(directDir);
    const writer = ResultsWriter.open(directDir, inputs);
    for (const row of rows) await writer.write(row);
    await writer.commit();
    expect(resultsCsv()).toBe(readFileSync(path.join(directDir, 'results.csv'), 'utf8'));
  });

  it('leaves no results.csv when resolving fails part way (written atomically)', async () => {
    const log = new RowLog(dir);
    log.customer(0, 0, 2, 'a');
    log.customer(1, 0, 3, 'b');
    await expect(
      log.writeResults(reportDir, ['in.csv'], (ordinal) => {
        if (ordinal === 1) throw new Error('boom');
        return { status: 'valid', detail: '' };
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(path.join(reportDir, 'results.csv'))).toBe(false);
  });

  it('writes just the header for an empty log, and can be written twice', async () => {
    const log = new RowLog(dir);
    await log.writeResults(reportDir, ['in.csv'], outcomes({}));
    expect(resultsCsv()).toBe('line,document_id,status,detail\n');
    await log.writeResults(reportDir, ['in.csv'], outcomes({}));
    expect(resultsCsv()).toBe('line,document_id,status,detail\n');
  });
});

describe('RowLog written straight (a dry run without a state)', () => {
  const inputs = ['=first.csv', 'second, "quoted".csv'];
  const VALID: Resolution = { status: 'valid', detail: '' };
  /** A report dir of its own, for one of the two logs compared. */
  function newReportDir(name: string): string {
    const made = path.join(dir, name);
    mkdirSync(made);
    return made;
  }
  const results = (of: string): string => readFileSync(path.join(of, 'results.csv'), 'utf8');

  /**
   * 3,000 rows across two files, hostile and formula ids among plain ones: known rows, customers in
   * ordinal order, and (with `long`) long-layout records from row 2,000 on, some joining earlier ones.
   */
  function feed(log: RowLog, long: boolean): void {
    const ids = [...HOSTILE, '=cmd', '+573001234567', '-2+3'];
    let ordinal = 0;
    for (let i = 0; i < 3_000; i++) {
      const file = i < 1_500 ? 0 : 1;
      const line = 2 + (i % 1_500) + (i % 17 === 0 ? 1 : 0) * i;
      const id = i % 5 === 0 ? `${ids[i % ids.length]!}-${i}` : `C${i}`;
      if (i % 9 === 4) log.known(file, line, id, i % 2 === 0 ? 'duplicate' : 'invalid', `why ${i}`);
      else if (long && i >= 2_000) log.longRecord(i % 3 === 0 && ordinal > 0 ? ordinal - 1 : ordinal++, file, line, id);
      else log.customer(ordinal++, file, line, id);
    }
  }

  /** results.csv of the same rows through the log, and written straight; both resolved by `resolve`. */
  async function bothWays(long: boolean, resolve: (ordinal: number, file: number, line: number) => Resolution): Promise<[string, string]> {
    const viaLog = new RowLog(dir);
    const logged = newReportDir('logged');
    feed(viaLog, long);
    await viaLog.writeResults(logged, inputs, resolve);
    const straightDir = newReportDir('straight');
    const straight = new RowLog(dir, { dir: straightDir, inputs });
    feed(straight, long);
    await straight.writeResults(straightDir, inputs, resolve);
    return [results(logged), results(straightDir)];
  }

  it('writes the same bytes as through the log when every customer is valid', async () => {
    const [logged, straight] = await bothWays(false, () => VALID);
    expect(straight).toBe(logged);
    expect(parse(straight, { relax_column_count: true })).toHaveLength(3_001);
  });

  it('writes the rows after the first long-layout record through the log, resolved at the end (a spoiled customer)', async () => {
    const resolve = (ordinal: number, _file: number, line: number): Resolution =>
      ordinal % 4 === 1 && ordinal > 1_500
        ? { status: 'invalid', detail: `another row of this customer is invalid (line ${line})` }
        : VALID;
    const [logged, straight] = await bothWays(true, resolve);
    expect(straight).toBe(logged);
    expect(straight).toContain(',invalid,another row of this customer is invalid');
  });

  it('rewrites the customers written straight when the run ends otherwise for them (a guard tripped), as the log would have', async () => {
    const rejected: Resolution = { status: 'valid', detail: '=not sent: input rejected' };
    const [logged, straight] = await bothWays(true, () => rejected);
    expect(straight).toBe(logged);
    const rows = parse(straight, { relax_column_count: true }) as string[][];
    expect(rows.filter((r) => r[2] === 'valid').every((r) => r[3] === "'=not sent: input rejected")).toBe(true);
    // Nothing else is left in the report dir (the first file was read back and removed).
    expect(readdirSync(path.join(dir, 'straight'))).toEqual(['results.csv']);
  });

  it('leaves nothing in the report dir when discarded (a run stopped in pass 1)', async () => {
    const straightDir = newReportDir('straight');
    const log = new RowLog(dir, { dir: straightDir, inputs });
    feed(log, false);
    log.close();
    await log.discard();
    expect(readdirSync(straightDir)).toEqual([]);
    await log.discard();
  });

  it('refuses customers out of ordinal order: written straight, the k-th valid row must be customer k', () => {
    const log = new RowLog(dir, { dir: newReportDir('straight'), inputs });
    log.customer(0, 0, 2, 'a');
    expect(() => log.customer(2, 0, 3, 'b')).toThrow(TypeError);
    return log.discard();
  });
});

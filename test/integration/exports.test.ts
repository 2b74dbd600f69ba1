/**
 * The built CLI against the emulator on the messy export shapes of issue 7 (fixtures/export-*.csv):
 * each either arrives exactly as meant — the emulator's final state, summary.json (status, exit
 * code, counts, and each input's layout, delimiter, encoding and segment types) and every row of
 * results.csv — or is refused before the first request (exit code, a message that says what to do,
 * zero requests at the emulator).
 *
 * Not tested here: the confirmation before sending to production (it needs a terminal).
 */
import { readFileSync } from 'node:fs';
import { type CliResult, fixture, runCli } from '../support/cli.js';
import { readResults, readSummary } from '../support/report.js';
import { expectReportMatches, expectStateMatches } from '../support/integration/expect-run.js';
import { distinctCustomersCsv } from '../support/integration/generate.js';
import { expectedOutcome, type Layout, type OracleInput } from '../support/integration/oracle.js';
import { sendArgs, withScenario, writeInput } from '../support/integration/scenario.js';

/** A fixture as the oracle reads it, after `edit` (which must keep every line where it is). */
function exportInput(name: string, layout: Layout, delimiter = ',', edit: (text: string) => string = (t) => t): OracleInput {
  const display = fixture(name);
  return { display, text: edit(readFileSync(display, 'utf8')), delimiter, layout };
}

/** Blanks physical line `n` (1-based): the oracle drops blank lines but keeps counting them. */
function blankLine(text: string, n: number): string {
  const lines = text.split('\n');
  lines[n - 1] = lines[n - 1]!.endsWith('\r') ? '\r' : '';
  return lines.join('\n');
}

/** Lowercases the header line only (the CLI matches header names in any case; the oracle does not). */
function lowercaseHeader(text: string): string {
  const end = text.indexOf('\n');
  return text.slice(0, end).toLowerCase() + text.slice(end);
}

/**
 * A simple wide file (no quoted fields) cut down to the id and the chosen columns, renamed:
 * `[header, type]` pairs. Lines stay where they are.
 */
function project(text: string, idColumn: string, columns: [string, string][]): string {
  const [head, ...rest] = text.split('\n');
  const names = head!.split(',');
  const at = [idColumn, ...columns.map(([h]) => h)].map((h) => {
    const i = names.indexOf(h);
    if (i < 0) throw new Error(`no column ${h}`);
    return i;
  });
  const renamed = [idColumn, ...columns.map(([, t]) => t)].join(',');
  return [renamed, ...rest.map((line) => (line === '' ? '' : at.map((i) => line.split(',')[i]).join(',')))].join('\n');
}

function inputFacts(reportDir: string): unknown[] {
  return (readSummary(reportDir).inputs as unknown as Record<string, unknown>[]).map(({ layout, delimiter, encoding, segmentTypes }) => ({
    layout,
    delimiter,
    encoding,
    segmentTypes,
  }));
}

/** The messages of the run's warn-level log lines (stdout is not a terminal: JSON lines). */
function warnings(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level?: string; message?: string })
    .filter((record) => record.level === 'warn')
    .map((record) => String(record.message));
}

/** A refusal: exit 3, nothing sent, status rejected, and the message on stderr and in summary.json. */
function expectRefused(result: CliResult, requests: number, reportDir: string, ...mentions: string[]): void {
  expect({ code: result.code, requests }).toEqual({ code: 3, requests: 0 });
  const summary = readSummary(reportDir);
  expect({ status: summary.status, exitCode: summary.exitCode }).toEqual({ status: 'rejected', exitCode: 3 });
  for (const text of mentions) {
    expect(result.stderr).toContain(text);
    expect(summary.message ?? '').toContain(text);
  }
}

describe('a wide CRM export with columns that are not segments (export-crm-wide.csv)', () => {
  const name = 'export-crm-wide.csv';
  const idArgs = ['--id-column', 'customer_id'];

  it('is refused by default: exit 3, the message names email and exported_at and the options that choose columns', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const result = await runCli(['run', ...sendArgs(emulator, dirs), ...idArgs, fixture(name)]);
      expectRefused(result, emulator.state().requests.total, dirs.report, 'email', 'exported_at', '--segment-columns', '--ignore-columns');
      // With the distinct-value counts: every one of the 64 values is distinct.
      expect(result.stderr).toContain('64');
      expect(Object.keys(emulator.state().customers)).toEqual([]);
    });
  });

  it('--segment-columns naming a column the export does not have: exit 3 naming it, nothing sent', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const result = await runCli(['run', ...sendArgs(emulator, dirs), ...idArgs, '--segment-columns', 'tier,churn_risk', fixture(name)]);
      expectRefused(result, emulator.state().requests.total, dirs.report, 'churn_risk');
    });
  });

  const SELECTIONS: [string, string[], [string, string][]][] = [
    [
      '--segment-columns tier,region',
      ['--segment-columns', 'tier,region'],
      [
        ['tier', 'tier'],
        ['region', 'region'],
      ],
    ],
    [
      '--segment-columns tier,Region=region_code (a rename)',
      ['--segment-columns', 'tier,Region=region_code'],
      [
        ['tier', 'tier'],
        ['region', 'region_code'],
      ],
    ],
    [
      '--ignore-columns email,first_name,exported_at',
      ['--ignore-columns', 'email,first_name,exported_at'],
      [
        ['tier', 'tier'],
        ['region', 'region'],
      ],
    ],
  ];

  it.each(SELECTIONS)('with %s: sends exactly the chosen segment types', async (_label, args, columns) => {
    const input = exportInput(name, 'wide', ',', (text) => project(text, 'customer_id', columns));
    const expected = expectedOutcome([input], { known: 'all', idColumn: 'customer_id' });
    expect(expected.counts.customers).toBeGreaterThanOrEqual(60);
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), ...idArgs, ...args, fixture(name)]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      expect(inputFacts(dirs.report)).toEqual([
        { layout: 'wide', delimiter: ',', encoding: 'utf-8', segmentTypes: columns.map(([, t]) => t) },
      ]);
      const sentTypes = new Set(Object.values(emulator.state().customers).flatMap((s) => (s ?? []).map((x) => x.type)));
      expect([...sentTypes].sort()).toEqual(columns.map(([, t]) => t).sort());
    });
  });
});

describe('long exports', () => {
  it('a capitalised header with an extra column, rows scattered, a pair repeated (export-long-capitalised.csv): long, source ignored, every segment once', async () => {
    const input = exportInput('export-long-capitalised.csv', 'long', ',', lowercaseHeader);
    const expected = expectedOutcome([input], { known: 'all' });
    expect(expected.counts.customers).toBe(12);
    await withScenario({}, async (emulator, dirs) => {
      const { code, stdout, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      const facts = inputFacts(dirs.report) as { segmentTypes: string[] }[];
      expect(facts).toEqual([{ layout: 'long', delimiter: ',', encoding: 'utf-8', segmentTypes: expect.any(Array) }]);
      // In order of first appearance; never the ignored column.
      expect([...facts[0]!.segmentTypes].sort()).toEqual(['churn_risk', 'region', 'tier']);
      // The ignored column is said so (a warning on the log).
      expect(warnings(stdout)).toContainEqual(expect.stringContaining('source'));
      // 3001: tier=gold twice (once from "backfill") counts once; 3004's exact repeated row too.
      expect(emulator.state().customers['3001']).toHaveLength(3);
      expect(emulator.state().customers['3001']).toEqual(
        expect.arrayContaining([
          { type: 'tier', value: 'gold' },
          { type: 'region', value: 'north' },
          { type: 'churn_risk', value: 'low' },
        ]),
      );
      expect(emulator.state().customers['3004']).toHaveLength(2);
    });
  });

  it('a shuffled long export, 40 customers × 3 rows (export-long-unsorted.csv): every customer gets its 3 segments', async () => {
    const input = exportInput('export-long-unsorted.csv', 'long');
    const expected = expectedOutcome([input], { known: 'all' });
    expect({ rows: expected.counts.rows, customers: expected.counts.customers }).toEqual({ rows: 120, customers: 40 });
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expect(Object.values(emulator.state().customers).every((s) => s?.length === 3)).toBe(true);
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      const facts = inputFacts(dirs.report) as { segmentTypes: string[] }[];
      expect(facts).toEqual([{ layout: 'long', delimiter: ',', encoding: 'utf-8', segmentTypes: expect.any(Array) }]);
      expect([...facts[0]!.segmentTypes].sort()).toEqual(['churn_risk', 'region', 'tier']);
    });
  });
});

describe('two exports concatenated (export-concatenated.csv: a second header at line 17)', () => {
  const name = 'export-concatenated.csv';
  function expectation(display: string) {
    const input = { ...exportInput(name, 'wide', ',', (text) => blankLine(text, 17)), display };
    const expected = expectedOutcome([input], { known: 'all' });
    expected.counts.repeatedHeaders = 1;
    return expected;
  }

  async function check(args: string[], stdin: Buffer | undefined, display: string): Promise<void> {
    const expected = expectation(display);
    expect(expected.counts.duplicates).toBe(1);
    await withScenario({}, async (emulator, dirs) => {
      const { code, stdout, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), ...args], stdin ? { stdin } : {});
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(emulator.state().customers).not.toHaveProperty('document_id');
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      expect(readResults(dirs.report).map((r) => r.line)).not.toContain('17');
      // Skipped with a warning that names the line.
      expect(warnings(stdout)).toContainEqual(expect.stringMatching(/header.*17|17.*header/));
      expect(inputFacts(dirs.report)).toEqual([{ layout: 'wide', delimiter: ',', encoding: 'utf-8', segmentTypes: ['tier', 'region'] }]);
    });
  }

  it('as a file: the repeated header is skipped and counted, no customer "document_id"', async () => {
    await check([fixture(name)], undefined, fixture(name));
  });

  it('on stdin (cat part-1.csv part-2.csv | segment-sync run -): the same', async () => {
    // The fixture is exactly part-1 (lines 1-16) followed by part-2 (its header at line 17).
    const text = readFileSync(fixture(name), 'utf8');
    const cut = text.indexOf('\ndocument_id') + 1;
    const [part1, part2] = [text.slice(0, cut), text.slice(cut)];
    expect(part2.startsWith('document_id,tier,region\n')).toBe(true);
    await check(['-'], Buffer.concat([Buffer.from(part1), Buffer.from(part2)]), 'stdin');
  });
});

describe('an Excel export: sep=; line, ;, CRLF, trailing empty columns (export-excel-sep.csv)', () => {
  it('is read: delimiter ;, the sep= line and the unnamed columns skipped with a note', async () => {
    const input = exportInput('export-excel-sep.csv', 'wide', ';', (text) => blankLine(text, 1));
    const expected = expectedOutcome([input], { known: 'all' });
    expect(expected.counts.customers).toBe(20);
    await withScenario({}, async (emulator, dirs) => {
      const { code, stdout, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      expect(inputFacts(dirs.report)).toEqual([{ layout: 'wide', delimiter: ';', encoding: 'utf-8', segmentTypes: ['tier', 'region'] }]);
      // Two warnings: the sep= line, and the unnamed trailing columns.
      const warned = warnings(stdout).filter((m) => m.includes(input.display));
      expect(warned).toContainEqual(expect.stringContaining('sep='));
      expect(warned.length).toBeGreaterThanOrEqual(2);
      expect(readResults(dirs.report)[0]).toMatchObject({ line: '3', document_id: 'X-5001', status: 'updated' });
    });
  });
});

/**
 * Windows-1252 decoded independently of src (and of Node's TextDecoder, which decodes the
 * 'windows-1252' label as ISO-8859-1 in some Node versions: 0x80 becomes U+0080, not €). Bytes
 * 0xA0–0xFF are Latin-1; of 0x80–0x9F only those the fixture uses are mapped.
 */
function decodeWindows1252(bytes: Buffer): string {
  const C1: Record<number, string> = { 0x80: '€', 0x93: '“', 0x94: '”' };
  return [...bytes]
    .map((b) => {
      if (b < 0x80 || b >= 0xa0) return String.fromCharCode(b);
      const ch = C1[b];
      if (ch === undefined) throw new Error(`decodeWindows1252: byte 0x${b.toString(16)} is not mapped here`);
      return ch;
    })
    .join('');
}

describe('encodings', () => {
  const cp1252 = fixture('export-windows-1252.csv');

  it('export-windows-1252.csv by default: exit 3, the message names --encoding, nothing sent', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const result = await runCli(['run', ...sendArgs(emulator, dirs), cp1252]);
      expectRefused(result, emulator.state().requests.total, dirs.report, '--encoding');
    });
  });

  it('export-windows-1252.csv with --encoding windows-1252: the values arrive as the right Unicode text', async () => {
    const text = decodeWindows1252(readFileSync(cp1252));
    const input: OracleInput = { display: cp1252, text, delimiter: ',', layout: 'wide' };
    const expected = expectedOutcome([input], { known: 'all' });
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), '--encoding', 'windows-1252', cp1252]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      expect(inputFacts(dirs.report)).toEqual([
        { layout: 'wide', delimiter: ',', encoding: 'windows-1252', segmentTypes: ['tier', 'city', 'spend_band'] },
      ]);
      const held = emulator.state().customers;
      expect(held['W-7001']).toEqual([
        { type: 'tier', value: 'gold' },
        { type: 'city', value: 'Bogotá' },
        { type: 'spend_band', value: 'spend €500+' },
      ]);
      expect(held['W-7002']).toContainEqual({ type: 'city', value: 'Medellín' });
      expect(held['W-7004']).toContainEqual({ type: 'spend_band', value: '“VIP”' });
    });
  });

  it('export-utf16le.csv (UTF-16LE with BOM) is read without options', async () => {
    const file = fixture('export-utf16le.csv');
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const input: OracleInput = { display: file, text: bytes.subarray(2).toString('utf16le'), delimiter: ',', layout: 'wide' };
    const expected = expectedOutcome([input], { known: 'all' });
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), file]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      expect(inputFacts(dirs.report)).toEqual([{ layout: 'wide', delimiter: ',', encoding: 'utf-16le', segmentTypes: ['tier', 'city'] }]);
      expect(emulator.state().customers['U-8004']).toContainEqual({ type: 'city', value: '東京' });
    });
  });
});

/** `document_id,tier,region` with `count` customers; `blank(i)`: customer i has every segment cell blank. */
function wideCsv(count: number, blank: (i: number) => boolean = () => false, prefix = 'G'): string {
  const tiers = ['gold', 'silver', 'bronze'];
  const rows = Array.from({ length: count }, (_, i) => (blank(i) ? `${prefix}-${i},,` : `${prefix}-${i},${tiers[i % 3]},r${i % 4}`));
  return `document_id,tier,region\n${rows.join('\n')}\n`;
}

describe('guardrails with their defaults', () => {
  it('export-all-invalid.csv (60 of 60 rows invalid) is refused by the default --max-invalid', async () => {
    const input = exportInput('export-all-invalid.csv', 'wide');
    const expected = expectedOutcome([input], { known: 'all', sent: false });
    expect({ rows: expected.counts.rows, invalid: expected.counts.invalid }).toEqual({ rows: 60, invalid: 60 });
    await withScenario({}, async (emulator, dirs) => {
      const result = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expectRefused(result, emulator.state().requests.total, dirs.report, '--max-invalid');
      expectReportMatches({ reportDir: dirs.report, expected, status: 'rejected', exitCode: 3 });
    });
  });

  it('1,000 rows with 2 invalid pass the default --max-invalid', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const lines = wideCsv(1000).split('\n');
      lines[101] = ',gold,r1'; // empty id
      lines[501] = 'G-500,gold,r0,extra'; // a field too many
      const input = await writeInput(dirs.root, 'dirty-1000.csv', lines.join('\n'));
      const expected = expectedOutcome([input], { known: 'all' });
      expect(expected.counts.invalid).toBe(2);
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
    });
  });

  it('a file that clears 30% of its customers is refused by the default --max-clear, naming the number', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const input = await writeInput(
        dirs.root,
        'clear-30.csv',
        wideCsv(50, (i) => i % 10 < 3),
      );
      const expected = expectedOutcome([input], { known: 'all', sent: false });
      expect(expected.counts.toClear).toBe(15);
      const result = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expectRefused(result, emulator.state().requests.total, dirs.report, '--max-clear', '15');
      expectReportMatches({ reportDir: dirs.report, expected, status: 'rejected', exitCode: 3 });
    });
  });

  it('a file that clears 2% of its customers passes: those customers are cleared', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const input = await writeInput(
        dirs.root,
        'clear-2.csv',
        wideCsv(100, (i) => i === 10 || i === 60),
      );
      const expected = expectedOutcome([input], { known: 'all' });
      expect(expected.counts.toClear).toBe(2);
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expect(emulator.state().customers['G-10']).toEqual([]);
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
    });
  });

  it('every customer unknown to the endpoint (the wrong environment): stops with exit 5, status failed, naming --max-not-found', async () => {
    await withScenario({ known: new Set(['someone-else']) }, async (emulator, dirs) => {
      const input = await writeInput(dirs.root, 'unknown.csv', distinctCustomersCsv(60));
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code }).toEqual({ code: 5 });
      expect(stderr).toContain('--max-not-found');
      const summary = readSummary(dirs.report);
      expect({ status: summary.status, exitCode: summary.exitCode }).toEqual({ status: 'failed', exitCode: 5 });
      expect(summary.message).toContain('--max-not-found');
      expect(emulator.state().customers).toEqual({});
      const results = readResults(dirs.report);
      expect(results).toHaveLength(60);
      expect(results.every((r) => r.status === 'not_found' || r.status === 'not_sent')).toBe(true);
      expect(results.some((r) => r.status === 'not_found')).toBe(true);
      expect(summary.counts.updated).toBe(0);
    });
  });

  it('3,000 customers all unknown: sending stops once the first answers are in, the rest are not_sent', async () => {
    await withScenario({ known: new Set(['someone-else']) }, async (emulator, dirs) => {
      const input = await writeInput(dirs.root, 'unknown-3000.csv', distinctCustomersCsv(3000));
      const { code } = await runCli(['run', ...sendArgs(emulator, dirs), '--batch-size', '100', input.display]);
      expect(code).toBe(5);
      // 1,000 customers answered is 10 requests; at most --concurrency (2) more were in flight.
      expect(emulator.state().requests.total).toBeLessThanOrEqual(12);
      const summary = readSummary(dirs.report);
      expect(summary).toMatchObject({ status: 'failed', exitCode: 5 });
      const results = readResults(dirs.report);
      expect(results).toHaveLength(3000);
      const byStatus = results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
      expect(Object.keys(byStatus).sort()).toEqual(['not_found', 'not_sent']);
      expect(byStatus.not_sent).toBeGreaterThanOrEqual(1800);
      expect(summary.counts).toMatchObject({ updated: 0, notFound: byStatus.not_found, notSent: byStatus.not_sent, failed: 0 });
    });
  });

  it('20% of customers unknown passes with exit 0', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `G-${i}`);
    const known = new Set(ids.filter((_, i) => i % 5 !== 2));
    await withScenario({ known }, async (emulator, dirs) => {
      const input = await writeInput(dirs.root, 'unknown-20.csv', wideCsv(100));
      const expected = expectedOutcome([input], { known });
      expect(expected.counts.notFound).toBe(20);
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
    });
  });
});

import type { TwoNightsFigures } from '../../tools/bench/incremental.js';
import { figureRows, markdownSnippet, textTable, type BenchFigures } from '../../tools/bench/report.js';
import type { ThroughputFigures } from '../../tools/bench/throughput.js';

const night = (overrides: Partial<TwoNightsFigures> = {}): TwoNightsFigures => ({
  customers: 2_000_000,
  changed: 20_000,
  night1Order: 'generated',
  night2Order: 'shuffled',
  seed: { concurrency: 8, batchSize: 2000, rate: 0 },
  night2: { concurrency: 8, batchSize: 1000, rate: 0 },
  seedMs: 90_000,
  seedPeakRssMb: 300,
  validateMs: 10_000,
  validatePeakRssMb: 150,
  diffMs: 15_000,
  diffPeakRssMb: 250,
  ratio: 1.5,
  sent: 20_000,
  unchanged: 1_980_000,
  received: 20_000,
  requests: 20,
  answers429: 0,
  exact: true,
  ...overrides,
});

const throughput = (overrides: Partial<ThroughputFigures> = {}): ThroughputFigures => ({
  customers: 950_000,
  repeats: 3,
  concurrency: 8,
  batchSize: 1000,
  cliWholePerSecond: 40_000,
  baselinePerSecond: 50_000,
  wholeRatio: 0.8,
  cliSendingPerSecond: 30_000,
  postingPerSecond: 40_000,
  sendingRatio: 0.75,
  cliPeakRssMb: 150,
  baselinePeakRssMb: 130,
  dryPeakRssMb: 120,
  rssRatio: 1.25,
  ...overrides,
});

const dryRun = (ratio: number) => ({ dryMs: ratio * 1000, rawMs: 1000, ratio, peakRssMb: 120, rawPeakRssMb: 60 });

/** Every phase ran (the moonshot aside, skipped as by default). */
const figures = (overrides: Partial<BenchFigures> = {}): BenchFigures => ({
  startup: { repeats: 5, rows: 10, nodeMs: 150, helpMs: 400, validateMs: 480 },
  dry: { rows: 1_000_000, repeats: 3, narrow: dryRun(1.4), wide: dryRun(1.2) },
  idIndex: { smallIds: 1_000_000, smallPeakRssMb: 110, largeIds: 10_000_000, largePeakRssMb: 260, bytesPerId: 17.5 },
  unsorted: { customers: 10_000_000, rows: 30_000_000, wallMs: 120_000, peakRssMb: 450 },
  throughput: throughput(),
  largeSend: { customers: 10_000_000, wallMs: 200_000, peakRssMb: 380 },
  rate: { requests: 500, achievedPerSecond: 49.5, ratio: 0.99, maxInAnySecond: 50, askedPerSecond: 50 },
  night: night(),
  skipped: [{ phase: 'moonshot', reason: 'skipped (npm run bench -- --moonshot)' }],
  ...overrides,
});

const rowFor = (f: BenchFigures, measure: RegExp) => figureRows(f).find((r) => measure.test(r.measure))!;

describe('figureRows', () => {
  it('judges start-up, spawn to exit, against 0.5 s, beside node -e 0', () => {
    expect(rowFor(figures(), /--help/)).toMatchObject({ result: '0.40 s (node -e 0: 0.15 s)', target: '≤ 0.5 s', verdict: 'ok' });
    const slow = figures({ startup: { repeats: 5, rows: 10, nodeMs: 150, helpMs: 720, validateMs: 880 } });
    expect(rowFor(slow, /10-row file/)).toMatchObject({ result: '0.88 s (node -e 0: 0.15 s)', verdict: 'MISSED' });
  });

  it('judges the dry run on the narrow and on the wide file, each against 1.5×', () => {
    expect(rowFor(figures(), /Dry run ÷ .*narrow/)).toMatchObject({ result: '1.40× (1.40 s vs 1.00 s)', target: '≤ 1.5×', verdict: 'ok' });
    const slowWide = figures({ dry: { rows: 1_000_000, repeats: 3, narrow: dryRun(1.4), wide: dryRun(1.8) } });
    expect(rowFor(slowWide, /Dry run ÷ .*wide/)).toMatchObject({ result: '1.80× (1.80 s vs 1.00 s)', verdict: 'MISSED' });
    expect(rowFor(slowWide, /Dry run ÷ .*narrow/).verdict).toBe('ok');
  });

  it('judges the 10M-id peak against 300 MB and shows the growth per id', () => {
    expect(rowFor(figures(), /10M distinct ids/)).toMatchObject({ result: '260 MB', verdict: 'ok' });
    expect(rowFor(figures(), /1M → 10M/).result).toBe('110 → 260 MB (17.5 bytes per extra id)');
  });

  it('judges the unsorted long file against 500 MB', () => {
    expect(rowFor(figures(), /unsorted long/)).toMatchObject({ result: '450 MB (120.00 s)', target: '≤ 500 MB', verdict: 'ok' });
    expect(
      rowFor(figures({ unsorted: { customers: 10_000_000, rows: 30_000_000, wallMs: 1, peakRssMb: 501 } }), /unsorted long/).verdict,
    ).toBe('MISSED');
  });

  it('judges the whole send run against the baseline process at 0.8× or more', () => {
    expect(rowFor(figures(), /whole send run/)).toMatchObject({ result: '0.80× (40,000/s vs 50,000/s)', target: '≥ 0.8×', verdict: 'ok' });
    expect(rowFor(figures({ throughput: throughput({ wholeRatio: 0.79 }) }), /whole send run/).verdict).toBe('MISSED');
  });

  it("sets the send run's peak RSS against the dry run's, 1.3× at most", () => {
    expect(rowFor(figures(), /Send run peak RSS ÷/)).toMatchObject({
      result: '1.25× (150 MB vs 120 MB; baseline process: 130 MB)',
      target: '≤ 1.3×',
      verdict: 'ok',
    });
    expect(rowFor(figures({ throughput: throughput({ rssRatio: 1.4 }) }), /Send run peak RSS ÷/).verdict).toBe('MISSED');
  });

  it('judges the 10M-customer send run against 400 MB', () => {
    expect(rowFor(figures(), /Send run peak RSS, 10M/)).toMatchObject({ result: '380 MB (200.00 s)', target: '≤ 400 MB', verdict: 'ok' });
  });

  it('keeps the sending phase alone as context, or says it could not be timed', () => {
    expect(rowFor(figures(), /sending phase/)).toMatchObject({ result: '0.75× (30,000/s vs 40,000/s)', target: '', verdict: '' });
    const untimed = figures({ throughput: throughput({ cliSendingPerSecond: undefined, sendingRatio: undefined }) });
    expect(rowFor(untimed, /sending phase/).result).toMatch(/^n\/a/);
  });

  it('fails a rate off by more than 2% and a second with more starts than the rate', () => {
    const rate = { requests: 500, achievedPerSecond: 48.5, ratio: 0.97, maxInAnySecond: 52, askedPerSecond: 50 };
    expect(rowFor(figures({ rate }), /Achieved rate/).verdict).toBe('MISSED');
    expect(rowFor(figures({ rate }), /any 1 s window/)).toMatchObject({ result: '52', verdict: 'MISSED' });
  });

  it('prints a skipped phase with its target and how to run it', () => {
    const quick = figures({
      idIndex: undefined,
      unsorted: undefined,
      largeSend: undefined,
      skipped: [
        { phase: 'index', reason: 'skipped (--quick; npm run bench -- --only index)' },
        { phase: 'unsorted', reason: 'skipped (--quick; npm run bench -- --only unsorted)' },
        { phase: 'send-10m', reason: 'skipped (--quick; npm run bench -- --only send-10m)' },
      ],
    });
    expect(rowFor(quick, /10M distinct ids/)).toMatchObject({
      result: 'skipped (--quick; npm run bench -- --only index)',
      target: '≤ 300 MB',
      verdict: '',
    });
    expect(rowFor(quick, /unsorted long/)).toMatchObject({ target: '≤ 500 MB', verdict: '' });
    expect(rowFor(quick, /Send run peak RSS, 10M/)).toMatchObject({ target: '≤ 400 MB', verdict: '' });
  });

  it('leaves out, silently, a phase that --only left out', () => {
    const rows = figureRows({ night: night(), skipped: [] });
    expect(rows.every((r) => r.measure.startsWith('Incremental night'))).toBe(true);
  });

  it('gives every measured figure with a numeric target its verdict', () => {
    const judged = figureRows(figures()).filter((row) => /^(≤|≥|<|within|exactly)/.test(row.target) && !row.result.startsWith('skipped'));
    expect(judged.length).toBe(14);
    for (const row of judged) expect([row.measure, row.verdict]).toEqual([row.measure, expect.stringMatching(/^(ok|MISSED)$/)]);
  });
});

describe('figureRows: incremental sync', () => {
  it('passes a night 2 that sent exactly the changed customers within 2× of validate and 400 MB', () => {
    const rows = figureRows(figures());
    expect(rows.find((r) => /Incremental night: .*customers sent/.test(r.measure))).toMatchObject({
      result: '20,000 sent, 20,000 changed, emulator received 20,000; 1,980,000 unchanged',
      verdict: 'ok',
    });
    expect(rows.find((r) => /wall time ÷ validate/.test(r.measure))).toMatchObject({
      result: '1.50× (15.00 s vs 10.00 s)',
      target: '≤ 2×',
      verdict: 'ok',
    });
    expect(rows.find((r) => /Incremental night: peak RSS/.test(r.measure))).toMatchObject({
      result: '250 MB (validate: 150 MB)',
      verdict: 'ok',
    });
    expect(rows.find((r) => /night 1 seeding/.test(r.measure))).toMatchObject({ result: '90.00 s, peak RSS 300 MB', verdict: '' });
  });

  it('fails a night that sent more than the changed, ran over 2× or over 400 MB', () => {
    const rows = figureRows(figures({ night: night({ exact: false, sent: 20_100, ratio: 2.1, diffMs: 21_000, diffPeakRssMb: 420 }) }));
    expect(rows.filter((r) => r.measure.startsWith('Incremental night') && r.verdict === 'MISSED')).toHaveLength(3);
  });

  it('works without the other phases (--only night)', () => {
    const rows = figureRows({ night: night(), skipped: [] });
    expect(rows.some((r) => /Dry run/.test(r.measure))).toBe(false);
    expect(rows[0]!.measure).toMatch(/^Incremental night/);
  });

  it('says how to run the moonshot when it was skipped', () => {
    expect(rowFor(figures(), /^Moonshot/)).toMatchObject({ result: 'skipped (npm run bench -- --moonshot)', target: '≤ 90 s' });
  });

  it('judges the moonshot end to end against 90 s and says how its state was seeded', () => {
    const moon = night({
      customers: 10_000_000,
      changed: 100_000,
      night1Order: 'sorted',
      night2Order: 'sorted',
      night2: { concurrency: 8, batchSize: 500, rate: 10 },
      diffMs: 95_000,
    });
    const rows = figureRows(figures({ moonshot: moon, skipped: [] }));
    expect(rows.find((r) => /end to end/.test(r.measure))).toMatchObject({
      result: '95.00 s (validate of the same file: 10.00 s, 1.50×)',
      verdict: 'MISSED',
    });
    expect(rows.find((r) => /how the state was seeded/.test(r.measure))!.result).toMatch(
      /ids in sorted order.*unlimited emulator: 90\.00 s/,
    );
  });
});

describe('textTable and markdownSnippet', () => {
  it('prints every row in both, with the same results', () => {
    const rows = figureRows(figures());
    const text = textTable(rows);
    const markdown = markdownSnippet(rows, 'a test machine');
    for (const row of rows) {
      expect(text).toContain(row.result);
      expect(markdown).toContain(`| ${row.measure} | ${row.result} |`);
    }
    expect(markdown).toContain('a test machine');
  });

  it('aligns the result column of the text table', () => {
    const lines = textTable(figureRows(figures())).split('\n');
    const column = lines[0]!.indexOf('Result');
    expect(lines.slice(1).every((line) => line.slice(column - 2, column) === '  ')).toBe(true);
  });
});

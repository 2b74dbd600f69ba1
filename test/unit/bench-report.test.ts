import type { TwoNightsFigures } from '../../tools/bench/incremental.js';
import { figureRows, markdownSnippet, textTable, type BenchFigures, type ClassicFigures } from '../../tools/bench/report.js';

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

const figures = (overrides: Partial<ClassicFigures> = {}, more: Partial<BenchFigures> = {}): BenchFigures => ({
  classic: classic(overrides),
  night: night(),
  ...more,
});

const classic = (overrides: Partial<ClassicFigures> = {}): ClassicFigures => ({
  rows: 1_000_000,
  repeats: 3,
  dryRun: { dryMs: 6000, rawMs: 5000, ratio: 1.2, peakRssMb: 120, rawPeakRssMb: 60 },
  idIndex: { smallIds: 1_000_000, smallPeakRssMb: 110, largeIds: 10_000_000, largePeakRssMb: 260, bytesPerId: 17.5 },
  throughput: {
    customers: 950_000, cliWholePerSecond: 20_000, cliSendingPerSecond: 30_000, axiosPerSecond: 40_000,
    wholeRatio: 0.5, sendingRatio: 0.75, cliPeakRssMb: 140, concurrency: 8, batchSize: 1000,
  },
  rate: { requests: 500, achievedPerSecond: 49.5, ratio: 0.99, maxInAnySecond: 50, askedPerSecond: 50 },
  ...overrides,
});

const rowFor = (f: BenchFigures, measure: RegExp) => figureRows(f).find((r) => measure.test(r.measure))!;

describe('figureRows', () => {
  it('passes a dry run within 1.5× of the raw parse and fails one above', () => {
    expect(rowFor(figures(), /Dry run ÷/).verdict).toBe('ok');
    const slow = figures({ dryRun: { dryMs: 9000, rawMs: 5000, ratio: 1.8, peakRssMb: 120, rawPeakRssMb: 60 } });
    expect(rowFor(slow, /Dry run ÷/)).toMatchObject({ result: '1.80× (9.00 s vs 5.00 s)', verdict: 'MISSED' });
  });

  it('judges the 10M-id peak against 300 MB and shows the growth per id', () => {
    expect(rowFor(figures(), /10M distinct ids/)).toMatchObject({ result: '260 MB', verdict: 'ok' });
    expect(rowFor(figures(), /1M → 10M/).result).toBe('110 → 260 MB (17.5 bytes per extra id)');
  });

  it('says the id index was skipped when --quick left it out', () => {
    expect(rowFor(figures({ idIndex: undefined }), /Id index/).result).toBe('skipped (--quick)');
  });

  it('fails a rate off by more than 2% and a second with more starts than the rate', () => {
    const rate = { requests: 500, achievedPerSecond: 48.5, ratio: 0.97, maxInAnySecond: 52, askedPerSecond: 50 };
    expect(rowFor(figures({ rate }), /Achieved rate/).verdict).toBe('MISSED');
    expect(rowFor(figures({ rate }), /any 1 s window/)).toMatchObject({ result: '52', verdict: 'MISSED' });
  });

  it('sets the send run\'s peak RSS beside the dry run\'s, where growth with the file would show', () => {
    expect(rowFor(figures(), /Send run peak RSS/).result).toBe('140 MB (dry run: 120 MB)');
  });

  it('says so when the sending phase could not be timed', () => {
    const throughput = { ...classic().throughput, cliSendingPerSecond: undefined, sendingRatio: undefined };
    expect(rowFor(figures({ throughput }), /sending phase/).result).toMatch(/^n\/a/);
  });
});

describe('figureRows: incremental sync', () => {
  it('passes a night 2 that sent exactly the changed customers within 2× of validate and 400 MB', () => {
    const rows = figureRows(figures());
    expect(rows.find((r) => /Incremental night: .*customers sent/.test(r.measure))).toMatchObject({
      result: '20,000 sent, 20,000 changed, emulator received 20,000; 1,980,000 unchanged',
      verdict: 'ok',
    });
    expect(rows.find((r) => /wall time ÷ validate/.test(r.measure))).toMatchObject({ result: '1.50× (15.00 s vs 10.00 s)', target: '≤ 2×', verdict: 'ok' });
    expect(rows.find((r) => /Incremental night: peak RSS/.test(r.measure))).toMatchObject({ result: '250 MB (validate: 150 MB)', verdict: 'ok' });
    expect(rows.find((r) => /night 1 seeding/.test(r.measure))).toMatchObject({ result: '90.00 s, peak RSS 300 MB', verdict: '' });
  });

  it('fails a night that sent more than the changed, ran over 2× or over 400 MB', () => {
    const rows = figureRows(figures({}, { night: night({ exact: false, sent: 20_100, ratio: 2.1, diffMs: 21_000, diffPeakRssMb: 420 }) }));
    expect(rows.filter((r) => r.measure.startsWith('Incremental night') && r.verdict === 'MISSED')).toHaveLength(3);
  });

  it('works without the classic phases (--only-incremental)', () => {
    const rows = figureRows({ night: night() });
    expect(rows.some((r) => /Dry run/.test(r.measure))).toBe(false);
    expect(rows[0]!.measure).toMatch(/^Incremental night/);
  });

  it('says how to run the moonshot when it was skipped', () => {
    expect(rowFor(figures(), /^Moonshot/)).toMatchObject({ result: 'skipped (npm run bench -- --moonshot)', target: '≤ 90 s' });
  });

  it('judges the moonshot end to end against 90 s and says how its state was seeded', () => {
    const moon = night({ customers: 10_000_000, changed: 100_000, night1Order: 'sorted', night2Order: 'sorted', night2: { concurrency: 8, batchSize: 500, rate: 10 }, diffMs: 95_000 });
    const rows = figureRows(figures({}, { moonshot: moon }));
    expect(rows.find((r) => /end to end/.test(r.measure))).toMatchObject({ result: '95.00 s (validate of the same file: 10.00 s, 1.50×)', verdict: 'MISSED' });
    expect(rows.find((r) => /how the state was seeded/.test(r.measure))!.result).toMatch(/ids in sorted order.*unlimited emulator: 90\.00 s/);
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

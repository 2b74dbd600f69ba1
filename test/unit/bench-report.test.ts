import { figureRows, markdownSnippet, textTable, type BenchFigures } from '../../src/bench/report.js';

const figures = (overrides: Partial<BenchFigures> = {}): BenchFigures => ({
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
    const throughput = { ...figures().throughput, cliSendingPerSecond: undefined, sendingRatio: undefined };
    expect(rowFor(figures({ throughput }), /sending phase/).result).toMatch(/^n\/a/);
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

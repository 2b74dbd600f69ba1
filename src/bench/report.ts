/**
 * Turns the figures into the printed table and the README snippet. Pure: the same rows feed both,
 * so the two never disagree.
 */
import type { DryRunFigures } from './dry-run.js';
import type { IdIndexFigures } from './id-index.js';
import { TARGETS } from './options.js';
import type { OverAskedCheck, RateCheck } from './rate.js';
import type { ThroughputFigures } from './throughput.js';

export interface BenchFigures {
  rows: number;
  repeats: number;
  dryRun: DryRunFigures;
  /** Absent with --quick. */
  idIndex?: IdIndexFigures;
  throughput: ThroughputFigures & { concurrency: number; batchSize: number };
  rate: RateCheck;
  overAsked?: OverAskedCheck;
}

type Verdict = 'ok' | 'MISSED' | '';

export interface FigureRow {
  measure: string;
  result: string;
  target: string;
  verdict: Verdict;
}

export function figureRows(f: BenchFigures): FigureRow[] {
  return [...dryRunRows(f), ...idIndexRows(f.idIndex), ...throughputRows(f), ...rateRows(f.rate), ...overAskedRows(f.overAsked)];
}

function dryRunRows({ rows, repeats, dryRun: d }: BenchFigures): FigureRow[] {
  return [
    {
      measure: `Dry run ÷ raw csv-parse pass (${count(rows)} rows, median of ${repeats})`,
      result: `${times(d.ratio)} (${seconds(d.dryMs)} vs ${seconds(d.rawMs)})`,
      target: `≤ ${TARGETS.dryRunRatio}×`,
      verdict: verdict(d.ratio <= TARGETS.dryRunRatio),
    },
    { measure: 'Dry run peak RSS', result: `${d.peakRssMb} MB (raw csv-parse: ${d.rawPeakRssMb} MB)`, target: '', verdict: '' },
  ];
}

function idIndexRows(i: IdIndexFigures | undefined): FigureRow[] {
  if (i === undefined) return [{ measure: 'Id index peak RSS', result: 'skipped (--quick)', target: `≤ ${TARGETS.indexPeakRssMb} MB`, verdict: '' }];
  return [
    {
      measure: `Dry run peak RSS, ${count(i.largeIds)} distinct ids`,
      result: `${i.largePeakRssMb} MB`,
      target: `≤ ${TARGETS.indexPeakRssMb} MB`,
      verdict: verdict(i.largePeakRssMb <= TARGETS.indexPeakRssMb),
    },
    {
      measure: `Peak RSS ${count(i.smallIds)} → ${count(i.largeIds)} distinct ids`,
      result: `${i.smallPeakRssMb} → ${i.largePeakRssMb} MB (${i.bytesPerId.toFixed(1)} bytes per extra id)`,
      target: 'grows with the index only',
      verdict: '',
    },
  ];
}

function throughputRows({ throughput: t, dryRun }: BenchFigures): FigureRow[] {
  const setup = `--rate 0 --concurrency ${t.concurrency} --batch-size ${t.batchSize}`;
  return [
    {
      measure: `Customers/s, whole run ÷ plain axios (${setup})`,
      result: `${times(t.wholeRatio)} (${perSecond(t.cliWholePerSecond)} vs ${perSecond(t.axiosPerSecond)})`,
      target: '',
      verdict: '',
    },
    {
      measure: 'Customers/s, sending phase ÷ plain axios',
      result: t.sendingRatio === undefined ? 'n/a (sending phase too short to time)' : `${times(t.sendingRatio)} (${perSecond(t.cliSendingPerSecond!)})`,
      target: '',
      verdict: '',
    },
    {
      measure: `Send run peak RSS (${count(t.customers)} customers)`,
      result: `${t.cliPeakRssMb} MB (dry run: ${dryRun.peakRssMb} MB)`,
      target: 'grows with the index only',
      verdict: '',
    },
  ];
}

function rateRows(r: RateCheck): FigureRow[] {
  return [
    {
      measure: `Achieved rate ÷ --rate ${r.askedPerSecond} (${r.requests} requests)`,
      result: `${times(r.ratio, 3)} (${r.achievedPerSecond.toFixed(2)}/s)`,
      target: `within ${TARGETS.rateTolerance * 100}%`,
      verdict: verdict(Math.abs(r.ratio - 1) <= TARGETS.rateTolerance),
    },
    {
      measure: 'Most requests started in any 1 s window',
      result: String(r.maxInAnySecond),
      target: `≤ ${r.askedPerSecond}`,
      verdict: verdict(r.maxInAnySecond <= r.askedPerSecond),
    },
  ];
}

function overAskedRows(o: OverAskedCheck | undefined): FigureRow[] {
  if (o === undefined) return [];
  const pace = o.finalPace === undefined ? '' : `, pace learned ${o.finalPace.toFixed(1)}/s`;
  return [
    {
      measure: `Achieved pace against an over-asked rate: 200s/s ÷ API limit (--rate ${o.askedPerSecond}, API ${o.apiPerSecond}/s, burst 2)`,
      result: `${times(o.ratio)} (${o.okPerSecond.toFixed(1)}/s${pace})`,
      target: `≥ ${TARGETS.overAskedRatio}×`,
      verdict: verdict(o.ratio >= TARGETS.overAskedRatio),
    },
    {
      measure: `Share of 429s (${o.requests} requests)`,
      result: `${(o.share429 * 100).toFixed(1)}%`,
      target: `< ${TARGETS.overAsked429Share * 100}%`,
      verdict: verdict(o.share429 < TARGETS.overAsked429Share),
    },
  ];
}

/** A plain-text table with aligned columns, for the terminal. */
export function textTable(rows: readonly FigureRow[]): string {
  const cells = [['Measure', 'Result', 'Target', ''], ...rows.map((r) => [r.measure, r.result, r.target, r.verdict])];
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join('  ').trimEnd()).join('\n');
}

/** The README snippet: the same rows as a markdown table, with where and how they were measured. */
export function markdownSnippet(rows: readonly FigureRow[], machine: string): string {
  const lines = ['| Measure | Result | Target |', '| --- | --- | --- |', ...rows.map((r) => `| ${r.measure} | ${r.result} | ${r.target || '—'} |`)];
  return `${lines.join('\n')}\n\nMeasured with \`npm run bench\` on ${machine}; one run, ratios against a yardstick measured in the same run.`;
}

function verdict(met: boolean): Verdict {
  return met ? 'ok' : 'MISSED';
}

const count = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n.toLocaleString('en-US'));
const times = (ratio: number, digits = 2): string => `${ratio.toFixed(digits)}×`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const perSecond = (rate: number): string => `${Math.round(rate).toLocaleString('en-US')}/s`;

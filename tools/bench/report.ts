/**
 * Turns the figures into the printed table and the README snippet. Pure: the same rows feed both,
 * so the two never disagree.
 */
import type { DryRunFigures } from './dry-run.js';
import type { IdIndexFigures } from './id-index.js';
import { settingsText, type TwoNightsFigures } from './incremental.js';
import { BENCH_DEFAULTS, TARGETS } from './options.js';
import type { OverAskedCheck, RateCheck } from './rate.js';
import type { ThroughputFigures } from './throughput.js';

/** The phases before the incremental ones (absent with --only-incremental). */
export interface ClassicFigures {
  rows: number;
  repeats: number;
  dryRun: DryRunFigures;
  /** Absent with --quick. */
  idIndex?: IdIndexFigures;
  throughput: ThroughputFigures & { concurrency: number; batchSize: number };
  rate: RateCheck;
  overAsked?: OverAskedCheck;
}

export interface BenchFigures {
  classic?: ClassicFigures;
  night: TwoNightsFigures;
  /** Absent unless --moonshot. */
  moonshot?: TwoNightsFigures;
}

type Verdict = 'ok' | 'MISSED' | '';

export interface FigureRow {
  measure: string;
  result: string;
  target: string;
  verdict: Verdict;
}

export function figureRows(f: BenchFigures): FigureRow[] {
  const c = f.classic;
  const classic = c === undefined ? [] : [...dryRunRows(c), ...idIndexRows(c.idIndex), ...throughputRows(c), ...rateRows(c.rate), ...overAskedRows(c.overAsked)];
  return [...classic, ...nightRows(f.night), ...moonshotRows(f.moonshot)];
}

function nightRows(n: TwoNightsFigures): FigureRow[] {
  return [
    {
      measure: `Incremental night: ${count(n.customers)} customers, 1% changed, night 2 (${n.night2Order} rows) run --mode diff ${settingsText(n.night2)}: customers sent`,
      result: sentText(n),
      target: 'exactly the changed ones',
      verdict: verdict(n.exact),
    },
    {
      measure: 'Incremental night: wall time ÷ validate of the same file',
      result: `${times(n.ratio)} (${seconds(n.diffMs)} vs ${seconds(n.validateMs)})`,
      target: `≤ ${TARGETS.nightRatio}×`,
      verdict: verdict(n.ratio <= TARGETS.nightRatio),
    },
    {
      measure: 'Incremental night: peak RSS',
      result: `${n.diffPeakRssMb} MB (validate: ${n.validatePeakRssMb} MB)`,
      target: `≤ ${TARGETS.nightPeakRssMb} MB`,
      verdict: verdict(n.diffPeakRssMb <= TARGETS.nightPeakRssMb),
    },
    {
      measure: `Incremental night: night 1 seeding the state (${n.night1Order} rows, run --mode diff ${settingsText(n.seed)}), untimed`,
      result: `${seconds(n.seedMs)}, peak RSS ${n.seedPeakRssMb} MB`,
      target: '',
      verdict: '',
    },
  ];
}

function moonshotRows(m: TwoNightsFigures | undefined): FigureRow[] {
  if (m === undefined) return [{ measure: 'Moonshot (10M customers, 1% changed, API 10 requests/s)', result: 'skipped (npm run bench -- --moonshot)', target: `≤ ${TARGETS.moonshotSeconds} s`, verdict: '' }];
  const api = BENCH_DEFAULTS.moonshotApiRate;
  return [
    {
      measure: `Moonshot: ${count(m.customers)} customers, 1% changed, API allowing ${api} requests/s, night 2 (${m.night2Order} rows) run --mode diff ${settingsText(m.night2)}: end to end`,
      result: `${seconds(m.diffMs)} (validate of the same file: ${seconds(m.validateMs)}, ${times(m.ratio)})`,
      target: `≤ ${TARGETS.moonshotSeconds} s`,
      verdict: verdict(m.diffMs <= TARGETS.moonshotSeconds * 1000),
    },
    { measure: 'Moonshot: customers sent', result: `${sentText(m)}; ${m.requests} requests, ${m.answers429} answered 429`, target: 'exactly the changed ones', verdict: verdict(m.exact) },
    { measure: 'Moonshot: peak RSS', result: `${m.diffPeakRssMb} MB (validate: ${m.validatePeakRssMb} MB)`, target: '', verdict: '' },
    {
      measure: 'Moonshot: how the state was seeded (untimed)',
      result: `a real night 1, ids in ${m.night1Order} order, run --mode diff ${settingsText(m.seed)} against an unlimited emulator: ${seconds(m.seedMs)}, peak RSS ${m.seedPeakRssMb} MB`,
      target: '',
      verdict: '',
    },
  ];
}

function sentText(n: TwoNightsFigures): string {
  return `${n.sent.toLocaleString('en-US')} sent, ${n.changed.toLocaleString('en-US')} changed, emulator received ${n.received.toLocaleString('en-US')}; ${n.unchanged.toLocaleString('en-US')} unchanged`;
}

function dryRunRows({ rows, repeats, dryRun: d }: ClassicFigures): FigureRow[] {
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

function throughputRows({ throughput: t, dryRun }: ClassicFigures): FigureRow[] {
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

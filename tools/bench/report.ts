/**
 * Turns the figures into the printed table and the README snippet. Pure: the same rows feed both,
 * so the two never disagree. Every figure the issue sets a target for is printed with it; a phase
 * that did not run is printed as skipped (with how to run it) when --quick or a missing --moonshot
 * left it out, and not at all when --only did.
 */
import type { DryRunFigures } from './dry-run.js';
import type { IdIndexFigures } from './id-index.js';
import { settingsText, type TwoNightsFigures } from './incremental.js';
import { BENCH_DEFAULTS, TARGETS, type Phase, type Skipped } from './options.js';
import type { OverAskedCheck, RateCheck } from './rate.js';
import type { StartupFigures } from './startup.js';
import type { LargeSendFigures, ThroughputFigures } from './throughput.js';
import type { UnsortedFigures } from './unsorted.js';

export interface DryFigures {
  rows: number;
  repeats: number;
  narrow: DryRunFigures;
  wide: DryRunFigures;
}

/** One entry per phase that ran; `skipped` lists those printed as skipped. */
export interface BenchFigures {
  startup?: StartupFigures;
  dry?: DryFigures;
  idIndex?: IdIndexFigures;
  unsorted?: UnsortedFigures;
  throughput?: ThroughputFigures;
  largeSend?: LargeSendFigures;
  rate?: RateCheck;
  overAsked?: OverAskedCheck;
  night?: TwoNightsFigures;
  moonshot?: TwoNightsFigures;
  skipped: Skipped[];
}

type TargetMark = 'ok' | 'MISSED' | '';

export interface FigureRow {
  measure: string;
  result: string;
  target: string;
  verdict: TargetMark;
}

/** A phase's rows when it ran, and the row that stands for it when it was skipped. */
const PHASE_ROWS: Record<Phase, { rows: (f: BenchFigures) => FigureRow[] | undefined; skipped: (reason: string) => FigureRow[] }> = {
  startup: {
    rows: (f) => f.startup && startupRows(f.startup),
    skipped: (reason) => [skippedRow('Start-up: --help and a 10-row validate', reason, `≤ ${TARGETS.startupSeconds} s`)],
  },
  dry: {
    rows: (f) => f.dry && dryRunRows(f.dry),
    skipped: (reason) => [skippedRow('Dry run ÷ raw csv-parse pass', reason, `≤ ${TARGETS.dryRunRatio}×`)],
  },
  index: {
    rows: (f) => f.idIndex && idIndexRows(f.idIndex),
    skipped: (reason) => [
      skippedRow(`Dry run peak RSS, ${count(BENCH_DEFAULTS.largeCustomers)} distinct ids`, reason, `≤ ${TARGETS.indexPeakRssMb} MB`),
    ],
  },
  unsorted: {
    rows: (f) => f.unsorted && unsortedRows(f.unsorted),
    skipped: (reason) => [
      skippedRow(
        `Dry run peak RSS, unsorted long file (${count(BENCH_DEFAULTS.largeCustomers)} customers × 3 rows)`,
        reason,
        `≤ ${TARGETS.unsortedPeakRssMb} MB`,
      ),
    ],
  },
  send: {
    rows: (f) => f.throughput && throughputRows(f.throughput),
    skipped: (reason) => [skippedRow('Customers/s, whole send run ÷ baseline process', reason, `≥ ${TARGETS.wholeRunRatio}×`)],
  },
  'send-10m': {
    rows: (f) => f.largeSend && largeSendRows(f.largeSend),
    skipped: (reason) => [
      skippedRow(
        `Send run peak RSS, ${count(BENCH_DEFAULTS.largeCustomers)} distinct customers`,
        reason,
        `≤ ${TARGETS.largeSendPeakRssMb} MB`,
      ),
    ],
  },
  rate: {
    rows: (f) => f.rate && rateRows(f.rate),
    skipped: (reason) => [skippedRow('Achieved rate ÷ --rate', reason, `within ${TARGETS.rateTolerance * 100}%`)],
  },
  'over-asked': {
    rows: (f) => f.overAsked && overAskedRows(f.overAsked),
    skipped: (reason) => [skippedRow('Achieved pace against an over-asked rate', reason, `≥ ${TARGETS.overAskedRatio}×`)],
  },
  night: {
    rows: (f) => f.night && nightRows(f.night),
    skipped: (reason) => [skippedRow('Incremental night', reason, `≤ ${TARGETS.nightRatio}×`)],
  },
  moonshot: {
    rows: (f) => f.moonshot && moonshotRows(f.moonshot),
    skipped: (reason) => [
      skippedRow(
        `Moonshot (${count(BENCH_DEFAULTS.moonshotCustomers)} customers, 1% changed, API ${BENCH_DEFAULTS.moonshotApiRate} requests/s)`,
        reason,
        `≤ ${TARGETS.moonshotSeconds} s`,
      ),
    ],
  },
};

export function figureRows(f: BenchFigures): FigureRow[] {
  return (Object.keys(PHASE_ROWS) as Phase[]).flatMap((phase) => {
    const ran = PHASE_ROWS[phase].rows(f);
    if (ran !== undefined) return ran;
    const skip = f.skipped.find((s) => s.phase === phase);
    return skip === undefined ? [] : PHASE_ROWS[phase].skipped(skip.reason);
  });
}

function skippedRow(measure: string, reason: string, target: string): FigureRow {
  return { measure, result: reason, target, verdict: '' };
}

function startupRows(s: StartupFigures): FigureRow[] {
  const limit = TARGETS.startupSeconds * 1000;
  const node = `node -e 0: ${seconds(s.nodeMs)}`;
  return [
    {
      measure: `Start-up: segment-sync --help, spawn to exit (median of ${s.repeats})`,
      result: `${seconds(s.helpMs)} (${node})`,
      target: `≤ ${TARGETS.startupSeconds} s`,
      verdict: verdict(s.helpMs <= limit),
    },
    {
      measure: `Start-up: validate of a ${s.rows}-row file, spawn to exit (median of ${s.repeats})`,
      result: `${seconds(s.validateMs)} (${node})`,
      target: `≤ ${TARGETS.startupSeconds} s`,
      verdict: verdict(s.validateMs <= limit),
    },
  ];
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

function moonshotRows(m: TwoNightsFigures): FigureRow[] {
  const api = BENCH_DEFAULTS.moonshotApiRate;
  return [
    {
      measure: `Moonshot: ${count(m.customers)} customers, 1% changed, API allowing ${api} requests/s, night 2 (${m.night2Order} rows) run --mode diff ${settingsText(m.night2)}: end to end`,
      result: `${seconds(m.diffMs)} (validate of the same file: ${seconds(m.validateMs)}, ${times(m.ratio)})`,
      target: `≤ ${TARGETS.moonshotSeconds} s`,
      verdict: verdict(m.diffMs <= TARGETS.moonshotSeconds * 1000),
    },
    {
      measure: 'Moonshot: customers sent',
      result: `${sentText(m)}; ${m.requests} requests, ${m.answers429} answered 429`,
      target: 'exactly the changed ones',
      verdict: verdict(m.exact),
    },
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

function dryRunRows({ rows, repeats, narrow, wide }: DryFigures): FigureRow[] {
  const file = (name: string, what: string, d: DryRunFigures): FigureRow[] => [
    {
      measure: `Dry run ÷ raw csv-parse pass, ${name} file (${count(rows)} rows, ${what}, median of ${repeats})`,
      result: `${times(d.ratio)} (${seconds(d.dryMs)} vs ${seconds(d.rawMs)})`,
      target: `≤ ${TARGETS.dryRunRatio}×`,
      verdict: verdict(d.ratio <= TARGETS.dryRunRatio),
    },
    {
      measure: `Dry run peak RSS, ${name} file`,
      result: `${d.peakRssMb} MB (raw csv-parse: ${d.rawPeakRssMb} MB)`,
      target: '',
      verdict: '',
    },
  ];
  return [...file('narrow', '4 short columns', narrow), ...file('wide', '6 columns', wide)];
}

function idIndexRows(i: IdIndexFigures): FigureRow[] {
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

function unsortedRows(u: UnsortedFigures): FigureRow[] {
  return [
    {
      measure: `Dry run peak RSS, unsorted long file (${count(u.customers)} customers × 3 rows, shuffled)`,
      result: `${u.peakRssMb} MB (${seconds(u.wallMs)})`,
      target: `≤ ${TARGETS.unsortedPeakRssMb} MB`,
      verdict: verdict(u.peakRssMb <= TARGETS.unsortedPeakRssMb),
    },
  ];
}

function throughputRows(t: ThroughputFigures): FigureRow[] {
  const setup = `--rate 0 --concurrency ${t.concurrency} --batch-size ${t.batchSize}`;
  return [
    {
      measure: `Customers/s, whole send run ÷ baseline process, both spawn to exit (${setup}, ${count(t.customers)} customers, median of ${t.repeats})`,
      result: `${times(t.wholeRatio)} (${perSecond(t.cliWholePerSecond)} vs ${perSecond(t.baselinePerSecond)})`,
      target: `≥ ${TARGETS.wholeRunRatio}×`,
      verdict: verdict(t.wholeRatio >= TARGETS.wholeRunRatio),
    },
    {
      measure: 'Customers/s, sending phase only ÷ plain axios posting prebuilt bodies',
      result:
        t.sendingRatio === undefined || t.cliSendingPerSecond === undefined
          ? 'n/a (sending phase too short to time)'
          : `${times(t.sendingRatio)} (${perSecond(t.cliSendingPerSecond)} vs ${perSecond(t.postingPerSecond)})`,
      target: '',
      verdict: '',
    },
    {
      measure: `Send run peak RSS ÷ dry run peak RSS (${count(t.customers)} customers)`,
      result: `${times(t.rssRatio)} (${t.cliPeakRssMb} MB vs ${t.dryPeakRssMb} MB; baseline process: ${t.baselinePeakRssMb} MB)`,
      target: `≤ ${TARGETS.sendRssRatio}×`,
      verdict: verdict(t.rssRatio <= TARGETS.sendRssRatio),
    },
  ];
}

function largeSendRows(l: LargeSendFigures): FigureRow[] {
  return [
    {
      measure: `Send run peak RSS, ${count(l.customers)} distinct customers (--rate 0 --concurrency ${BENCH_DEFAULTS.concurrency} --batch-size ${BENCH_DEFAULTS.batchSize})`,
      result: `${l.peakRssMb} MB (${seconds(l.wallMs)})`,
      target: `≤ ${TARGETS.largeSendPeakRssMb} MB`,
      verdict: verdict(l.peakRssMb <= TARGETS.largeSendPeakRssMb),
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

function overAskedRows(o: OverAskedCheck): FigureRow[] {
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
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The README snippet: the same rows as a markdown table, with where and how they were measured. */
export function markdownSnippet(rows: readonly FigureRow[], machine: string): string {
  const lines = [
    '| Measure | Result | Target |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.measure} | ${r.result} | ${r.target || '—'} |`),
  ];
  return `${lines.join('\n')}\n\nMeasured with \`npm run bench\` on ${machine}; one run, ratios against a yardstick measured in the same run.`;
}

function verdict(met: boolean): TargetMark {
  return met ? 'ok' : 'MISSED';
}

const count = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n.toLocaleString('en-US'));
const times = (ratio: number, digits = 2): string => `${ratio.toFixed(digits)}×`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const perSecond = (rate: number): string => `${Math.round(rate).toLocaleString('en-US')}/s`;

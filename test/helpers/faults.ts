/**
 * Helpers of the fault suite (test/faults): drive the BUILT CLI (dist/cli.js, built by `npm test`)
 * as a child process against an in-process emulator on 127.0.0.1, then read what it left behind.
 *
 *   - spawnCli / runCli: the CLI as a child, with its exit code, signal and output; every child is
 *     tracked so a failed test never leaves one running (stopChildren in afterEach)
 *   - makeWorkspace: a temp dir with the input, report dir, state dir and token file of one test
 *   - generateDataset: a wide CSV with duplicates, a clearing row and unknown ids, together with
 *     its oracle: what the endpoint must hold and what results.csv must say after one clean run
 *   - readReport: summary.json, results.csv and retry.csv, parsed
 *   - findSecret: every place a token leaked to (outputs, report and state files)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator/index.js';
import type { Segment } from '../../src/types.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const HOSTILE_DIR = fileURLToPath(new URL('../../fixtures/hostile/', import.meta.url));

// ---------------------------------------------------------------------------------------------
// The CLI as a child process

export interface CliResult {
  /** Exit code, or null when the process died of a signal (kill -9). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  pid: number;
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<CliResult>;
  exited(): boolean;
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  cwd: string;
  /** Extra environment; every inherited SEGMENT_SYNC_* variable is dropped first. */
  env?: Record<string, string>;
}

const children = new Set<ChildProcess>();

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) before the fault suite`);

export function spawnCli(args: string[], options: SpawnOptions): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    pid: child.pid!,
    done,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    kill: (signal) => child.kill(signal),
  };
}

export function runCli(args: string[], options: SpawnOptions): Promise<CliResult> {
  return spawnCli(args, options).done;
}

/** Kills the children a test left running (only ours, by their own handles). */
export async function stopChildren(): Promise<void> {
  const left = [...children];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('close', resolve)))));
}

function cleanEnv(): NodeJS.ProcessEnv {
  // yargs reads SEGMENT_SYNC_<OPTION>: a variable set in the developer's shell must not change a test.
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SEGMENT_SYNC_')));
}

/** The JSON log lines of a run's stdout (every line must be JSON: a torn last line fails here). */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// ---------------------------------------------------------------------------------------------
// A test's files

export interface Workspace {
  dir: string;
  input: string;
  reportDir: string;
  stateDir: string;
  tokenFile: string;
  remove(): Promise<void>;
}

export async function makeWorkspace(csv: string): Promise<Workspace> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segment-sync-faults-'));
  const input = path.join(dir, 'customers.csv');
  await fs.writeFile(input, csv);
  return {
    dir,
    input,
    reportDir: path.join(dir, 'report'),
    stateDir: path.join(dir, 'state'),
    tokenFile: path.join(dir, 'token'),
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** A token unique to the test, so finding it anywhere is proof of a leak. */
export function uniqueToken(label: string): string {
  return `sk-${label}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Replaces the token file in one step, as a rotated Kubernetes secret does (never half-written). */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${token}\n`);
  await fs.rename(temp, file);
}

export interface SyncArgs {
  endpoint: string;
  batchSize?: number;
  concurrency?: number;
  rate?: number;
  maxAttempts?: number;
  timeoutSeconds?: number;
  extra?: string[];
}

/**
 * `run` with small batches, no pacing, short deadlines and enough attempts to ride out the faults;
 * each test overrides what it is about.
 */
export function syncArgs(ws: Workspace, a: SyncArgs): string[] {
  return [
    'run',
    '--endpoint', a.endpoint,
    '--report-dir', ws.reportDir,
    '--state-dir', ws.stateDir,
    '--batch-size', String(a.batchSize ?? 20),
    '--concurrency', String(a.concurrency ?? 3),
    '--rate', String(a.rate ?? 0),
    '--max-attempts', String(a.maxAttempts ?? 10),
    '--timeout', String(a.timeoutSeconds ?? 2),
    '--grace', '5',
    '--log-format', 'json',
    ...(a.extra ?? []),
    ws.input,
  ];
}

// ---------------------------------------------------------------------------------------------
// Input and its oracle

export type FinalStatus = 'updated' | 'not_found' | 'duplicate';

export interface Dataset {
  csv: string;
  /** Ids the emulator treats as existing customers. */
  known: string[];
  /** What the endpoint holds after one clean run (first occurrence wins; unknown ids absent). */
  expectedState: Record<string, Segment[] | null>;
  /** results.csv of a complete run: line → [document_id, status]. */
  expectedRows: Map<number, [string, FinalStatus]>;
  /** Unique valid ids, in input order. */
  customers: string[];
  /** The segments of each customer, as the input gives them. */
  segmentsOf: Map<string, Segment[]>;
}

export interface DatasetShape {
  customers: number;
  /** Every n-th row repeats an earlier id with other segments (it must lose). */
  duplicateEvery?: number;
  /** Every n-th customer is not known to the endpoint (it ends not_found). */
  unknownEvery?: number;
  /** Prefix of the ids, so datasets of one test can differ. */
  prefix?: string;
}

const TYPES = ['tier', 'region', 'churn'] as const;
const VALUES: Record<(typeof TYPES)[number], string[]> = {
  tier: ['gold', 'silver', 'bronze', 'platinum'],
  region: ['north', 'south', 'east', 'west', 'North, coastal'],
  churn: ['low', 'medium', 'high'],
};

/**
 * A wide CSV with everything a real export has: blank cells (no segment of that type), a row
 * with every cell blank (clears the customer: segments []), a quoted value with a comma,
 * duplicates and customers the endpoint does not know. Deterministic: no randomness.
 */
export function generateDataset(shape: DatasetShape): Dataset {
  const { customers: count, duplicateEvery = 37, unknownEvery = 23, prefix = 'C' } = shape;
  const lines = ['document_id,tier,region,churn'];
  const dataset: Dataset = { csv: '', known: [], expectedState: {}, expectedRows: new Map(), customers: [], segmentsOf: new Map() };
  for (let i = 0; dataset.customers.length < count; i++) {
    const line = lines.length + 1;
    if (i > 0 && i % duplicateEvery === 0) {
      const kept = dataset.customers[Math.floor(i / 3) % dataset.customers.length]!;
      lines.push(`${kept},gold,west,high`);
      dataset.expectedRows.set(line, [kept, 'duplicate']);
      continue;
    }
    const id = `${prefix}-${String(dataset.customers.length + 1).padStart(5, '0')}`;
    const segments = segmentsFor(dataset.customers.length);
    lines.push([id, ...TYPES.map((type) => csvCell(segments.find((s) => s.type === type)?.value ?? ''))].join(','));
    const known = (dataset.customers.length + 1) % unknownEvery !== 0;
    if (known) {
      dataset.known.push(id);
      dataset.expectedState[id] = segments;
    }
    dataset.expectedRows.set(line, [id, known ? 'updated' : 'not_found']);
    dataset.customers.push(id);
    dataset.segmentsOf.set(id, segments);
  }
  dataset.csv = `${lines.join('\n')}\n`;
  return dataset;
}

function segmentsFor(n: number): Segment[] {
  if (n % 50 === 7) return []; // an all-blank row: the customer's segments are cleared
  return TYPES.filter((type, t) => (n + t) % 5 !== 0).map((type, t) => ({ type, value: VALUES[type][(n * (t + 1)) % VALUES[type].length]! }));
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** An emulator that knows the dataset's customers and accepts `token`. */
export function emulatorFor(data: Dataset, token: string, options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({ host: '127.0.0.1', port: 0, tokens: [token], known: data.known, seed: 7, ...options });
}

// ---------------------------------------------------------------------------------------------
// The report

export interface ResultRow {
  line: string;
  document_id: string;
  status: string;
  detail: string;
}

export interface Report {
  summary: Summary;
  results: ResultRow[];
  /** retry.csv as records (header → cell), or undefined when the run left none. */
  retry: Record<string, string>[] | undefined;
}

export interface Summary {
  status: string;
  exitCode: number;
  counts: { rows: number; invalid: number; duplicates: number; customers: number; updated: number; notFound: number; failed: number };
  requests: Record<string, number>;
  resumed?: { acknowledgedBefore: number };
  message?: string;
}

export async function readReport(reportDir: string): Promise<Report> {
  const summary = JSON.parse(await fs.readFile(path.join(reportDir, 'summary.json'), 'utf8')) as Summary;
  const results = parseCsv(await fs.readFile(path.join(reportDir, 'results.csv'), 'utf8'), { columns: true }) as ResultRow[];
  const retryFile = path.join(reportDir, 'retry.csv');
  const retry = existsSync(retryFile) ? (parseCsv(await fs.readFile(retryFile, 'utf8'), { columns: true }) as Record<string, string>[]) : undefined;
  return { summary, results, retry };
}

/** results.csv as line → [document_id, status], comparable with Dataset.expectedRows. */
export function statusesByLine(results: ResultRow[]): Map<number, [string, string]> {
  return new Map(results.map((r) => [Number(r.line), [r.document_id, r.status]]));
}

/** The expected rows with `failedIds` turned `failed`. */
export function expectedWithFailures(data: Dataset, failedIds: ReadonlySet<string>): Map<number, [string, string]> {
  return new Map([...data.expectedRows].map(([line, [id, status]]) => [line, [id, status !== 'duplicate' && failedIds.has(id) ? 'failed' : status]]));
}

/** The segments of a retry.csv record (wide layout: one column per type; blank = none). */
export function retrySegments(record: Record<string, string>): Segment[] {
  return TYPES.filter((type) => (record[type] ?? '') !== '').map((type) => ({ type, value: record[type]! }));
}

/** The final state with some customers left out (those the endpoint never applied). */
export function stateWithout(data: Dataset, ids: Iterable<string>): Record<string, Segment[] | null> {
  const state = { ...data.expectedState };
  for (const id of ids) delete state[id];
  return state;
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Every output and file (recursively under `dirs`) holding `secret`; [] when it leaked nowhere. */
export async function findSecret(secret: string, outputs: CliResult[], dirs: string[]): Promise<string[]> {
  const found: string[] = [];
  outputs.forEach((run, i) => {
    if (run.stdout.includes(secret)) found.push(`stdout of run ${i + 1}`);
    if (run.stderr.includes(secret)) found.push(`stderr of run ${i + 1}`);
  });
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      if ((await fs.readFile(file)).includes(secret)) found.push(file);
    }
  }
  return found;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

// ---------------------------------------------------------------------------------------------
// Waiting on the emulator

/** Polls until `condition` holds; fails after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A small seeded PRNG (mulberry32), so random kill points are the same on every run of the suite. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

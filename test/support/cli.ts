/**
 * Runs the built CLI (dist/cli.js) as a child process, the way a user or a scheduler does, and reads
 * the report it leaves behind. `npm test` builds before jest runs, so dist/ is current.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(REPO_ROOT, 'fixtures');

/** Absolute path of a file under fixtures/. */
export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export interface CliOptions {
  /** Variables added to the child's environment (the parent's SEGMENT_SYNC_* never leak in). */
  env?: Record<string, string>;
  /** What the child reads on stdin; without it stdin is closed at once, so `-` reads nothing. */
  stdin?: string | Buffer;
  /** Working directory; default the OS temp dir, so a forgotten --report-dir never lands in the repo. */
  cwd?: string;
  /** The child is killed after this long and the promise rejects; default 30 s. */
  timeoutMs?: number;
}

export interface CliResult {
  /** Exit code; null only when the child died of a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const OWN_ENV_PREFIX = 'SEGMENT_SYNC_';

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // A child that exits before reading its stdin must not crash the test with EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.stdin);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`segment-sync ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${Buffer.concat(stderr).toString().slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/** The parent's environment without the CLI's own variables, plus `extra`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith(OWN_ENV_PREFIX) && key !== 'JOB_COMPLETION_INDEX') env[key] = value;
  }
  return { ...env, ...extra };
}

/** A fresh directory for one test's report, state and inputs. */
export interface RunDirs {
  root: string;
  report: string;
  state: string;
  /** Another report dir under the same root, for a second run in the same test. */
  reportNamed(name: string): string;
  remove(): Promise<void>;
}

export async function makeRunDirs(): Promise<RunDirs> {
  const root = await mkdtemp(path.join(tmpdir(), 'segment-sync-it-'));
  return {
    root,
    report: path.join(root, 'report'),
    state: path.join(root, 'state'),
    reportNamed: (name) => path.join(root, name),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export interface SummaryJson {
  status: string;
  exitCode: number;
  dryRun?: boolean;
  counts: { rows: number; invalid: number; duplicates: number; customers: number; updated: number; notFound: number; failed: number };
  requests: Record<string, number>;
  inputs: { path: string; sha256: string; rows: number }[];
  options: Record<string, unknown>;
  message?: string;
  [key: string]: unknown;
}

export function readSummary(reportDir: string): SummaryJson {
  return JSON.parse(readFileSync(path.join(reportDir, 'summary.json'), 'utf8')) as SummaryJson;
}

export interface ResultsCsvRow {
  line: string;
  document_id: string;
  status: string;
  detail: string;
  /** Only in runs of several files. */
  file?: string;
}

export function readResults(reportDir: string): ResultsCsvRow[] {
  return readCsvObjects<ResultsCsvRow>(path.join(reportDir, 'results.csv'));
}

/** retry.csv's rows keyed by its header, or undefined when the run wrote none. */
export function readRetry(reportDir: string): Record<string, string>[] | undefined {
  const file = path.join(reportDir, 'retry.csv');
  return existsSync(file) ? readCsvObjects<Record<string, string>>(file) : undefined;
}

function readCsvObjects<T>(file: string): T[] {
  return parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as T[];
}

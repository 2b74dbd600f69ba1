/**
 * The BUILT CLI (dist/cli.js) as a child process, the way a user or a scheduler runs it: its exit
 * code, signal and output. `npm test` builds before jest runs, so dist/ is current. Every child is
 * tracked, so a failed test never leaves one running (stopChildren).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(REPO_ROOT, 'fixtures');

if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` (npm test does) before the CLI tests`);

/** Absolute path of a file under fixtures/. */
export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export interface CliOptions {
  /** Working directory; default the OS temp dir, so a forgotten --report-dir never lands in the repo. */
  cwd?: string;
  /** Variables added to the child's environment (the parent's SEGMENT_SYNC_* never leak in). */
  env?: Record<string, string>;
  /** What the child reads on stdin; without it stdin is closed at once, so `-` reads nothing. */
  stdin?: string | Buffer;
  /** Leave stdin open after `stdin`, as a producer that hangs does; the child then ends by a signal. */
  holdStdin?: boolean;
  /** Close the reading end of stdout and stderr at once, as `| head` does once it has its lines. */
  closeOutput?: boolean;
  /**
   * The child is killed (SIGKILL) after this long and `done` rejects. runCli defaults it to 30 s;
   * spawnCli has none unless given (its caller holds the child and stops it).
   */
  timeoutMs?: number;
}

export interface CliResult {
  /** Exit code; null only when the child died of a signal (kill -9). */
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
  /** What the child has printed so far (while it runs). */
  output(): { stdout: string; stderr: string };
}

const DEFAULT_TIMEOUT_MS = 30_000;

const children = new Set<ChildProcess>();

export function spawnCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  if (options.closeOutput) {
    child.stdout.destroy();
    child.stderr.destroy();
  } else {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  }
  // A child that exits before reading its stdin must not crash the test with EPIPE.
  child.stdin.on('error', () => undefined);
  if (options.holdStdin) {
    if (options.stdin !== undefined) child.stdin.write(options.stdin);
  } else {
    child.stdin.end(options.stdin);
  }
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(
              new Error(`segment-sync ${args.join(' ')} did not finish within ${options.timeoutMs} ms; stderr: ${stderr.slice(-2000)}`),
            );
          }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    pid: child.pid!,
    done,
    exited: () => hasExited(child),
    kill: (signal) => child.kill(signal),
    output: () => ({ stdout, stderr }),
  };
}

/** Runs the CLI to its end (killed after `timeoutMs`, default 30 s). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, { timeoutMs: DEFAULT_TIMEOUT_MS, ...options }).done;
}

/** Kills the children a test left running (only ours, each by its own handle) and waits for them. */
export async function stopChildren(): Promise<void> {
  const left = [...children];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => (hasExited(child) ? undefined : new Promise((resolve) => child.once('close', resolve)))));
}

/** The JSON log lines of a run's stdout; throws if any line, the last included, is not whole JSON. */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The parent's environment without the CLI's own variables, plus `extra`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // yargs reads SEGMENT_SYNC_<OPTION>, and a Job's JOB_COMPLETION_INDEX picks the shard: a variable
  // set in the developer's shell must not change a test.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SEGMENT_SYNC_') && key !== 'JOB_COMPLETION_INDEX') env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * The BUILT CLI (dist/cli.js, built by `npm test`) as a child process: its exit code, signal and
 * output. Every child is tracked, so a failed test never leaves one running (stopChildren).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) before the fault suite`);

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
  /** Bytes piped to the child's stdin (closed after them); no stdin at all when absent. */
  stdin?: Buffer;
}

const children = new Set<ChildProcess>();

export function spawnCli(args: string[], options: SpawnOptions): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...cleanEnv(), ...options.env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  if (options.stdin) child.stdin!.end(options.stdin);
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
  return { pid: child.pid!, done, exited: () => hasExited(child), kill: (signal) => child.kill(signal) };
}

export function runCli(args: string[], options: SpawnOptions): Promise<CliResult> {
  return spawnCli(args, options).done;
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

function cleanEnv(): NodeJS.ProcessEnv {
  // yargs reads SEGMENT_SYNC_<OPTION>: a variable set in the developer's shell must not change a test.
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SEGMENT_SYNC_')));
}

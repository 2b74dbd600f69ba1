/**
 * Runs Node scripts as child processes and reads what they print. Everything measured pays Node's
 * start-up alike, and a child's peak RSS is its own, not the benchmark's.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface ChildRun {
  exitCode: number | null;
  wallMs: number;
  stdout: string;
  stderr: string;
}

/** Runs `node [...nodeArgs] <script> ...args` to the end; the wall time runs from spawn to exit. */
export function runNode(script: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode) =>
      resolve({
        exitCode,
        wallMs: performance.now() - started,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

/** Like runNode, but a non-zero exit is an error carrying the end of the child's stderr. */
export async function runNodeOk(
  script: string,
  args: readonly string[],
  what: string,
  nodeArgs: readonly string[] = [],
): Promise<ChildRun> {
  const run = await runNode(script, args, nodeArgs);
  if (run.exitCode !== 0) {
    throw new Error(`${what} exited with ${String(run.exitCode)}: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  return run;
}

export type LogLine = Record<string, unknown> & { message?: string; timestamp?: string };

/** The JSON lines of a CLI's stdout (its log with --log-format json); other lines are skipped. */
export function jsonLines(stdout: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of stdout.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // A line cut short by the process exiting: not one we measure from.
    }
  }
  return lines;
}

/** The CLI's final 'run finished' log line, or an error saying it is missing. */
export function runFinished(stdout: string): RunFinished {
  const line = jsonLines(stdout).find((l) => l.message === 'run finished');
  if (line === undefined) throw new Error("the CLI printed no 'run finished' log line");
  return line as unknown as RunFinished;
}

/** The fields of 'run finished' the benchmark reads (see src/cli/execute.ts). */
export interface RunFinished {
  timestamp: string;
  status: string;
  peakRssMb: number;
  durationMs: number;
  counts: { rows: number; invalid: number; duplicates: number; customers: number; updated: number; notFound: number; failed: number };
}

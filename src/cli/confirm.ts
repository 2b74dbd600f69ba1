/**
 * The confirmation before a run sends to production from a terminal. The endpoint replaces
 * segments, so a person at a keyboard gets one last look at the numbers of the plan:
 *
 *   Send 12,345 customers (124 requests, ~25 s) to production (https://…/segments)? [y/N]
 *
 * Only `y` or `yes` sends. It never prompts when stdin or stderr is not a terminal (a scheduler, a
 * pipe, CI) — there the run goes ahead as configured — nor with --yes or --dry-run, nor for
 * staging or a custom endpoint.
 *
 * A declined run sends nothing and ends with status `rejected`, message NOT_CONFIRMED.message and
 * exit 2 (the usage class: the operator said no, nothing is wrong with the file, and retrying the
 * same command without a person answering y cannot help).
 */
import { NOT_CONFIRMED_MESSAGE } from '../pipeline/run-outcome.js';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ENDPOINTS } from '../config/defaults.js';
import type { RunConfig } from '../config/run-options.js';
import { ExitCode } from '../core/exit-codes.js';
import { formatCount } from '../core/text.js';
import { humanDuration } from '../pipeline/report/index.js';

/** Which of the streams are terminals. */
export interface Terminal {
  stdin: boolean;
  stderr: boolean;
}

export function terminalOf(stdin: unknown = process.stdin, stderr: unknown = process.stderr): Terminal {
  const tty = (stream: unknown): boolean => (stream as { isTTY?: boolean } | undefined)?.isTTY === true;
  return { stdin: tty(stdin), stderr: tty(stderr) };
}

/** Pure: a real send to the production endpoint, from a terminal, without --yes. */
export function needsConfirmation(config: Pick<RunConfig, 'dryRun' | 'yes' | 'endpoint'>, terminal: Terminal): boolean {
  return !config.dryRun && !config.yes && config.endpoint === ENDPOINTS.production && terminal.stdin && terminal.stderr;
}

/** The numbers of the plan the question shows. */
export interface SendPlan {
  customers: number;
  requests: number;
  /** At --rate; 0 or less leaves the estimate out. */
  estimatedMs: number;
  endpoint: string;
  /** 'production', 'staging' or 'custom'. */
  environment: string;
}

export function confirmationQuestion(plan: SendPlan): string {
  const n = formatCount;
  const customers = `${n(plan.customers)} customer${plan.customers === 1 ? '' : 's'}`;
  const requests = `${n(plan.requests)} request${plan.requests === 1 ? '' : 's'}`;
  const eta = plan.estimatedMs > 0 ? `, ~${humanDuration(plan.estimatedMs)}` : '';
  return `Send ${customers} (${requests}${eta}) to ${plan.environment} (${plan.endpoint})? [y/N] `;
}

export interface ConfirmIo {
  stdin: Readable;
  stderr: Writable;
  /** Aborting (e.g. the run's stop signal on Ctrl-C) answers no at once. */
  signal?: AbortSignal;
}

/**
 * Writes `question` to stderr and reads one line from stdin: true only for y or yes (any case).
 * End of input, an abort, or anything else is no. Reads no further than the answer's line end, and
 * pauses stdin again, so the process can exit.
 */
export function confirmSend(question: string, io: ConfirmIo): Promise<boolean> {
  const { stdin, stderr, signal } = io;
  return new Promise((resolve) => {
    // stdin already read to its end (`run -` from a terminal) has no answer left to give.
    if (signal?.aborted || stdin.readableEnded || stdin.destroyed) {
      resolve(false);
      return;
    }
    const decoder = new StringDecoder('utf8');
    let typed = '';
    let done = false;
    const finish = (answer: string | undefined): void => {
      if (done) return;
      done = true;
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      stdin.off('error', onEnd);
      signal?.removeEventListener('abort', onAbort);
      stdin.pause();
      if (answer === undefined) stderr.write('\n');
      resolve(answer !== undefined && /^(y|yes)$/i.test(answer.trim()));
    };
    const onData = (chunk: Buffer | string): void => {
      typed += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const end = typed.search(/[\r\n]/);
      if (end !== -1) finish(typed.slice(0, end));
    };
    const onEnd = (): void => finish(typed === '' ? undefined : typed);
    const onAbort = (): void => finish(undefined);
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('close', onEnd);
    stdin.once('error', onEnd);
    signal?.addEventListener('abort', onAbort, { once: true });
    stderr.write(question);
    stdin.resume();
  });
}

/** How a declined run ends: nothing sent, status `rejected`, this message, exit 2. */
export const NOT_CONFIRMED = {
  status: 'rejected',
  message: NOT_CONFIRMED_MESSAGE,
  exitCode: ExitCode.Usage,
} as const;

/**
 * For the job, once the plan's numbers exist: asks when needsConfirmation says so. True = go ahead
 * and send (no question needed, or the operator answered y); false = end the run as NOT_CONFIRMED.
 */
export async function confirmProductionSend(
  config: Pick<RunConfig, 'dryRun' | 'yes' | 'endpoint'>,
  plan: SendPlan,
  io: Partial<ConfirmIo> = {},
): Promise<boolean> {
  const stdin = io.stdin ?? process.stdin;
  const stderr = io.stderr ?? process.stderr;
  if (!needsConfirmation(config, terminalOf(stdin, stderr))) return true;
  return confirmSend(confirmationQuestion(plan), { stdin, stderr, signal: io.signal });
}

/**
 * The command line of a run, from named options: the flag lists tests would otherwise spell out
 * again and again. Only the options given become flags, in a fixed order.
 */

export interface RunFlags {
  endpoint?: string;
  /** --token (visible in `ps`: tests only; the fault suite passes SEGMENT_SYNC_TOKEN instead). */
  token?: string;
  tokenFile?: string;
  reportDir?: string;
  stateDir?: string;
  batchSize?: number;
  concurrency?: number;
  /** Requests per second; 0 = unlimited. */
  rate?: number;
  maxAttempts?: number;
  timeoutSeconds?: number;
  graceSeconds?: number;
  logFormat?: 'json' | 'text';
  logLevel?: string;
}

export interface RunArgs extends RunFlags {
  /** Default 'run'. */
  command?: string;
  /** More flags, after the named ones; each may be given once only (a repeated flag becomes an array to yargs). */
  extra?: readonly string[];
  /** The input files (or '-'), last. */
  input?: string | readonly string[];
}

/** The named options as flags: [--endpoint, url, --token, t, …]. */
export function runFlags(o: RunFlags): string[] {
  const flags: string[] = [];
  const add = (flag: string, value: string | number | undefined): void => {
    if (value !== undefined) flags.push(flag, String(value));
  };
  add('--endpoint', o.endpoint);
  add('--token', o.token);
  add('--token-file', o.tokenFile);
  add('--report-dir', o.reportDir);
  add('--state-dir', o.stateDir);
  add('--batch-size', o.batchSize);
  add('--concurrency', o.concurrency);
  add('--rate', o.rate);
  add('--max-attempts', o.maxAttempts);
  add('--timeout', o.timeoutSeconds);
  add('--grace', o.graceSeconds);
  add('--log-format', o.logFormat);
  add('--log-level', o.logLevel);
  return flags;
}

/** A whole command line: the command, the named flags, `extra`, then the inputs. */
export function runArgs(o: RunArgs): string[] {
  return [o.command ?? 'run', ...runFlags(o), ...(o.extra ?? []), ...[o.input ?? []].flat()];
}

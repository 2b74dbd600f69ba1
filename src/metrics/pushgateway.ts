/**
 * `--pushgateway`: push the run's metrics once, at the end of the run.
 *
 * Method, and why: a Pushgateway PUT replaces every metric of the group, a POST only the metric
 * names it carries. A successful run PUTs the full set, last-success timestamp included. A run
 * that did not succeed POSTs everything but that timestamp, so the previous success survives and
 * `time() - segment_sync_last_success_timestamp_seconds` keeps growing until the job recovers —
 * the alert Prometheus recommends for batch jobs. Either way the rows/requests families are
 * replaced whole, so no label from an older run lingers.
 *
 * A push failure is returned as a value: the job's exit code must not depend on the monitoring.
 */
import { Pushgateway } from 'prom-client';
import type { Shard } from '../config/shard.js';
import { redactText } from '../core/secrets.js';
import { err, ok, type Result } from '../core/result.js';
import { resolvePushTarget, type PushTarget } from '../config/push-target.js';
import { buildRunMetrics, type RunMetricsSummary } from './run-metrics.js';

/** Total deadline of the push; a Pushgateway that hangs must not hold a finished job open. */
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

/** How long an error body from the Pushgateway may be in a log line. */
const MAX_ERROR_CHARS = 300;

export interface PushRunMetricsOptions {
  url: string;
  jobName: string;
  summary: RunMetricsSummary;
  /** Adds `shard` to the grouping key, so that shards do not overwrite each other. */
  shard?: Shard;
  groupingLabels?: Record<string, string>;
  timeoutMs?: number;
}

export type PushMethod = 'PUT' | 'POST';

export type PushResult = Result<{ method: PushMethod; /** the group's URL, without credentials */ url: string }>;

export async function pushRunMetrics(options: PushRunMetricsOptions): Promise<PushResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  if (!(timeoutMs > 0)) return err(`metrics push timeoutMs must be a positive number, got ${String(options.timeoutMs)}`);
  const resolved = resolvePushTarget(options);
  if (!resolved.ok) return resolved;
  const metrics = buildRunMetrics(options.summary);
  if (!metrics.ok) return metrics;

  const target = resolved.value;
  const method: PushMethod = metrics.value.successful ? 'PUT' : 'POST';
  // agent: false — no keep-alive socket left to hold the finished process open.
  const gateway = new Pushgateway(target.url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, metrics.value.registry);
  const params = { jobName: target.jobName, groupings: target.groupings };
  try {
    const { resp } = await (method === 'PUT' ? gateway.push(params) : gateway.pushAdd(params));
    const status = statusOf(resp);
    // prom-client rejects only on >= 400; a redirect is not a push either.
    if (status !== undefined && (status < 200 || status > 299)) return failure(target, `answered ${status}`);
    return ok({ method, url: target.display });
  } catch (error) {
    return failure(target, describeError(error, timeoutMs));
  }
}

function statusOf(resp: unknown): number | undefined {
  const status = (resp as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A short message without credentials; never the raw error (its fields may hold the request options). */
function describeError(error: unknown, timeoutMs: number): string {
  // Duck-typed: errors raised by Node's own http layer may come from another realm (e.g. a test VM).
  const { name, code, message } = (typeof error === 'object' && error !== null ? error : {}) as Partial<NodeJS.ErrnoException>;
  if (name === 'AbortError' || name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (typeof code === 'string') return code;
  if (typeof message === 'string') return message.replace(/\n[\s\S]*/, '').slice(0, MAX_ERROR_CHARS); // its first line
  return 'failed';
}

function failure(target: PushTarget, detail: string): PushResult {
  // The detail may quote the request (and so the URL's password, registered by resolvePushTarget).
  return err(redactText(`pushing metrics to ${target.display} failed: ${detail}`));
}

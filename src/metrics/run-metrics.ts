/**
 * The batch-job metrics Prometheus recommends, built from a run's summary (pure: no I/O). Every
 * value is a gauge: a batch job pushes the state of its last run, not a counter that lives on.
 */
import { Gauge, Registry } from 'prom-client';
import type { Summary } from '../pipeline/report/index.js';
import { err, ok, type Result } from '../core/result.js';
import type { RowStatus } from '../core/types.js';

/** The part of summary.json the metrics are made of. */
export type RunMetricsSummary = Pick<Summary, 'status' | 'dryRun' | 'counts' | 'requests' | 'finishedAt' | 'durationMs'>;

export type RunMetricsResult = Result<{ registry: Registry; successful: boolean }>;

export const METRIC_NAMES = {
  lastSuccess: 'segment_sync_last_success_timestamp_seconds',
  duration: 'segment_sync_duration_seconds',
  rows: 'segment_sync_rows',
  requests: 'segment_sync_requests',
  retries: 'segment_sync_retries',
} as const;

/**
 * A success is a real run in which every customer got a definitive answer. A dry run sends
 * nothing, so it must not make a stale pipeline look fresh.
 */
export function isSuccessfulRun(summary: Pick<Summary, 'status' | 'dryRun'>): boolean {
  return summary.status === 'succeeded' && !summary.dryRun;
}

/** A fresh registry (never the global one) holding this run's metrics. */
export function buildRunMetrics(summary: RunMetricsSummary): RunMetricsResult {
  const finishedMs = Date.parse(summary.finishedAt);
  if (Number.isNaN(finishedMs)) return err(`summary.finishedAt is not a date: ${JSON.stringify(summary.finishedAt)}`);

  const registry = new Registry();
  const successful = isSuccessfulRun(summary);
  // Only a success sets it; a failed run leaves the previous value in the Pushgateway (see pushgateway.ts).
  if (successful) gauge(registry, METRIC_NAMES.lastSuccess, 'Unix time the last successful run finished').set(finishedMs / 1000);
  gauge(registry, METRIC_NAMES.duration, 'Wall-clock duration of the last run').set(summary.durationMs / 1000);
  setByStatus(gauge(registry, METRIC_NAMES.rows, 'Input rows of the last run by final status', ['status']), rowsByStatus(summary.counts));
  setByStatus(
    gauge(registry, METRIC_NAMES.requests, 'Requests of the last run by HTTP status or error kind', ['status']),
    summary.requests.byStatus,
  );
  gauge(registry, METRIC_NAMES.retries, 'Requests of the last run that were retries').set(summary.requests.retries);
  return ok({ registry, successful });
}

/** Every row status, zeros included, so that a status does not vanish from dashboards on a good night. */
export function rowsByStatus(counts: Summary['counts']): Record<RowStatus, number> {
  return {
    updated: counts.updated,
    not_found: counts.notFound,
    failed: counts.failed,
    // A summary written before `rejected` existed has none.
    rejected: counts.rejected ?? 0,
    not_sent: counts.notSent,
    invalid: counts.invalid,
    duplicate: counts.duplicates,
    // Summaries written before incremental sync have neither.
    unchanged: counts.unchanged ?? 0,
    cleared: counts.cleared ?? 0,
  };
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function setByStatus(metric: Gauge, values: Record<string, number>): void {
  for (const [status, value] of Object.entries(values)) metric.set({ status }, value);
}

/** Run metrics for Prometheus, pushed to a Pushgateway at the end of a run (`--pushgateway`). */
export { pushRunMetrics, DEFAULT_PUSH_TIMEOUT_MS, type PushRunMetricsOptions, type PushResult, type PushMethod } from './pushgateway.js';
export { buildRunMetrics, isSuccessfulRun, METRIC_NAMES, type RunMetricsSummary } from './run-metrics.js';

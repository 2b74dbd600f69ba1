/** Run metrics for Prometheus, pushed to a Pushgateway at the end of a run (`--pushgateway`). */
export { pushRunMetrics, DEFAULT_PUSH_TIMEOUT_MS, type PushRunMetricsOptions, type PushResult, type PushMethod } from './pushgateway.js';
export { resolvePushTarget, type PushTarget, type PushTargetOptions } from './push-target.js';
export { buildRunMetrics, isSuccessfulRun, METRIC_NAMES, type RunMetricsSummary } from './run-metrics.js';
export { redactUrl } from './push-target.js';

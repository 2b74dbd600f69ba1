/** The send stage: Batch → BatchResult (pacing, retries, 413 split, 400 bisect, reconcile). */
export { createHttpClient, type HttpClient, type HttpClientOptions } from './http.js';
export { createLimiter, NOT_STARTED, type Limiter, type LimiterOptions } from './limiter.js';
export { describeOutcome, type HttpOutcome } from './post-outcome.js';
export { eventLevel, type SendEventLevel } from './event-level.js';
export { endpointTarget, misconfiguration, NOT_SENT_ENDPOINT, type Misconfiguration } from './misconfiguration.js';
export { sendInOrder, type OrderedOptions } from './ordered.js';
export { reconcile, type Reconciliation } from './reconcile.js';
export { PROBE_SINGLES, RejectionWatch, type RejectionVerdict } from './rejection-watch.js';
export type { TokenProvider } from './token-renewal.js';
export { DEFAULT_RETRY_POLICY, retryDelay, validateRetryPolicy, type RetryPolicy } from './retry-policy.js';
export {
  NOT_SENT_AUTH,
  NOT_SENT_INTERRUPTED,
  NOT_SENT_REJECTED,
  Sender,
  type SendEvent,
  type SendFailure,
  type SenderOptions,
  type SenderStats,
} from './sender.js';

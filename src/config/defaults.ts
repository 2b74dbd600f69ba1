/**
 * The run's defaults: every option's (--help shows them), and fixed limits of the run next to them
 * (notFoundSample, maxResponseBytes). Defaults of internals live with their module: src/state/defaults.ts (lock, journal), src/pipeline/dedupe/defaults.ts
 * (the id index), DEFAULT_PUSH_TIMEOUT_MS (src/metrics/pushgateway.ts), DEFAULT_RUN_RECORDS
 * (src/pipeline/spool/long-sort.ts), the emulator's in src/emulator/options.ts.
 * The API publishes no limits, so these are deliberately conservative:
 * a nightly run of 1M customers at 100 per request and 5 requests/s takes about 35 minutes, which is
 * fine for a batch job and gentle on the platform. Raise --rate/--batch-size once the platform team
 * agrees to more.
 */
export const DEFAULTS = {
  idColumn: 'document_id',
  batchSize: 100,
  maxBatchBytes: 1_048_576,
  rate: 5,
  concurrency: 2,
  /**
   * More than 100 invalid rows, or more than 10% of the rows, means a broken export (a wrong
   * delimiter, shifted columns or a changed schema break rows by the thousand; a small file that is
   * mostly invalid is broken too), not a few dirty rows: send nothing.
   */
  maxInvalid: '100,10%',
  /**
   * The endpoint replaces segments: a customer sent with none loses all of them. An export where
   * more than a tenth of the customers have no segment at all is almost certainly broken (an empty
   * column, a failed join), not a night of real churn.
   */
  maxClear: '10%',
  /**
   * Most customers unknown to the endpoint means the wrong environment or id column, not stale
   * data. Checked once this many customers have been answered (or all of them, if fewer).
   */
  maxNotFound: '50%',
  notFoundSample: 1_000,
  maxAttempts: 6,
  /**
   * Seconds: the longest Retry-After the run waits for. Rate limits ask for seconds and a
   * maintenance window for minutes; five minutes rides those out. A longer wait (hours, days, or a
   * broken header) is better spent with the job stopped: it exits 1 with the rest not sent, and the
   * scheduler's retry resumes it later, instead of a pod sitting idle holding the state-dir lock.
   */
  maxRetryWait: 300,
  /**
   * Seconds an outage (every answer 5xx/429/network) is ridden out, probing with backoff, before
   * the run stops sending and exits 1. Ten minutes covers a deploy or a failover of the endpoint;
   * longer outages are for the Job's retry (backoffLimit), which resumes where this run stopped.
   */
  maxOutage: 600,
  /** Total deadline of one request, in seconds (not an idle timeout). */
  timeout: 30,
  /** Seconds that in-flight requests get to finish after SIGTERM/SIGINT/SIGHUP. */
  grace: 30,
  stateDir: './.segment-sync',
  /** Today's behaviour unless asked: diff and mirror need a state dir that outlives the run. */
  mode: 'full',
  reportRoot: './reports',
  logLevel: 'info',
  logFormat: 'auto',
  /** Seconds between progress lines on long runs. */
  progressInterval: 10,
  /** One record above this many bytes is rejected as structurally broken. */
  maxRecordBytes: 1_048_576,
  /**
   * Decoded (decompressed) bytes one input file may hold: 16 GiB, some 400M rows of a typical
   * export and 40 times the largest nightly file (~10M customers) expected. Past it, a file is far
   * more likely a runaway export or a decompression bomb than data: rejected, nothing sent.
   */
  maxInputBytes: 16 * 1024 ** 3,
  /**
   * gzip: more decoded bytes per compressed byte than this, once `compressionRatioAfterBytes` have
   * been decoded, is refused as a likely decompression bomb. CSV exports compress 3-20×, very
   * sparse ones (mostly blank cells) up to ~100×. Deflate itself cannot exceed ~1032× (all zeros),
   * and the compressed bytes counted include what the reader has buffered ahead (up to ~128 KiB),
   * so even that reads as ~450× after 100 MiB: a threshold of 1000 would never trip. Bombs of
   * repeated rows run 400-1000× (a 2 MB .gz of 67M rows is ~670×).
   */
  maxCompressionRatio: 200,
  compressionRatioAfterBytes: 100 * 1024 ** 2,
  maxFields: 1_000,
  /** Response bodies above this are treated as malformed (the answer is a short list of ids). */
  maxResponseBytes: 64 * 1_048_576,
  jobName: 'segment-sync',
} as const;

/** --mode: what a run sends (see src/pipeline/incremental.ts). */
export const MODES = ['full', 'diff', 'mirror'] as const;
export type Mode = (typeof MODES)[number];

export const ENDPOINTS = {
  production: 'https://deadpool.instaleap.io/api/v3/customers/segments',
  staging: 'https://deadpool.xandar.instaleap.io/api/v3/customers/segments',
} as const;

export type EnvName = keyof typeof ENDPOINTS;

export const USER_AGENT = 'segment-sync/0.1';

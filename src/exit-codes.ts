/**
 * The process exit codes: the one source of truth. The CLI, the README and the Kubernetes
 * podFailurePolicy (k8s/) all derive from these constants; a test fails if they drift.
 */
export const ExitCode = {
  /** Every unique valid customer got a definitive answer (updated or not_found). */
  Ok: 0,
  /** Some customers failed after their retries; they are listed in retry.csv. */
  PartialFailure: 1,
  /** Usage or configuration error: bad flag, missing token, state dir locked by another run. */
  Usage: 2,
  /** The input was rejected before anything was sent (structure, or too many invalid rows). */
  InputRejected: 3,
  /** The endpoint rejected the credentials (401/403). */
  AuthRejected: 4,
  /** Stopped by SIGINT (128 + 2). */
  Interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

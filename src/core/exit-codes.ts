/**
 * The process exit codes: the one source of truth. The CLI, the README and the Kubernetes
 * podFailurePolicy (k8s/) all derive from these constants; a test fails if they drift.
 */
export const ExitCode = {
  /** Every unique valid customer got a definitive answer (updated or not_found). */
  Ok: 0,
  /** Some customers failed after their retries; they are listed in retry.csv. */
  PartialFailure: 1,
  /**
   * Usage or configuration error: bad flag, missing token, state dir locked by another run, or an
   * endpoint URL that answered 404/405/a redirect or failed on TLS/DNS before any request succeeded.
   */
  Usage: 2,
  /** The input was rejected before anything was sent (structure, or too many invalid rows). */
  InputRejected: 3,
  /** The endpoint rejected the credentials (401/403). */
  AuthRejected: 4,
  /**
   * Sending stopped because most customers answered so far were not found (--max-not-found): the
   * wrong environment or id column. A retry cannot help.
   */
  NotFoundGuard: 5,
  /**
   * The endpoint rejects the requests themselves (a 400 for every request, the same for customers
   * sent alone: the API changed or the payload is wrong), so sending stopped within a few requests.
   * No customer is at fault and a retry cannot help.
   */
  EndpointRejectsRequests: 6,
  /**
   * The only customers not delivered are ones the endpoint rejected one by one (listed in
   * rejects.csv with its reason). A retry would be rejected the same way.
   */
  CustomersRejected: 7,
  /**
   * The report dir or the state dir could not be written: full disk (ENOSPC, EDQUOT), read-only
   * (EROFS) or permissions (EACCES, EPERM), or the path is not a directory. The message names the
   * directory. A retry on the same volume fails the same way: fix the volume, then rerun to resume.
   */
  LocalStorage: 8,
  /** Stopped by SIGHUP (128 + 1): the terminal or session went away; treated like SIGTERM. */
  HungUp: 129,
  /** Stopped by SIGINT (128 + 2). */
  Interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Exit code for a bug: an error nobody anticipated (sysexits EX_SOFTWARE). Not a product outcome. */
export const INTERNAL_ERROR_EXIT = 70;

/** One line per exit code, for --help and the README. */
export const EXIT_CODE_MEANINGS: Record<ExitCodeValue | typeof INTERNAL_ERROR_EXIT, string> = {
  [ExitCode.Ok]: 'every customer got a definitive answer (updated or not found)',
  [ExitCode.PartialFailure]: 'some customers failed after retries: see retry.csv in the report',
  [ExitCode.Usage]: 'usage or configuration error (bad option, missing token, state dir in use, wrong endpoint)',
  [ExitCode.InputRejected]: 'input rejected, nothing sent (broken file, too many invalid rows)',
  [ExitCode.AuthRejected]: 'the endpoint rejected the token',
  [ExitCode.NotFoundGuard]: 'most customers were not found (wrong environment or id column): fix the target; a retry cannot help',
  [ExitCode.EndpointRejectsRequests]: 'the endpoint rejects every request (API changed, payload wrong): see message; a retry cannot help',
  [ExitCode.CustomersRejected]: 'the only customers not delivered were rejected one by one: see rejects.csv; a retry cannot help',
  [ExitCode.LocalStorage]:
    'the report or state dir cannot be written (full disk, read-only, permissions): fix the volume, then rerun to resume',
  [ExitCode.HungUp]: 'hung up (SIGHUP): rerun the same command to resume',
  [ExitCode.Interrupted]: 'interrupted (SIGINT): rerun the same command to resume',
  [ExitCode.Terminated]: 'terminated (SIGTERM): rerun the same command to resume',
  [INTERNAL_ERROR_EXIT]: 'internal error (a bug)',
};

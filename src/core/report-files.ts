/** The names of the files in a report directory: the report contract, in one place. */
export const REPORT_FILES = {
  results: 'results.csv',
  retry: 'retry.csv',
  /** Customers the endpoint rejected one by one, with its reason (not in retry.csv). */
  rejects: 'rejects.csv',
  summary: 'summary.json',
} as const;

/** The names of the files in a report directory: the report contract, in one place. */
export const REPORT_FILES = {
  results: 'results.csv',
  retry: 'retry.csv',
  summary: 'summary.json',
} as const;

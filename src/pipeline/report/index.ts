/** The report of a run: results.csv, retry.csv, rejects.csv, summary.json, the end-of-run text, and `report merge`. */
export { neutraliseFormula, csvCell } from './csv.js';
export { REPORT_FILES } from '../../core/report-files.js';
export type { ResultRow, ResultStatus } from './result-row.js';
export { ResultsWriter } from './results-writer.js';
export { RetryWriter } from './retry-writer.js';
export { RejectsWriter, REASON_COLUMN } from './rejects-writer.js';
export type { RetrySpec } from './retry-encoding.js';
export { RowLog, type Resolution } from './row-log.js';
export { writeSummary, renderSummary, type Summary, type InputSummary, type RequestCounts } from './summary.js';
export { formatSummary } from './format-summary.js';
export { mergeReports } from './merge/merge.js';
export { humanDuration, summaryLines } from './format-summary.js';

/** One row of results.csv. (Rows are built from the pipeline's shapes in src/pipeline/result-rows.ts.) */
import type { RowStatus } from '../../core/types.js';

/** `valid`: a customer that passed validation but was not sent (dry run, or the input was rejected). */
export type ResultStatus = RowStatus | 'valid';

export interface ResultRow {
  /** Index of the input file in the run's list of inputs. */
  file: number;
  /** Physical line where the record starts (the header is line 1). */
  line: number;
  id: string;
  status: ResultStatus;
  detail: string;
}

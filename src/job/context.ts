/** What every step of the job gets, and what the job gives back. */
import type { RunConfig } from '../config/run-options.js';
import type { TokenSource } from '../config/token.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { Summary } from '../report/index.js';
import type { StopSignals } from './signals.js';
import type { Plan } from './plan.js';

export interface JobContext {
  config: RunConfig;
  log: Logger;
  signals: StopSignals;
  /** Absent in dry runs. */
  token?: TokenSource;
  runId?: string;
  /** Asked with the plan before the first request (a person at a terminal, for production); false: nothing is sent. */
  confirm?: (plan: Plan) => Promise<boolean>;
}

export interface JobResult {
  summary: Summary;
  exitCode: ExitCodeValue;
  reportDir: string;
}

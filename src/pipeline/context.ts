/** What every step of the job gets, and what the job gives back. */
import type { SendConfig, ValidateConfig } from '../config/run-options.js';
import type { TokenSource } from '../config/token.js';
import type { ExitCodeValue } from '../core/exit-codes.js';
import type { Logger } from '../core/log.js';
import type { Summary } from './report/index.js';
import type { StopSignals } from './signals.js';
import type { Plan } from './plan.js';

/** A dry run's (no token: nothing is sent) or a send's, with the token it sends. */
export type JobContext = ValidateContext | SendContext;

export interface ValidateContext extends JobBase {
  config: ValidateConfig;
  token?: undefined;
}

export interface SendContext extends JobBase {
  config: SendConfig;
  token: TokenSource;
}

/** What the command decides before the job: the config, and for a send the token read. */
export type JobTarget = Pick<ValidateContext, 'config' | 'token'> | Pick<SendContext, 'config' | 'token'>;

/** Whether the job sends: the context narrowed to a send's, whose endpoint and token are there. */
export function sends(ctx: JobContext): ctx is SendContext {
  return !ctx.config.dryRun;
}

interface JobBase {
  log: Logger;
  signals: StopSignals;
  runId?: string;
  /** Asked with the plan before the first request (a person at a terminal, for production); false: nothing is sent. */
  confirm?: (plan: Plan) => Promise<boolean>;
}

export interface JobResult {
  summary: Summary;
  exitCode: ExitCodeValue;
  reportDir: string;
}

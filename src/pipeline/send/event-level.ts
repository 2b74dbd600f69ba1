/**
 * The log level of each event the Sender reports. Pure, so the job logs every event at one place
 * (`log.log(eventLevel(event), ...)`) and the levels are tested here.
 *
 * - error: the run stops sending because of it (the token is rejected, the endpoint is misconfigured);
 * - warn: the run goes on, but something is not as it should be: a retry, a pause the endpoint asked
 *   for (429/503 with Retry-After), a 413 split, a 400 bisection, a 401 retried with a re-read
 *   token, ids in the answer that were not sent.
 */
import type { SendEvent } from './sender.js';

/** The levels used (winston's npm levels). */
export type SendEventLevel = 'error' | 'warn' | 'info' | 'debug';

export function eventLevel(event: SendEvent): SendEventLevel {
  switch (event.type) {
    case 'authRejected':
    case 'endpointMisconfigured':
    case 'requestsRejected':
    case 'unavailable':
      return 'error';
    case 'pace':
    case 'outageOver':
      return 'info';
    case 'outageStarted':
      return 'warn';
    case 'retry':
    case 'pause':
    case 'split413':
    case 'bisect400':
    case 'probe400':
    case 'authRetry':
    case 'unexpectedIds':
      return 'warn';
  }
}

/** The log level of each send event: stops are errors, everything the run rides out is a warning. */
import { eventLevel } from '../../src/pipeline/send/event-level.js';
import type { SendEvent } from '../../src/pipeline/send/sender.js';

const EVENTS: [SendEvent, string][] = [
  [{ type: 'authRejected', seq: 0, status: 401 }, 'error'],
  [{ type: 'endpointMisconfigured', seq: 0, endpoint: 'https://x/api', answer: 'HTTP 404' }, 'error'],
  [{ type: 'retry', seq: 0, attempt: 1, delayMs: 100, reason: 'HTTP 503: busy' }, 'warn'],
  [{ type: 'pause', seq: 0, ms: 1000, status: 429 }, 'warn'],
  [{ type: 'split413', seq: 0, from: 100, to: 50 }, 'warn'],
  [{ type: 'bisect400', seq: 0, size: 100, reason: 'HTTP 400: bad' }, 'warn'],
  [{ type: 'authRetry', seq: 0, status: 401 }, 'warn'],
  [{ type: 'unexpectedIds', seq: 0, count: 1, ids: ['ghost'] }, 'warn'],
];

describe('eventLevel', () => {
  it.each(EVENTS)('logs %j at %s', (event, level) => {
    expect(eventLevel(event)).toBe(level);
  });

  it('lists each event type once (a new type without a level does not compile: the switch is exhaustive)', () => {
    const types = new Set(EVENTS.map(([event]) => event.type));
    expect(types.size).toBe(EVENTS.length);
  });
});

/** --max-retry-wait and --max-outage: defaults, seconds → ms, and validation (in src/config only). */
import { UsageError } from '../../src/core/errors.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { defaultsOf, inputOptions, resolveRunConfig, sendOptions, type RawArgs } from '../../src/config/run-options.js';

const ENDPOINT = 'https://segments.example.com/api/v3/customers/segments';
const runArgs = (overrides: RawArgs = {}): RawArgs => ({
  ...defaultsOf(inputOptions),
  ...defaultsOf(sendOptions),
  files: ['a.csv'],
  endpoint: ENDPOINT,
  ...overrides,
});

describe('--max-retry-wait and --max-outage', () => {
  it('default to 300 s and 600 s, held in ms', () => {
    expect(DEFAULTS).toMatchObject({ maxRetryWait: 300, maxOutage: 600 });
    expect(resolveRunConfig(runArgs(), {})).toMatchObject({ maxRetryWaitMs: 300_000, maxOutageMs: 600_000 });
    expect(resolveRunConfig(runArgs({ maxRetryWait: 2.5, maxOutage: 20 }), {})).toMatchObject({
      maxRetryWaitMs: 2500,
      maxOutageMs: 20_000,
    });
  });

  it.each([
    ['maxRetryWait', '--max-retry-wait'],
    ['maxOutage', '--max-outage'],
  ])('%s must be a number of seconds > 0, the message names %s', (key, flag) => {
    for (const bad of [0, -1, 'soon']) {
      expect(() => resolveRunConfig(runArgs({ [key]: bad }), {})).toThrow(UsageError);
      expect(() => resolveRunConfig(runArgs({ [key]: bad }), {})).toThrow(flag);
    }
  });
});

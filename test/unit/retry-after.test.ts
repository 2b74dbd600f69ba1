import { parseRetryAfter } from '../../src/pipeline/send/retry-after.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 5 ', NOW)).toBe(5_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads an IMF-fixdate as the time left until then', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', NOW)).toBe(30_000);
  });

  it('reads the obsolete RFC 850 and asctime date formats', () => {
    expect(parseRetryAfter('Saturday, 01-Mar-25 12:00:10 GMT', NOW)).toBe(10_000);
    // asctime carries no zone: it is GMT like every HTTP date, whatever the machine's time zone.
    expect(parseRetryAfter('Sat Mar  1 12:00:20 2025', NOW)).toBe(20_000);
  });

  it('turns a date in the past into no wait', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:59:00 GMT', NOW)).toBe(0);
  });

  it('ignores absent and unreadable values instead of guessing', () => {
    for (const value of [undefined, '', '  ', 'soon', '-1', '1.5', 'Tomorrow, maybe']) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
  });
});

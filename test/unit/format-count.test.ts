/** formatCount is toLocaleString('en-US') without loading ICU for integers: the same text for every number. */
import { formatCount } from '../../src/core/text.js';

describe('formatCount', () => {
  it('groups the digits of integers in threes, as en-US does', () => {
    expect([0, 7, 999, 1000, 12345, 999999, 1000000, -1, -1234, -1234567].map(formatCount)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '12,345',
      '999,999',
      '1,000,000',
      '-1',
      '-1,234',
      '-1,234,567',
    ]);
  });

  it("writes every number as toLocaleString('en-US') does, fractions and edge values included", () => {
    const values = [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1e21, 1.5, 1234.5678, -0, NaN, Infinity, -Infinity];
    for (let digits = 1; digits <= 16; digits++)
      values.push(10 ** digits - 1, 10 ** digits, -(10 ** digits) + 1, 123456789012345 % 10 ** digits);
    for (const n of values) expect([n, formatCount(n)]).toEqual([n, n.toLocaleString('en-US')]);
  });
});

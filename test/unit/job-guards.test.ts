import { DEFAULTS } from '../../src/config/defaults.js';
import { parseThreshold } from '../../src/config/threshold.js';
import { checkGuards } from '../../src/pipeline/guards.js';
import { emptyCounts } from '../../src/pipeline/tally.js';

/** The guards as a run without options has them. */
const config = {
  maxInvalid: parseThreshold('--max-invalid', DEFAULTS.maxInvalid),
  maxClear: parseThreshold('--max-clear', DEFAULTS.maxClear),
};

function intake(read: { rows: number; invalid: number }, customers = read.rows - read.invalid, toClear = 0) {
  return { read, counts: { ...emptyCounts(), rows: read.rows, invalid: read.invalid, customers, toClear } };
}

describe('checkGuards with the defaults', () => {
  it('uses the documented defaults (100,10% invalid, 10% cleared)', () => {
    expect(config).toEqual({ maxInvalid: { count: 100, percent: 10 }, maxClear: { percent: 10 } });
  });

  it('refuses a file whose rows are all invalid, naming the option and the numbers', () => {
    const reason = checkGuards(config, intake({ rows: 60, invalid: 60 }));
    expect(reason).toBe('60 of 60 (100%) rows are invalid, more than --max-invalid 100,10%; see results.csv. Nothing was sent.');
  });

  it('refuses more invalid rows than the count even when their share is small', () => {
    expect(checkGuards(config, intake({ rows: 100_000, invalid: 101 }))).toContain(
      '101 of 100000 (0.1%) rows are invalid, more than --max-invalid 100,10%',
    );
    expect(checkGuards(config, intake({ rows: 100_000, invalid: 100 }))).toBeUndefined();
  });

  it('lets a few invalid rows through: 2 of 1000', () => {
    expect(checkGuards(config, intake({ rows: 1000, invalid: 2 }))).toBeUndefined();
  });

  it('is exact at the share: 10% passes, one more row is refused', () => {
    expect(checkGuards(config, intake({ rows: 100, invalid: 10 }))).toBeUndefined();
    expect(checkGuards(config, intake({ rows: 100, invalid: 11 }))).toContain('11 of 100 (11%)');
  });

  it('refuses a file that would clear 30% of its customers, naming --max-clear, --skip-empty and the numbers', () => {
    const reason = checkGuards(config, intake({ rows: 1000, invalid: 0 }, 1000, 300));
    expect(reason).toContain('300 of 1000 (30%) customers would have all their segments cleared');
    expect(reason).toContain('more than --max-clear 10%');
    expect(reason).toContain('raise --max-clear');
    expect(reason).toContain('--skip-empty');
    expect(reason).toMatch(/Nothing was sent\.$/);
  });

  it('lets a few clears through: 2%', () => {
    expect(checkGuards(config, intake({ rows: 1000, invalid: 0 }, 1000, 20))).toBeUndefined();
  });

  it('names the invalid rows first when both guards trip', () => {
    expect(checkGuards(config, intake({ rows: 10, invalid: 9 }, 1, 1))).toMatch(/^9 of 10 \(90%\) rows are invalid/);
  });

  it('passes an empty input (nothing to compare with)', () => {
    expect(checkGuards(config, intake({ rows: 0, invalid: 0 }))).toBeUndefined();
  });

  it('applies the thresholds given instead of the defaults', () => {
    const strict = { maxInvalid: parseThreshold('--max-invalid', '0'), maxClear: parseThreshold('--max-clear', '100%') };
    expect(checkGuards(strict, intake({ rows: 1000, invalid: 1 }))).toContain('more than --max-invalid 0;');
    expect(checkGuards(strict, intake({ rows: 10, invalid: 0 }, 10, 10))).toBeUndefined();
  });
});

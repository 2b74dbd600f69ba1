/** `--max-invalid` values: an absolute count (`50`) or a share of the data rows (`1%`). */
import { UsageError } from '../errors.js';

export type Threshold = { kind: 'count'; max: number } | { kind: 'percent'; max: number };

export function parseThreshold(option: string, text: string): Threshold {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent) {
    const max = Number(percent[1]);
    if (max > 100) throw new UsageError(`${option} must be a percentage up to 100%, got ${JSON.stringify(text)}`);
    return { kind: 'percent', max };
  }
  if (/^\d+$/.test(trimmed)) return { kind: 'count', max: Number(trimmed) };
  throw new UsageError(`${option} must be a count like 50 or a share like 1%, got ${JSON.stringify(text)}`);
}

/** Percentages are compared in whole millionths of a percent, so the comparison is exact. */
const PERCENT_SCALE = 1_000_000n;

/**
 * True when `invalid` rows out of `rows` exceed the threshold. Not `(invalid / rows) * 100 > max`:
 * in floating point 7 of 100 rows is 7.000000000000001% and would exceed --max-invalid 7%.
 */
export function exceeds(threshold: Threshold, invalid: number, rows: number): boolean {
  if (threshold.kind === 'count') return invalid > threshold.max;
  const maxScaled = BigInt(Math.round(threshold.max * Number(PERCENT_SCALE)));
  return BigInt(invalid) * 100n * PERCENT_SCALE > maxScaled * BigInt(rows);
}

export function formatThreshold(threshold: Threshold): string {
  return threshold.kind === 'count' ? String(threshold.max) : `${threshold.max}%`;
}

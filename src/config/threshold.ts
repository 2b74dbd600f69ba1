/**
 * Guardrail thresholds (`--max-invalid`, `--max-clear`, `--max-not-found`): a count (`50`), a share
 * (`1%`), or both (`100,10%`). A threshold is exceeded when the number is above its count **or**
 * its share is above its percentage: "more than 100 rows, or more than 10% of them".
 */
import { UsageError } from '../core/errors.js';

export interface Threshold {
  /** Exceeded when the number is above this. */
  count?: number;
  /** Exceeded when the share (in percent) is above this. */
  percent?: number;
}

export function parseThreshold(option: string, text: string): Threshold {
  const parts = text.split(',').map((part) => part.trim());
  const threshold: Threshold = {};
  for (const part of parts) {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(part);
    if (percent && threshold.percent === undefined) {
      const max = Number(percent[1]);
      if (max > 100) throw new UsageError(`${option} must be a percentage up to 100%, got ${JSON.stringify(text)}`);
      threshold.percent = max;
    } else if (/^\d+$/.test(part) && threshold.count === undefined) {
      threshold.count = Number(part);
    } else {
      throw new UsageError(`${option} must be a count like 50, a share like 1%, or both like 100,10%, got ${JSON.stringify(text)}`);
    }
  }
  return threshold;
}

/** Percentages are compared in whole millionths of a percent, so the comparison is exact. */
const PERCENT_SCALE = 1_000_000n;

/**
 * True when `n` out of `total` exceeds the threshold. Not `(n / total) * 100 > max`: in floating
 * point 7 of 100 rows is 7.000000000000001% and would exceed 7%.
 */
export function exceeds(threshold: Threshold, n: number, total: number): boolean {
  if (threshold.count !== undefined && n > threshold.count) return true;
  if (threshold.percent === undefined || total === 0) return false;
  const maxScaled = BigInt(Math.round(threshold.percent * Number(PERCENT_SCALE)));
  return BigInt(n) * 100n * PERCENT_SCALE > maxScaled * BigInt(total);
}

export function formatThreshold(threshold: Threshold): string {
  const parts: string[] = [];
  if (threshold.count !== undefined) parts.push(String(threshold.count));
  if (threshold.percent !== undefined) parts.push(`${threshold.percent}%`);
  return parts.join(',');
}

/** "12 of 40 (30%)": the figure a guard message quotes. */
export function describeShare(n: number, total: number): string {
  const percent = total === 0 ? 0 : (n * 100) / total;
  return `${n} of ${total} (${percent >= 10 || percent === 0 ? percent.toFixed(0) : percent.toFixed(1)}%)`;
}

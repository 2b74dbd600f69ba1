/**
 * The guardrails checked after pass 1 and before the first request: a file that is almost
 * certainly a mistake is refused with nothing sent (exit 3). Pure: the intake in, a reason out.
 */
import type { RunConfig } from '../config/run-options.js';
import { describeShare, exceeds, formatThreshold } from '../config/threshold.js';
import type { Intake } from './validate-pass.js';

/** Why the input is refused, or undefined when it may be sent. */
export function checkGuards(config: Pick<RunConfig, 'maxInvalid' | 'maxClear'>, intake: Pick<Intake, 'read' | 'counts'>): string | undefined {
  const { read, counts } = intake;
  if (exceeds(config.maxInvalid, read.invalid, read.rows)) {
    return `${describeShare(read.invalid, read.rows)} rows are invalid, more than --max-invalid ${formatThreshold(config.maxInvalid)}; see results.csv. Nothing was sent.`;
  }
  if (exceeds(config.maxClear, counts.toClear, counts.customers)) {
    return (
      `${describeShare(counts.toClear, counts.customers)} customers would have all their segments cleared (rows with every segment cell blank, ` +
      `or segments null or []), more than --max-clear ${formatThreshold(config.maxClear)}. If that is meant, raise --max-clear; ` +
      'to skip blank rows instead, use --skip-empty. Nothing was sent.'
    );
  }
  return undefined;
}

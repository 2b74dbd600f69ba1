/**
 * The guardrails checked after pass 1 and before the first request: a file that is almost
 * certainly a mistake is refused with nothing sent (exit 3). Pure: the intake in, a reason out.
 */
import type { RunConfig } from '../config/run-options.js';
import { describeShare, exceeds, formatThreshold } from '../config/threshold.js';
import type { Intake } from './validate-pass.js';

/**
 * Why the input is refused, or undefined when it may be sent. `clears`: mirror's customers gone
 * from the input (already in counts.toClear), who count among the customers the share is of.
 */
export function checkGuards(
  config: Pick<RunConfig, 'maxInvalid' | 'maxClear'>,
  intake: Pick<Intake, 'read' | 'counts'>,
  clears = 0,
): string | undefined {
  const { read, counts } = intake;
  if (exceeds(config.maxInvalid, read.invalid, read.rows)) {
    return `${describeShare(read.invalid, read.rows)} rows are invalid, more than --max-invalid ${formatThreshold(config.maxInvalid)}; see results.csv. Nothing was sent.`;
  }
  const customers = counts.customers + clears;
  if (exceeds(config.maxClear, counts.toClear, customers)) {
    const blankRows = counts.toClear - clears;
    const blank = 'rows with every segment cell blank, or segments null or []';
    const gone = `${clears} gone from the input, which --mode mirror clears`;
    const why = clears === 0 ? blank : blankRows > 0 ? `${gone}; ${blankRows} ${blank}` : gone;
    const hints = [
      ...(blankRows > 0 ? ['to skip blank rows instead, use --skip-empty'] : []),
      ...(clears > 0 ? ['a file that lost customers is better fixed at the source'] : []),
    ];
    return (
      `${describeShare(counts.toClear, customers)} customers would have all their segments cleared (${why}), ` +
      `more than --max-clear ${formatThreshold(config.maxClear)}. If that is meant, raise --max-clear${hints.map((h) => `; ${h}`).join('')}. Nothing was sent.`
    );
  }
  return undefined;
}

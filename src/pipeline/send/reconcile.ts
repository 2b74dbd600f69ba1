/**
 * Matching a 200 answer to the request. The endpoint lists the ids it updated; a sent id it leaves
 * out was not found (or not updated), and there is no per-customer error to say which.
 *
 * Ids the answer lists that were never sent are not trusted with memory or the stack: a hostile or
 * broken endpoint may list hundreds of thousands of them. Only a count and a small sample (for the
 * log) are kept; the outcomes of the ids sent stay exact whatever the answer holds.
 */

/** How many unexpected ids are kept for the log, per answer. */
export const UNEXPECTED_SAMPLE_SIZE = 20;

export interface Reconciliation {
  /** Aligned with the sent ids. */
  outcomes: ('updated' | 'not_found')[];
  /** A sample (the first ones, each once, in the answer's order) of the ids the answer lists that were not sent: logged, never counted. */
  unexpectedIds: string[];
  /** How many distinct ids the answer lists that were not sent. */
  unexpectedCount: number;
}

export function reconcile(sentIds: readonly string[], updated: readonly string[], sampleSize = UNEXPECTED_SAMPLE_SIZE): Reconciliation {
  // The usual answer lists exactly the ids sent, in the order sent: no sets to build.
  if (sameInOrder(sentIds, updated))
    return { outcomes: new Array<'updated'>(sentIds.length).fill('updated'), unexpectedIds: [], unexpectedCount: 0 };
  const sentSet = new Set(sentIds);
  const updatedSent = new Set<string>();
  const unexpected = new Set<string>();
  const sample: string[] = [];
  for (const id of updated) {
    if (sentSet.has(id)) {
      updatedSent.add(id);
    } else if (!unexpected.has(id)) {
      unexpected.add(id);
      if (sample.length < sampleSize) sample.push(id);
    }
  }
  return {
    outcomes: sentIds.map((id) => (updatedSent.has(id) ? 'updated' : 'not_found')),
    unexpectedIds: sample,
    unexpectedCount: unexpected.size,
  };
}

function sameInOrder(sent: readonly string[], updated: readonly string[]): boolean {
  if (sent.length !== updated.length) return false;
  for (let i = 0; i < sent.length; i++) if (sent[i] !== updated[i]) return false;
  return true;
}

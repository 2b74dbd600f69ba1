/**
 * Matching a 200 answer to the request. The endpoint lists the ids it updated; a sent id it leaves
 * out was not found (or not updated), and there is no per-customer error to say which.
 */

export interface Reconciliation {
  /** Aligned with the sent ids. */
  outcomes: ('updated' | 'not_found')[];
  /** Ids the answer lists that were not sent, each once: logged, never counted. */
  unexpectedIds: string[];
}

export function reconcile(sentIds: readonly string[], updated: readonly string[]): Reconciliation {
  const updatedSet = new Set(updated);
  const sentSet = new Set(sentIds);
  return {
    outcomes: sentIds.map((id) => (updatedSet.has(id) ? 'updated' : 'not_found')),
    unexpectedIds: [...updatedSet].filter((id) => !sentSet.has(id)),
  };
}

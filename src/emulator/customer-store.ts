/**
 * The customers' segments as the endpoint holds them, with the endpoint's replace semantics.
 */
import type { Customer, Segment } from '../core/types.js';

export class CustomerStore {
  private readonly segments = new Map<string, Segment[] | null>();

  constructor(private readonly known: ReadonlySet<string> | 'all') {}

  /**
   * Replaces the segments of every listed customer that exists. Only the first occurrence of an id
   * in one request counts (as the platform documents); unknown ids are skipped. Returns the updated
   * ids once each, in request order.
   */
  apply(customers: readonly Customer[]): string[] {
    const updated: string[] = [];
    const seen = new Set<string>();
    for (const { document_id: id, segments } of customers) {
      if (seen.has(id)) continue;
      seen.add(id);
      if (!this.exists(id)) continue;
      this.segments.set(id, segments);
      updated.push(id);
    }
    return updated;
  }

  snapshot(): Record<string, Segment[] | null> {
    return Object.fromEntries(this.segments);
  }

  clear(): void {
    this.segments.clear();
  }

  private exists(id: string): boolean {
    return this.known === 'all' || this.known.has(id);
  }
}

/**
 * What an incremental night (issue 9) must do, stated from the issue and the shared spec alone; it
 * shares no code with src/. The night's input is first read by the existing oracle (oracle.ts:
 * rows, duplicates, invalid rows, the customers and their segments); this file adds the memory of
 * one endpoint — per customer, the segment SET last acknowledged, whether it was updated or not
 * found, and the night since when it holds — and from it decides which customers are sent, which
 * are `unchanged`, which are `cleared`, the counts, and what the endpoint holds afterwards.
 *
 * Rules (issue 9):
 * - segments are a set: order of columns or rows, and repeats, are no change; type and value are
 *   compared after trimming (the reader trims);
 * - diff/mirror send customers that are new or whose set differs; a customer remembered as
 *   not_found is not sent again while its set is the same, unless --recheck-not-found;
 *   --full-resync sends everyone;
 * - mirror clears (sends `segments: []` for) customers whose last acknowledged set is updated and
 *   not empty and who are absent from the valid input, except those whose row is invalid with a
 *   readable id; none on a state that was empty;
 * - only acknowledged answers are remembered (updated or not_found); `since` changes only when the
 *   set or the status changes.
 */
import type { Expectation, ExpectedRow, Segment } from './oracle.js';

export type Mode = 'diff' | 'mirror';

export interface Tracked {
  /** The segment set as a canonical key. */
  key: string;
  status: 'updated' | 'not_found';
  /** The night (index given by the test) since when this key and status hold. */
  since: number;
}

/** The memory of one endpoint, as the issue requires the CLI to keep it. */
export type EndpointMemory = Map<string, Tracked>;

export const EMPTY_KEY = setKey([]);

/** A segment set as a canonical string: sorted, repeats once. null (json layout) is the empty set. */
export function setKey(segments: readonly Segment[] | null): string {
  const pairs = new Set((segments ?? []).map((s) => JSON.stringify([s.type, s.value])));
  return `[${[...pairs].sort().join(',')}]`;
}

/** Segments sorted, for comparing what the endpoint holds regardless of order. */
export function sortedSegments(segments: readonly Segment[] | null): Segment[] | null {
  if (segments === null) return null;
  return [...segments].sort((a, b) =>
    a.type === b.type ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.type < b.type ? -1 : 1,
  );
}

export function normalizedState(state: Record<string, Segment[] | null>): Record<string, Segment[] | null> {
  return Object.fromEntries(Object.entries(state).map(([id, segments]) => [id, sortedSegments(segments)]));
}

export type IncrementalStatus = ExpectedRow['status'] | 'unchanged' | 'cleared';

export interface IncrementalRow {
  /** null for a clear row (empty `line` cell). */
  line: number | null;
  id: string;
  status: IncrementalStatus;
  keptLine?: number;
  /** unchanged rows: the night since when, and whether it is a remembered not_found. */
  since?: number;
  notFound?: boolean;
}

export interface NightOptions {
  mode: Mode;
  fullResync?: boolean;
  recheckNotFound?: boolean;
  known: ReadonlySet<string> | 'all';
  /**
   * A --full-resync rerun after an interrupted one: the customers acknowledged since that resync
   * began, which are not sent again while their set is the same.
   */
  acknowledgedSinceResync?: ReadonlySet<string>;
}

export interface NightPlan {
  /** Input customers to send, with their segments. */
  send: Map<string, Segment[] | null>;
  /** Mirror: ids to clear, sorted. */
  clears: string[];
  /** Input customers not sent, with their memory. */
  unchanged: Map<string, Tracked>;
  /** Every results.csv row: the input rows in order, then the clears. */
  rows: IncrementalRow[];
  counts: {
    rows: number;
    invalid: number;
    duplicates: number;
    customers: number;
    updated: number;
    notFound: number;
    unchanged: number;
    cleared: number;
    failed: number;
    rejected: number;
    notSent: number;
  };
  /** Ids the CLI sends tonight (customers and clears). */
  wire: Set<string>;
  /** The endpoint's customers afterwards (sorted segments), over what it held before. */
  endpointAfter(before: Record<string, Segment[] | null>): Record<string, Segment[] | null>;
  /** --max-clear's numerator and denominator (issue 9): empty sends plus clears, over customers plus clears. */
  clearShare: { clearing: number; over: number };
}

function isKnown(known: ReadonlySet<string> | 'all', id: string): boolean {
  return known === 'all' || known.has(id);
}

export function planNight(memory: EndpointMemory, night: Expectation, options: NightOptions): NightPlan {
  const { mode, fullResync = false, recheckNotFound = false, known, acknowledgedSinceResync = new Set<string>() } = options;
  const send = new Map<string, Segment[] | null>();
  const unchanged = new Map<string, Tracked>();
  for (const [id, segments] of night.customers) {
    const tracked = memory.get(id);
    const same = tracked !== undefined && tracked.key === setKey(segments);
    const skip = same && (!fullResync || acknowledgedSinceResync.has(id)) && (tracked.status === 'updated' || !recheckNotFound);
    if (skip) unchanged.set(id, tracked);
    else send.set(id, segments);
  }
  // A row of an id is invalid and no valid row claims it: its id is protected from clears.
  const protectedIds = new Set(
    night.rows.filter((r) => r.status === 'invalid' && r.id !== '' && !night.customers.has(r.id)).map((r) => r.id),
  );
  const clears =
    mode === 'mirror'
      ? [...memory]
          .filter(([id, t]) => t.status === 'updated' && t.key !== EMPTY_KEY && !night.customers.has(id) && !protectedIds.has(id))
          .map(([id]) => id)
          .sort()
      : [];

  const rows: IncrementalRow[] = night.rows.map((row) => {
    const base: IncrementalRow = {
      line: row.line,
      id: row.id,
      status: row.status,
      ...(row.keptLine !== undefined && { keptLine: row.keptLine }),
    };
    const tracked = (row.status === 'updated' || row.status === 'not_found') && unchanged.get(row.id);
    if (!tracked) return base;
    return { ...base, status: 'unchanged', since: tracked.since, notFound: tracked.status === 'not_found' };
  });
  for (const id of clears) rows.push({ line: null, id, status: isKnown(known, id) ? 'cleared' : 'not_found' });

  const sentKnown = [...send.keys()].filter((id) => isKnown(known, id)).length;
  const clearsKnown = clears.filter((id) => isKnown(known, id)).length;
  const emptySends = [...send.values()].filter((s) => s === null || s.length === 0).length;
  return {
    send,
    clears,
    unchanged,
    rows,
    counts: {
      rows: night.counts.rows,
      invalid: night.counts.invalid,
      duplicates: night.counts.duplicates,
      customers: night.counts.customers,
      updated: sentKnown,
      notFound: send.size - sentKnown + clears.length - clearsKnown,
      unchanged: unchanged.size,
      cleared: clearsKnown,
      failed: 0,
      rejected: 0,
      notSent: 0,
    },
    wire: new Set([...send.keys(), ...clears]),
    endpointAfter(before) {
      const after = normalizedState(before);
      for (const [id, segments] of send) if (isKnown(known, id)) after[id] = sortedSegments(segments);
      for (const id of clears) if (isKnown(known, id)) after[id] = [];
      return after;
    },
    clearShare: { clearing: emptySends + clears.length, over: night.customers.size + clears.length },
  };
}

/**
 * What the CLI must remember once these ids of the plan were acknowledged on night `nightIndex`
 * (all of them for a clean run; a subset for a killed one).
 */
export function remember(
  memory: EndpointMemory,
  plan: NightPlan,
  acknowledged: Iterable<string>,
  nightIndex: number,
  known: ReadonlySet<string> | 'all',
): void {
  for (const id of acknowledged) {
    const key = plan.send.has(id) ? setKey(plan.send.get(id)!) : EMPTY_KEY;
    const status = isKnown(known, id) ? 'updated' : 'not_found';
    const before = memory.get(id);
    const since = before !== undefined && before.key === key && before.status === status ? before.since : nightIndex;
    memory.set(id, { key, status, since });
  }
}

/**
 * The spool of validated customers: what pass 1 checked is what pass 2 sends, whatever happens to
 * the input files in between (renamed over, rewritten, appended to). Wide and json customers are
 * written as they are met (their ordinals ascend); long-layout records go through the external sort
 * and come out grouped by customer. Reading merges both by ordinal, so customers come out in order
 * of first occurrence, each as its wire JSON, serialised once.
 */
import type { CustomerRow, Segment } from '../../core/types.js';
import { LongSorter } from './long-sort.js';
import { customerJson, gatheredCustomerJson, segmentJson } from './wire.js';
import { EMPTY_FINGERPRINT } from '../../state/index.js';
import { jsonString, readScratchLines, ScratchWriter } from './scratch-file.js';

export interface CustomerSpoolOptions {
  dir: string;
  /** Long records held in memory per sorted run (tests make it small). */
  longRunRecords?: number;
  /** Compute each long-layout customer's segments fingerprint as it is gathered (runs that keep the state). */
  fingerprints?: boolean;
}

export class CustomerSpool {
  private readonly flat: ScratchWriter;
  private readonly long: LongSorter;
  private readonly dir: string;
  /** mirror: the customers gone from the input, cleared after the input's (appendClears). */
  private clears: ScratchWriter | undefined;
  private finished = false;

  constructor(opts: CustomerSpoolOptions) {
    this.dir = opts.dir;
    this.flat = ScratchWriter.create(opts.dir, 'segment-sync-customers');
    this.long = new LongSorter({ dir: opts.dir, runRecords: opts.longRunRecords, fingerprints: opts.fingerprints ?? false });
  }
  /** Every customer is spooled with its segments. */
  wantsSegments(): boolean {
    return true;
  }

  /**
   * A wide or json customer (ordinals must ascend), with the fingerprint of its segments in runs
   * that keep the state (fingerprintOf() in state/segments-fingerprint.ts).
   */
  addCustomer(ordinal: number, id: string, segments: Segment[] | null, fingerprint?: number): void {
    const clears = segments === null || segments.length === 0;
    this.flat.writeLine(`${ordinal}\t${clears ? 1 : 0}\t${fingerprint ?? ''}\t${JSON.stringify(id)}\t${customerJson(id, segments)}`);
  }

  /** The long-layout customers only, gathered, in ordinal order (their fingerprints are known only now). */
  longCustomers(skip: (ordinal: number) => boolean = () => false): AsyncGenerator<CustomerRow[]> {
    if (!this.finished) throw new TypeError('CustomerSpool.longCustomers() before finish()');
    return this.long.customers(skip);
  }

  /**
   * mirror, after finish(): customers gone from the input, to be sent with no segments, with the
   * ordinals from `first` on (higher than every input customer's, so they come out last).
   */
  appendClears(first: number, ids: Iterable<string>): void {
    if (!this.finished || this.clears !== undefined) throw new TypeError('CustomerSpool.appendClears() before finish() or twice');
    const writer = ScratchWriter.create(this.dir, 'segment-sync-clears');
    let ordinal = first;
    for (const id of ids) writer.writeLine(`${ordinal++}\t1\t${EMPTY_FINGERPRINT}\t${JSON.stringify(id)}\t${customerJson(id, [])}`);
    writer.close();
    this.clears = writer;
  }

  /** A valid record of a long-layout customer: one segment, or none (a blank type and value). */
  addLongRecord(ordinal: number, id: string, segment: Segment | undefined): void {
    this.long.add(ordinal, id, segment);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.flat.close();
    this.long.finish();
  }

  /** Every customer in ordinal order, a chunk at a time, but those `skip` names. Can be read again. */
  async *customers(skip: (ordinal: number) => boolean = () => false): AsyncGenerator<CustomerRow[]> {
    if (!this.finished) throw new TypeError('CustomerSpool.customers() before finish()');
    const flat = flatCustomers(this.flat.path, skip);
    const long = this.long.customers(skip);
    try {
      yield* mergeByOrdinal(flat, long);
      if (this.clears !== undefined) yield* flatCustomers(this.clears.path, skip);
    } finally {
      // A reader that stops early (the plan's sample) must not leave the files open.
      await flat.return(undefined);
      await long.return(undefined);
    }
  }
}

/** Two ascending streams of customers as one (an ordinal is in one of them only). */
async function* mergeByOrdinal(flat: AsyncIterator<CustomerRow[]>, long: AsyncIterator<CustomerRow[]>): AsyncGenerator<CustomerRow[]> {
  let a: CustomerRow[] = [];
  let b: CustomerRow[] = [];
  let i = 0;
  let j = 0;
  let flatDone = false;
  let longDone = false;
  for (;;) {
    if (i === a.length && !flatDone) {
      const next = await flat.next();
      if (next.done) flatDone = true;
      else [a, i] = [next.value, 0];
      continue;
    }
    if (j === b.length && !longDone) {
      const next = await long.next();
      if (next.done) longDone = true;
      else [b, j] = [next.value, 0];
      continue;
    }
    if (i === a.length && j === b.length) return;
    // Both sides ascend: take from each side while it holds the lower ordinals.
    const out: CustomerRow[] = [];
    i = takeLower(a, i, b[j], longDone, out);
    j = takeLower(b, j, a[i], flatDone, out);
    if (out.length > 0) yield out;
  }
}

/**
 * Moves rows of one side, from[at…], to `out` while they come before `next`, the other side's
 * next row (all of them once the other side is done, none while it waits for its next chunk).
 * Returns the index of the first row left.
 */
function takeLower(from: CustomerRow[], at: number, next: CustomerRow | undefined, otherDone: boolean, out: CustomerRow[]): number {
  for (let row = from[at]; row !== undefined; row = from[++at]) {
    if (next === undefined ? !otherDone : row.ordinal >= next.ordinal) break;
    out.push(row);
  }
  return at;
}

async function* flatCustomers(file: string, skip: (ordinal: number) => boolean): AsyncGenerator<CustomerRow[]> {
  for await (const lines of readScratchLines(file)) {
    const out: CustomerRow[] = [];
    for (const line of lines) {
      // ordinal \t clears (0|1) \t fingerprint ('' when not kept) \t id JSON \t wire JSON
      const tab = line.indexOf('\t');
      const ordinal = Number(line.slice(0, tab));
      if (skip(ordinal)) continue;
      const idStart = line.indexOf('\t', tab + 3) + 1;
      const idEnd = line.indexOf('\t', idStart);
      const id = jsonString(line.slice(idStart, idEnd));
      const customer: CustomerRow = { ordinal, id, json: line.slice(idEnd + 1), clears: line.charCodeAt(tab + 1) === 0x31 };
      if (idStart > tab + 4) customer.fingerprint = Number(line.slice(tab + 3, idStart - 1));
      out.push(customer);
    }
    // A slice of a string keeps the whole string alive, and every line is a slice of its 256 KiB
    // chunk: a few customers kept out of each chunk (diff: the 1% that changed) held every chunk
    // they came from until sent, 730 MB for 2M customers. Those few are copied free of it.
    if (out.length < lines.length) for (const customer of out) detach(customer);
    if (out.length > 0) yield out;
  }
}

function detach(customer: CustomerRow): void {
  customer.id = copyOf(customer.id);
  customer.json = copyOf(customer.json);
}

/** A flat copy of `text` that shares no storage with the string it was sliced from. */
function copyOf(text: string): string {
  // Slicing a concatenation flattens it into new storage first (V8; what Buffer round trips do, cheaper).
  return ` ${text}`.slice(1);
}

/** What pass 1 writes validated customers to: the spool of a run that sends, or a dry run's sample. */
export type CustomerSink = Pick<
  CustomerSpool,
  'addCustomer' | 'addLongRecord' | 'finish' | 'customers' | 'appendClears' | 'longCustomers' | 'wantsSegments'
>;

/**
 * A dry run sends nothing, so it keeps only the first customers, for the plan's sample body:
 * serialising every customer was a third of a dry run's time.
 */
export class CustomerSample implements CustomerSink {
  private readonly flat: CustomerRow[] = [];
  private readonly long = new Map<number, { id: string; segments: string[] }>();

  constructor(private readonly size: number) {}

  /** Until the sample is full: the rows after it need no segments (building them was a dry run's largest allocation). */
  wantsSegments(): boolean {
    return this.flat.length + this.long.size < this.size;
  }

  addCustomer(ordinal: number, id: string, segments: Segment[] | null): void {
    if (ordinal >= this.size) return;
    const json = customerJson(id, segments);
    this.flat.push({ ordinal, id, json, clears: segments === null || segments.length === 0 });
  }

  addLongRecord(ordinal: number, id: string, segment: Segment | undefined): void {
    if (ordinal >= this.size) return;
    const customer = this.long.get(ordinal) ?? { id, segments: [] };
    this.long.set(ordinal, customer);
    const json = segment === undefined ? undefined : segmentJson(segment);
    if (json !== undefined && !customer.segments.includes(json)) customer.segments.push(json);
  }

  finish(): void {}

  appendClears(): void {
    // Runs that keep the state (the only ones with clears) spool every customer.
    throw new TypeError("a dry run's customer sample cannot hold clears");
  }

  longCustomers(): AsyncGenerator<CustomerRow[]> {
    throw new TypeError("a dry run's customer sample keeps no fingerprints");
  }

  async *customers(skip: (ordinal: number) => boolean = () => false): AsyncGenerator<CustomerRow[]> {
    const long = [...this.long].map(([ordinal, c]): CustomerRow => ({
      ordinal,
      id: c.id,
      json: gatheredCustomerJson(JSON.stringify(c.id), c.segments),
      clears: c.segments.length === 0,
    }));
    const all = [...this.flat, ...long].filter((c) => !skip(c.ordinal)).sort((a, b) => a.ordinal - b.ordinal);
    if (all.length > 0) yield all;
  }
}

/**
 * The records of long-layout customers, grouped by customer whatever their order in the input:
 * an external sort by ordinal. Records are held in memory up to `runRecords`, then sorted and
 * spilled to a scratch file (a "run"); at the end the runs are merged with a heap. Memory stays
 * bounded by one run plus a read buffer per run, however many customers the file has.
 *
 * Ties keep input order (each run is sorted stably, and runs are in input order), so a customer's
 * segments are sent in the order their rows appear.
 */
import type { CustomerRow, Segment } from '../../core/types.js';
import { jsonString, readScratchLines, ScratchWriter } from './scratch-file.js';
import { gatheredCustomerJson, segmentJson } from './wire.js';
import { fingerprintOf } from '../../state/index.js';

export interface LongSorterOptions {
  /** Where runs are spilled. */
  dir: string;
  /** Records kept in memory before a run is spilled. */
  runRecords?: number;
  /** Compute each customer's segments fingerprint as it is gathered. */
  fingerprints?: boolean;
}

export const DEFAULT_RUN_RECORDS = 200_000;

/**
 * What the merge reads of all the runs at once. A run's current chunk costs about ten times its
 * size in memory (the bytes, their decoded text, the lines sliced from it, and the chunks before it
 * that the collector has not reclaimed yet), and every run is open during the merge, so the chunk
 * shrinks as runs multiply. A merge of 150 runs (30M records make as many at the default run size)
 * peaked at 385 MB RSS reading 256 KiB of each, at 178 MB reading ~27 KiB (4 MiB for all of them).
 * A file of few runs still reads 256 KiB of each.
 */
const MERGE_READ_BYTES = 4 << 20;
const MIN_RUN_CHUNK_BYTES = 16 << 10;
const MAX_RUN_CHUNK_BYTES = 256 << 10;

/** The read chunk of each of `runs` runs merged together. */
export function runChunkBytes(runs: number): number {
  return Math.min(MAX_RUN_CHUNK_BYTES, Math.max(MIN_RUN_CHUNK_BYTES, Math.floor(MERGE_READ_BYTES / Math.max(1, runs))));
}

/**
 * One record as sorted: `ordinal \t id JSON \t segment JSON ('' for "no segments")`. ordinals[i]
 * and lines[i] are one record: they are always pushed together.
 */
interface Pending {
  ordinals: number[];
  lines: string[];
}

export class LongSorter {
  private pending: Pending = { ordinals: [], lines: [] };
  private readonly runs: string[] = [];
  private readonly runRecords: number;
  private finished: Pending | undefined;

  constructor(private readonly opts: LongSorterOptions) {
    this.runRecords = opts.runRecords ?? DEFAULT_RUN_RECORDS;
  }

  /** A valid record of customer `ordinal`: one segment, or none (a blank type and value). */
  add(ordinal: number, id: string, segment: Segment | undefined): void {
    if (this.finished !== undefined) throw new TypeError('LongSorter.add() after finish()');
    this.pending.ordinals.push(ordinal);
    this.pending.lines.push(`${JSON.stringify(id)}\t${segment === undefined ? '' : segmentJson(segment)}`);
    if (this.pending.ordinals.length >= this.runRecords) this.spill();
  }

  /** Ends the input; records are not accepted after this. */
  finish(): void {
    if (this.finished !== undefined) throw new TypeError('LongSorter.finish() called twice');
    // The last run stays in memory: a small file never touches the disk.
    this.finished = sorted(this.pending);
    this.pending = { ordinals: [], lines: [] };
  }

  /**
   * The customers, in ordinal order, a chunk at a time; `skip(ordinal)` leaves a customer out.
   * Repeated (type, value) pairs of one customer count once.
   */
  async *customers(skip: (ordinal: number) => boolean): AsyncGenerator<CustomerRow[]> {
    const last = this.finished;
    if (last === undefined) throw new TypeError('LongSorter.customers() before finish()');
    const chunkBytes = runChunkBytes(this.runs.length);
    const sources: RunCursor[] = this.runs.map((file) => new RunCursor(fileLines(file, chunkBytes)));
    sources.push(new RunCursor(memoryLines(last)));
    try {
      yield* this.merge(sources, skip);
    } finally {
      for (const source of sources) await source.close();
    }
  }

  private async *merge(sources: RunCursor[], skip: (ordinal: number) => boolean): AsyncGenerator<CustomerRow[]> {
    const heap = new CursorHeap();
    for (const source of sources) if (await source.advance()) heap.push(source);
    let out: CustomerRow[] = [];
    let current: { ordinal: number; idJson: string; segments: string[] } | undefined;
    const close = (): void => {
      if (current === undefined || skip(current.ordinal)) return;
      out.push(customerOf(current.ordinal, current.idJson, current.segments, this.opts.fingerprints ?? false));
    };
    while (heap.size > 0) {
      const top = heap.peek();
      const { ordinal, rest } = top;
      if (current === undefined || current.ordinal !== ordinal) {
        close();
        const tab = rest.indexOf('\t');
        current = { ordinal, idJson: rest.slice(0, tab), segments: [] };
        if (out.length >= 1000) {
          yield out;
          out = [];
        }
      }
      const segmentJson = rest.slice(rest.indexOf('\t') + 1);
      if (segmentJson !== '' && !current.segments.includes(segmentJson)) current.segments.push(segmentJson);
      if (await top.advance()) heap.siftTop();
      else heap.pop();
    }
    close();
    if (out.length > 0) yield out;
  }

  /** Runs spilled to disk so far (for tests and the plan's figures). */
  get spilledRuns(): number {
    return this.runs.length;
  }

  private spill(): void {
    const run = sorted(this.pending);
    this.pending = { ordinals: [], lines: [] };
    const writer = ScratchWriter.create(this.opts.dir, 'segment-sync-long-run');
    for (let i = 0; i < run.ordinals.length; i++) writer.writeLine(`${run.ordinals[i]}\t${run.lines[i]}`);
    writer.close();
    this.runs.push(writer.path);
  }
}

/**
 * The customer's wire JSON (see wire.ts). A customer
 * whose only record is blank has no segments: sending [] clears them.
 */
function customerOf(ordinal: number, idJson: string, segments: string[], fingerprint: boolean): CustomerRow {
  const customer: CustomerRow = {
    ordinal,
    id: jsonString(idJson),
    json: gatheredCustomerJson(idJson, segments),
    clears: segments.length === 0,
  };
  if (fingerprint) customer.fingerprint = fingerprintOf(segments.map((json) => JSON.parse(json) as Segment));
  return customer;
}

/** Stable sort of the pending records by ordinal. */
function sorted(pending: Pending): Pending {
  const { ordinals, lines } = pending;
  if (lines.length !== ordinals.length) throw new RangeError(`a long-layout run has ${ordinals.length} ordinals but ${lines.length} lines`);
  // `as`: `order` holds the indices of `ordinals`, which has as many entries as `lines`.
  const order = ordinals.map((_, i) => i);
  order.sort((a, b) => (ordinals[a] as number) - (ordinals[b] as number) || a - b);
  return { ordinals: order.map((i) => ordinals[i] as number), lines: order.map((i) => lines[i] as string) };
}

type LineChunks = AsyncIterator<{ ordinals?: number[]; lines: string[] }>;

async function* fileLines(file: string, chunkBytes: number): AsyncGenerator<{ lines: string[] }> {
  for await (const lines of readScratchLines(file, chunkBytes)) yield { lines };
}

async function* memoryLines(run: Pending): AsyncGenerator<{ ordinals: number[]; lines: string[] }> {
  yield run;
}

/** The current record of one sorted run. */
class RunCursor {
  ordinal = 0;
  /** The record without its ordinal. */
  rest = '';
  private chunk: { ordinals?: number[]; lines: string[] } = { lines: [] };
  private at = 0;

  constructor(private readonly source: LineChunks) {}

  async close(): Promise<void> {
    await this.source.return?.(undefined);
  }

  /** Moves to the next record; false at the end of the run. */
  async advance(): Promise<boolean> {
    while (this.at >= this.chunk.lines.length) {
      const next = await this.source.next();
      if (next.done) return false;
      this.chunk = next.value;
      this.at = 0;
    }
    const i = this.at++;
    const { ordinals, lines } = this.chunk;
    // `as`: the loop above left i < lines.length, and a run in memory has an ordinal per line (Pending).
    const line = lines[i] as string;
    if (ordinals !== undefined) {
      this.ordinal = ordinals[i] as number;
      this.rest = line;
    } else {
      const tab = line.indexOf('\t');
      this.ordinal = Number(line.slice(0, tab));
      this.rest = line.slice(tab + 1);
    }
    return true;
  }
}

type HeapItem = { cursor: RunCursor; run: number };

/** A binary min-heap of cursors by current ordinal; ties go to the earlier run (input order). */
class CursorHeap {
  private readonly items: HeapItem[] = [];
  private runs = 0;

  get size(): number {
    return this.items.length;
  }

  push(cursor: RunCursor): void {
    this.items.push({ cursor, run: this.runs++ });
    this.up(this.items.length - 1);
  }

  peek(): RunCursor {
    const top = this.items[0];
    if (top === undefined) throw new RangeError('CursorHeap.peek() on an empty heap');
    return top.cursor;
  }

  /** The top cursor moved on: restore the heap. */
  siftTop(): void {
    this.down(0);
  }

  pop(): void {
    const last = this.items.pop();
    if (last === undefined || this.items.length === 0) return;
    this.items[0] = last;
    this.down(0);
  }

  // less() and swap() get indices below items.length (up() and down() check), hence their `as`.
  private less(a: number, b: number): boolean {
    const x = this.items[a] as HeapItem;
    const y = this.items[b] as HeapItem;
    return x.cursor.ordinal < y.cursor.ordinal || (x.cursor.ordinal === y.cursor.ordinal && x.run < y.run);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < this.items.length && this.less(l, smallest)) smallest = l;
      if (r < this.items.length && this.less(r, smallest)) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.items[a] as HeapItem;
    this.items[a] = this.items[b] as HeapItem;
    this.items[b] = t;
  }
}

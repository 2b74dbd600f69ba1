/**
 * Request bodies as the bytes sent, without building them as one string first.
 *
 * A body of 1,000 customers is 100-150 KB. Built as a string (the customers' JSON joined) and
 * handed to axios, it cost two large allocations per request: V8 flattens the string into a large
 * object (strings above 128 KiB get pages of their own) and Buffer.from() mallocs a fresh buffer
 * above glibc's mmap threshold; both are mapped, faulted in and unmapped per request. That was
 * ~2 s of a million customers' sending and tens of MB of RSS. Here each customer's JSON is
 * encoded straight into a buffer that is reused by later requests once the request that used it
 * has been written out.
 */
import type { CustomerRow } from '../../core/types.js';

const OPEN = '{"customers":[';
const CLOSE = ']}';
const COMMA = 0x2c;
/** A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

/**
 * The body of one request, `{"customers":[…]}` of customers [start, end) of a batch, kept as the
 * customers' serialised JSON. `toString()` is the same body as text (what `encodeInto` writes).
 */
export class RequestBody {
  constructor(
    private readonly customers: readonly CustomerRow[],
    private readonly start = 0,
    private readonly end = customers.length,
  ) {}

  /** How many customers the body lists. */
  get size(): number {
    return this.end - this.start;
  }

  /** An upper bound of the body's UTF-8 bytes (exact for ASCII JSON times 3), without measuring each customer. */
  private bound(): number {
    let units = OPEN.length + CLOSE.length + Math.max(0, this.size - 1);
    for (let i = this.start; i < this.end; i++) units += this.json(i).length;
    return units * MAX_BYTES_PER_UNIT;
  }

  /** The body's bytes, in a buffer of `buffers` (returned to it with `release`) or a new one. */
  encode(buffers: BodyBuffers): EncodedBody {
    const target = buffers.take(this.bound());
    let at = target.write(OPEN, 0, 'latin1');
    for (let i = this.start; i < this.end; i++) {
      if (i > this.start) target[at++] = COMMA;
      at += target.write(this.json(i), at, 'utf8');
    }
    at += target.write(CLOSE, at, 'latin1');
    return { bytes: target.subarray(0, at), buffer: target };
  }

  toString(): string {
    let body = OPEN;
    for (let i = this.start; i < this.end; i++) body += i === this.start ? this.json(i) : `,${this.json(i)}`;
    return `${body}${CLOSE}`;
  }

  /** The JSON of customer `i` (start ≤ i < end, which the constructor's caller guarantees). */
  private json(i: number): string {
    const customer = this.customers[i];
    if (customer === undefined) throw new RangeError(`request body: customer ${i} is outside the ${this.customers.length} it was given`);
    return customer.json;
  }
}

export interface EncodedBody {
  /** The body, a view of `buffer`. */
  bytes: Buffer;
  /** To give back to the pool once nothing reads `bytes` any more. */
  buffer: Buffer;
}

/** Buffers above this are not kept for reuse (a lone customer of several MB). */
const MAX_POOLED_BYTES = 8 << 20;
/** Allocations are rounded up to this, so that bodies of slightly different sizes share buffers. */
const GRAIN = 64 << 10;

/**
 * The reusable body buffers of one HTTP client: as many as requests were ever in flight at once
 * (at most `keep`). A buffer goes back only once its request has been written out entirely.
 */
export class BodyBuffers {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  /** A buffer of at least `bytes` (its contents are garbage). */
  take(bytes: number): Buffer {
    for (const [i, buffer] of this.free.entries()) {
      if (buffer.length >= bytes) {
        this.free.splice(i, 1);
        return buffer;
      }
    }
    // allocUnsafeSlow: its own memory, never a slice of Node's shared pool that others write to.
    return Buffer.allocUnsafeSlow(Math.ceil(bytes / GRAIN) * GRAIN);
  }

  /** Gives `buffer` back for later bodies. Only once nothing will read it again. */
  release(buffer: Buffer): void {
    if (buffer.length > MAX_POOLED_BYTES) return;
    if (this.free.length < this.keep) {
      this.free.push(buffer);
      return;
    }
    // Full: keep the larger buffers (they fit any body).
    let smallest = 0;
    let smallestLength = Number.POSITIVE_INFINITY;
    this.free.forEach((free, i) => {
      if (free.length < smallestLength) [smallest, smallestLength] = [i, free.length];
    });
    if (smallestLength < buffer.length) this.free[smallest] = buffer;
  }
}

/**
 * The id log: an append-only log holding every distinct id once, with where it was first seen.
 * The id index keeps only 8 bytes per slot in its table and comes here to compare ids exactly.
 *
 * Its first `memoryBytes` (ID_INDEX_DEFAULTS.memoryLogBytes: two or three million short ids) stay
 * in memory, the rest goes to a temp file. Every duplicate row is confirmed by reading its id back,
 * and a read syscall costs ~12 µs on this project's machines: from the file, the 5% duplicates of a
 * 1M-row file cost more than the CSV parse. Files with more ids than that pay the syscalls only for
 * duplicates of the later ids.
 *
 * A record is bytes, numbers as unsigned LEB128 varints:
 *
 *   [length << 1 | WIDE][file][line][ordinal][code units]
 *
 * Records are small because every fresh 4 KiB page of the log costs a first touch (~15 µs here): a
 * 10-character id of a 1M-row file takes 18 bytes, where a layout of 32-bit words took 28 (and one
 * of a word per field and UTF-16 units 44).
 *   - An id whose code units are all below 256 (nearly every real id) is stored one byte per unit;
 *     any other id (WIDE) as UTF-16, two bytes per unit, little-endian. A string has only one of
 *     the two forms, so a record in the other form holds another id: `find` compares form and
 *     length in one go, then the units. Ids reach the index only up to MAX_ID_LENGTH (512) code
 *     units (a longer one is an invalid row), and `append` rejects longer ones.
 *   - `ordinal` is the customer number the job gave the id (rows of a long-layout customer found
 *     anywhere later in the run join that customer by it).
 *   - No hash is stored: growing the index (rare: it is sized for the input up front) reads every
 *     id back and hashes it again (`forEachId`).
 *
 * A record is referred to by `ref = 1 + byte offset` (0 means "no record" in the index table). A
 * u32 ref therefore addresses 4 GiB of log, about 220M ids of 10 characters; beyond that, `append`
 * throws an InputError (exit 3, before anything is sent). The index's table stops sooner in
 * practice: 8 bytes a slot.
 *
 * The file is process-local scratch.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { asStorageError, isStorageFailure } from '../../core/storage-error.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { InputError } from '../../core/errors.js';
import { MAX_ID_LENGTH } from '../input/index.js';

export interface IdLocation {
  file: number;
  line: number;
  /** The customer ordinal recorded with the id. */
  ordinal: number;
}

export interface IdLogOptions {
  dir: string;
  writeBufferBytes: number;
  /** Records up to this many bytes are kept in memory (in write-buffer-sized chunks), not written. */
  memoryBytes: number;
}

const MAX_REF = 0xffffffff;
/** Set in a record's first number when the id is stored as UTF-16 (two bytes per code unit). */
const WIDE = 1;
/** The most bytes a record's numbers take: the key of a MAX_ID_LENGTH id (2) and three u32 varints (5 each). */
const MAX_HEADER_BYTES = 2 + 3 * 5;
/** The largest record: an id of MAX_ID_LENGTH code units, not all below 256. */
const MAX_RECORD_BYTES = MAX_HEADER_BYTES + 2 * MAX_ID_LENGTH;

/** What a record's first number is for `id`: its length and form. */
function keyOf(id: string): number {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0xff) return (id.length << 1) | WIDE;
  return id.length << 1;
}

/** A location the dedupe stores: file, line and ordinal unsigned 32-bit numbers (a RangeError otherwise, never wrapped). */
export function checkLocation({ file, line, ordinal }: IdLocation): void {
  if (file >>> 0 !== file || line >>> 0 !== line || ordinal >>> 0 !== ordinal) {
    throw new RangeError(`file, line and ordinal must be unsigned 32-bit integers, got ${file}:${line}#${ordinal}`);
  }
}

/** Reads until `bytes` bytes or end of file; returns how many were read. */
function readFully(fd: number, into: Uint8Array, bytes: number, position: number): number {
  let done = 0;
  while (done < bytes) {
    const got = readSync(fd, into, done, bytes - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

/**
 * Decodes the records of `bytes[0, end)`, calling `visit` with each whole one's id and ref (`ref0`:
 * the ref of bytes[0]); returns how many bytes the whole records take.
 */
function visitIds(bytes: Buffer, end: number, ref0: number, visit: (id: string, ref: number) => void): number {
  const r = { at: 0 };
  let start = 0;
  while (start < end) {
    r.at = start;
    const key = varintWithin(bytes, r, end);
    if (key < 0 || varintWithin(bytes, r, end) < 0 || varintWithin(bytes, r, end) < 0 || varintWithin(bytes, r, end) < 0) break;
    const units = key >>> 1;
    const wide = (key & WIDE) !== 0;
    const idEnd = r.at + (wide ? 2 * units : units);
    if (idEnd > end) break;
    visit(bytes.toString(wide ? 'utf16le' : 'latin1', r.at, idEnd), ref0 + start);
    start = idEnd;
  }
  return start;
}

/** A varint at `r.at`, moving past it; -1 when it does not end before `end`. */
function varintWithin(bytes: Uint8Array, r: { at: number }, end: number): number {
  let value = 0;
  for (let shift = 0; shift < 35 && r.at < end; shift += 7) {
    const b = bytes[r.at++] as number;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value;
  }
  return -1;
}

function logFull(): InputError {
  return new InputError(
    'ID_INDEX_FULL',
    'too many distinct document_id values for one run: the id index log is limited to 4 GiB ' +
      '(about 220 million ids of 10 characters); split the input or run it in shards (--shard)',
  );
}

export class IdLog {
  private readonly fd: number;
  /** Set while the file still has a name to remove (only where it could not be unlinked while open). */
  private pathToRemove: string | undefined;
  private closed = false;

  private readonly opts: IdLogOptions;
  private pending: Buffer;
  private pendingBytes = 0;
  /** Bytes of records before `pending`: in `kept`, then in the file. */
  private flushedBytes = 0;
  /** The log's first records, in memory: a chunk holds bytes [start, start + bytes). */
  private readonly kept: { data: Buffer; bytes: number; start: number }[] = [];
  /** kept[i].start, in a plain array for keptChunkOf's binary search. */
  private readonly keptStarts: number[] = [];
  /** Bytes in `kept`; the file holds the bytes from here on, at (offset - keptBytes). */
  private keptBytes = 0;
  /** Memory the kept chunks take (whole write buffers). */
  private keptMemory = 0;

  /** Holds the one record `find` reads back from the file. */
  private readonly record = Buffer.allocUnsafe(MAX_RECORD_BYTES);
  /** Where `find` is in its buffer (one object, not one per call). */
  private readonly cursor = { at: 0 };

  constructor(opts: IdLogOptions) {
    // Any record fits in an empty write buffer: a full one is only ever flushed, never grown.
    if (opts.writeBufferBytes < MAX_RECORD_BYTES) {
      throw new RangeError(`IdLog writeBufferBytes must hold the largest record (${MAX_RECORD_BYTES} bytes), got ${opts.writeBufferBytes}`);
    }
    this.opts = opts;
    const file = path.join(opts.dir, `segment-sync-ids-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    this.fd = openSync(file, 'wx+', 0o600);
    this.pathToRemove = file;
    try {
      // Unlinked while open, the file vanishes with the process even after kill -9 (POSIX); where
      // that is refused (Windows), close() removes it.
      unlinkSync(file);
      this.pathToRemove = undefined;
    } catch {
      // kept for close()
    }
    this.pending = Buffer.allocUnsafe(opts.writeBufferBytes);
  }

  /**
   * Appends a record for `id` (at most MAX_ID_LENGTH code units: the job never offers a longer
   * one, it is an invalid row) and returns its ref.
   */
  append(id: string, at: IdLocation): number {
    this.assertOpen();
    checkLocation(at);
    const { file, line, ordinal } = at;
    const { length } = id;
    if (length > MAX_ID_LENGTH) throw new RangeError(`the id index takes ids of at most ${MAX_ID_LENGTH} code units, got ${length}`);
    const key = keyOf(id);
    const wide = (key & WIDE) !== 0;
    if (this.pendingBytes + MAX_HEADER_BYTES + (wide ? 2 * length : length) > this.pending.length) this.flush();
    const offset = this.flushedBytes + this.pendingBytes;
    if (offset + 1 > MAX_REF) throw logFull();
    const bytes = this.pending;
    let w = putVarint(bytes, this.pendingBytes, key);
    w = putVarint(bytes, w, file);
    w = putVarint(bytes, w, line);
    w = putVarint(bytes, w, ordinal);
    if (wide) {
      for (let i = 0; i < length; i++) {
        const unit = id.charCodeAt(i);
        bytes[w++] = unit & 0xff;
        bytes[w++] = unit >>> 8;
      }
    } else {
      for (let i = 0; i < length; i++) bytes[w++] = id.charCodeAt(i);
    }
    this.pendingBytes = w;
    return offset + 1;
  }

  /** Where the record `ref` was first seen, if its id is exactly `id`; undefined otherwise. */
  find(ref: number, id: string): IdLocation | undefined {
    this.assertOpen();
    const offset = ref - 1;
    const key = keyOf(id);
    const { length } = id;
    const wide = (key & WIDE) !== 0;
    let view: Buffer;
    let at: number;
    let end: number;
    if (offset >= this.flushedBytes) {
      view = this.pending;
      at = offset - this.flushedBytes;
      end = this.pendingBytes;
    } else if (offset < this.keptBytes) {
      const chunk = this.kept[this.keptChunkOf(offset)];
      if (chunk === undefined) throw new RangeError(`id log ref ${ref} is below keptBytes but in no kept chunk`);
      view = chunk.data;
      at = offset - chunk.start;
      end = chunk.bytes;
    } else {
      view = this.record;
      end = this.readRecord(offset, MAX_HEADER_BYTES + (wide ? 2 * length : length));
      at = 0;
    }
    const c = this.cursor;
    c.at = at;
    // An id has one form and length: a record of another key holds another id.
    if (varintWithin(view, c, end) !== key) return undefined;
    const file = varintWithin(view, c, end);
    const line = varintWithin(view, c, end);
    const ordinal = varintWithin(view, c, end);
    if (ordinal < 0) throw new Error(`id index log is truncated or corrupt at byte ${offset}`);
    let r = c.at;
    if (r + (wide ? 2 * length : length) > end) throw new Error(`id index log is truncated or corrupt at byte ${offset}`);
    if (wide) {
      for (let i = 0; i < length; i++, r += 2)
        if (((view[r] as number) | ((view[r + 1] as number) << 8)) !== id.charCodeAt(i)) return undefined;
    } else {
      for (let i = 0; i < length; i++) if (view[r + i] !== id.charCodeAt(i)) return undefined;
    }
    return { file, line, ordinal };
  }

  /** Calls `visit` with every record's id and ref, in append order (used to rebuild the index). */
  forEachId(visit: (id: string, ref: number) => void): void {
    this.assertOpen();
    // Nothing in the file: the write buffer is read where it is. A flush would move it, part-filled,
    // to the records kept in memory: a whole buffer's memory for a part of it, at every growth of
    // the index. Records in the file: the flush puts the rest there too, read back after the kept ones.
    const inFile = this.flushedBytes !== this.keptBytes;
    if (inFile) this.flush();
    for (const chunk of this.kept) visitIds(chunk.data, chunk.bytes, chunk.start + 1, visit);
    if (!inFile) {
      visitIds(this.pending, this.pendingBytes, this.flushedBytes + 1, visit);
      return;
    }
    // The write buffer is empty now and large enough for any record ever appended: read through it.
    const chunk = this.pending;
    let offset = this.keptBytes;
    while (offset < this.flushedBytes) {
      const wanted = Math.min(chunk.length, this.flushedBytes - offset);
      const got = readFully(this.fd, chunk, wanted, offset - this.keptBytes);
      const used = visitIds(chunk, got, offset + 1, visit);
      if (used === 0) throw new Error(`id index log is truncated or corrupt at byte ${offset}`);
      offset += used;
    }
  }

  /** Memory outside the index table: the write buffer, the records kept, the record read back. */
  memoryBytes(): number {
    return this.pending.byteLength + this.keptMemory + this.record.byteLength;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    if (this.pathToRemove !== undefined) unlinkSync(this.pathToRemove);
    // The records kept in memory (up to memoryLogBytes) go now, not with the index object: the job
    // closes the index after pass 1 but holds it through sending, whose peak they were part of.
    this.kept.length = 0;
    this.keptStarts.length = 0;
    this.keptMemory = 0;
    this.pending = EMPTY;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    if (this.flushedBytes === this.keptBytes && this.keptMemory + this.pending.byteLength <= this.opts.memoryBytes) {
      this.keep();
      return;
    }
    const bytes = this.pendingBytes;
    let written = 0;
    try {
      while (written < bytes) {
        written += writeSync(this.fd, this.pending, written, bytes - written, this.flushedBytes - this.keptBytes + written);
      }
    } catch (error) {
      // A full or unwritable TMPDIR is a LocalStorageError (exit 8) naming it.
      if (isStorageFailure(error))
        throw asStorageError(
          error,
          path.join(this.opts.dir, 'ids.tmp'),
          'the id index log (TMPDIR; about 8 bytes plus 1 per id character)',
        );
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new Error(`cannot write the id index log in ${this.opts.dir} (${code}); it needs about 8 bytes plus 1 per id character`, {
        cause: error,
      });
    }
    this.flushedBytes += this.pendingBytes;
    this.pendingBytes = 0;
  }

  /** Moves the write buffer to the records kept in memory, and starts a new one. */
  private keep(): void {
    this.kept.push({ data: this.pending, bytes: this.pendingBytes, start: this.flushedBytes });
    this.keptStarts.push(this.flushedBytes);
    this.keptMemory += this.pending.byteLength;
    this.flushedBytes += this.pendingBytes;
    this.keptBytes = this.flushedBytes;
    this.pendingBytes = 0;
    this.pending = Buffer.allocUnsafe(this.pending.length);
  }

  /** The chunk of `kept` holding byte `offset` (< keptBytes). */
  private keptChunkOf(offset: number): number {
    const starts = this.keptStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      // `as number`: 0 <= low < mid <= high < starts.length.
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /**
   * Reads up to `bytes` bytes at `offset` into `record` (the most a record holding an id of the
   * length looked for takes); returns how many it got. Only those: lookups in the file come from
   * duplicates, at random places, and a bigger read (a window of 8 KiB) cost a page-cache copy that
   * made this the run's hottest function. A record of another length ends sooner, perhaps at the
   * end of the file: its first number tells.
   */
  private readRecord(offset: number, bytes: number): number {
    const got = readFully(this.fd, this.record, Math.min(bytes, this.flushedBytes - offset), offset - this.keptBytes);
    if (got === 0) throw new Error(`id index log is truncated at byte ${offset}`);
    return got;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the id index is closed');
  }
}

/** What a closed log holds instead of its write buffer. */
const EMPTY = Buffer.alloc(0);

/**
 * Writes an unsigned LEB128 varint of a u32 at `at`; returns where it ends. A position in and out,
 * not a cursor object: every append writes four, and this inlines into plain local arithmetic.
 */
function putVarint(bytes: Uint8Array, at: number, value: number): number {
  let rest = value;
  let w = at;
  while (rest >= 0x80) {
    bytes[w++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  bytes[w++] = rest;
  return w;
}

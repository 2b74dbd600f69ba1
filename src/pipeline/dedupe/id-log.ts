/**
 * The id log: an append-only log holding every distinct id once, with where it was first seen.
 * The id index keeps only 8 bytes per slot in its table and comes here to compare ids exactly.
 *
 * Its first `memoryBytes` (ID_INDEX_DEFAULTS.memoryLogBytes: a million or two short ids) stay in
 * memory, the rest goes to a temp file. Every duplicate row is confirmed by reading its id back,
 * and a read syscall costs ~12 µs on this project's machines: from the file, the 5% duplicates of a
 * 1M-row file cost more than the CSV parse. Files with more ids than that pay the syscalls only for
 * duplicates of the later ids.
 *
 * Record layout, in 32-bit words (so a record is addressed by its word offset):
 *
 *   [file << 11 | LATIN1 | length in code units][line][ordinal][hash][code units, zero-padded]
 *
 * Records are small because every fresh 4 KiB page of the log costs a first touch (~15 µs here): a
 * 9-character id takes 7 words (28 bytes), where a layout of one word per field and UTF-16 units
 * took 11.
 *   - An id whose code units are all below 256 (LATIN1 set: nearly every real id) is stored one
 *     byte per unit, four per word; any other id as UTF-16, two units per word. A string has only
 *     one of the two forms, so a record in the other form holds another id: `find` compares form
 *     and length in one go, then the units.
 *   - The length takes 10 bits: ids reach the index only up to MAX_ID_LENGTH (512) code units (a
 *     longer one is an invalid row), and `append` rejects longer ones. The file number takes the
 *     other 21 bits: a run of more than 2^21 input files gets an InputError (exit 3).
 *   - `ordinal` is the customer number the job gave the id (rows of a long-layout customer found
 *     anywhere later in the run join that customer by it).
 *   - The hash is stored so that growing the index replays only these words: no id is decoded or
 *     hashed again (that made growing to 10M ids take ~3× as long as the inserts themselves). One
 *     word is enough: the index's slot and tag are both that hash (see id-index.ts).
 *
 * A record is referred to by `ref = 1 + word offset` (0 means "no record" in the index table). A
 * u32 ref therefore addresses 2^32 words: the log holds at most 16 GiB, about 330M ids of 36
 * characters. Beyond that, `append` throws an InputError (exit 3, before anything is sent).
 *
 * The file is process-local scratch, so words are stored in the machine's byte order.
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

const HEADER_WORDS = 4;
const MAX_REF = 0xffffffff;
/** The first word of a record: file << FILE_SHIFT | LATIN1 | length. */
const LENGTH_MASK = 0x3ff;
/** Set when the id is stored one byte per code unit. */
const LATIN1 = 0x400;
/** What an id's own form and length give: a record whose first word differs here holds another id. */
const KEY_MASK = LATIN1 | LENGTH_MASK;
const FILE_SHIFT = 11;
/** The most files a run's ids can be told apart in (2^21 - 1 is the largest file number). */
export const MAX_FILES = 2 ** (32 - FILE_SHIFT);

function recordWords(length: number, latin1: boolean): number {
  return HEADER_WORDS + (latin1 ? (length + 3) >>> 2 : (length + 1) >>> 1);
}

/** The largest record: an id of MAX_ID_LENGTH code units, not all below 256. */
const MAX_RECORD_WORDS = recordWords(MAX_ID_LENGTH, false);

/** Whether every code unit of `id` is below 256, so that it is stored in one byte each. */
function isLatin1(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Word-aligned scratch memory with the three views a record needs. */
class Words {
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  constructor(readonly length: number) {
    this.u32 = new Uint32Array(length);
    this.u16 = new Uint16Array(this.u32.buffer);
    this.u8 = new Uint8Array(this.u32.buffer);
  }
}

/** What a closed log holds instead of its write buffer. */
const EMPTY_WORDS = new Words(0);

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
 * Visits the hashes of the whole records among the first `words` words of `chunk`, whose first
 * word is log word `start`; returns how many words they take.
 */
function visitHashes(chunk: Words, words: number, start: number, visit: (hash: number, ref: number) => void): number {
  let at = 0;
  const { u32 } = chunk;
  while (at + HEADER_WORDS <= words) {
    // `as number`: at + HEADER_WORDS <= words <= u32.length, so the whole header is in range (a
    // check per record would only slow the rebuild).
    const meta = u32[at] as number;
    const size = recordWords(meta & LENGTH_MASK, (meta & LATIN1) !== 0);
    if (at + size > words) break;
    visit(u32[at + 3] as number, start + at + 1);
    at += size;
  }
  return at;
}

function logFull(): InputError {
  return new InputError(
    'ID_INDEX_FULL',
    'too many distinct document_id values for one run: the id index log is limited to 16 GiB ' +
      '(about 330 million ids of 36 characters); split the input or run it in shards (--shard)',
  );
}

function tooManyFiles(): InputError {
  return new InputError(
    'ID_INDEX_FULL',
    `too many input files for one run: the id index tells ids of at most ${MAX_FILES.toLocaleString('en-US')} files apart; ` +
      'split the input into several runs',
  );
}

export class IdLog {
  private readonly fd: number;
  /** Set while the file still has a name to remove (only where it could not be unlinked while open). */
  private pathToRemove: string | undefined;
  private closed = false;

  private readonly opts: IdLogOptions;
  private pending: Words;
  private pendingWords = 0;
  /** Words of records before `pending`: in `kept`, then in the file. */
  private flushedWords = 0;
  /** The log's first records, in memory: a chunk holds words [start, start + words). */
  private readonly kept: { data: Words; words: number; start: number }[] = [];
  /** kept[i].start, in a plain array for keptChunkOf's binary search. */
  private readonly keptStarts: number[] = [];
  /** Words in `kept`; the file holds the words from here on, at byte (offset - keptWords) * 4. */
  private keptWords = 0;
  private keptBytes = 0;

  /** Holds the one record `find` reads back from the file. */
  private readonly record = new Words(MAX_RECORD_WORDS);

  constructor(opts: IdLogOptions) {
    // Any record fits in an empty write buffer: a full one is only ever flushed, never grown.
    if (opts.writeBufferBytes < MAX_RECORD_WORDS * 4) {
      throw new RangeError(
        `IdLog writeBufferBytes must hold the largest record (${MAX_RECORD_WORDS * 4} bytes), got ${opts.writeBufferBytes}`,
      );
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
    this.pending = new Words(opts.writeBufferBytes >>> 2);
  }

  /**
   * Appends a record for `id` (at most MAX_ID_LENGTH code units: the job never offers a longer
   * one, it is an invalid row) with its hash (in `hash[0]`) and returns its ref.
   */
  append(id: string, at: IdLocation, hash: Uint32Array): number {
    this.assertOpen();
    const { file, line, ordinal } = at;
    if (file >>> 0 !== file || line >>> 0 !== line || ordinal >>> 0 !== ordinal) {
      throw new RangeError(`file, line and ordinal must be unsigned 32-bit integers, got ${file}:${line}#${ordinal}`);
    }
    const { length } = id;
    if (length > MAX_ID_LENGTH) throw new RangeError(`the id index takes ids of at most ${MAX_ID_LENGTH} code units, got ${length}`);
    if (file >= MAX_FILES) throw tooManyFiles();
    const latin1 = isLatin1(id);
    const words = recordWords(length, latin1);
    if (this.pendingWords + words > this.pending.length) this.flush();
    const offset = this.flushedWords + this.pendingWords;
    if (offset + 1 > MAX_REF) throw logFull();
    const { u32, u16, u8 } = this.pending;
    const w = this.pendingWords;
    u32[w] = ((file << FILE_SHIFT) | (latin1 ? LATIN1 : 0) | length) >>> 0;
    u32[w + 1] = line;
    u32[w + 2] = ordinal;
    // `as number`: `hash` is the index's one-word buffer; this runs once per new id, unchecked.
    u32[w + 3] = hash[0] as number;
    // The pad: the file's bytes never depend on old buffer contents.
    if (words > HEADER_WORDS) u32[w + words - 1] = 0;
    if (latin1) {
      const bytesAt = (w + HEADER_WORDS) * 4;
      for (let i = 0; i < length; i++) u8[bytesAt + i] = id.charCodeAt(i);
    } else {
      const unitsAt = (w + HEADER_WORDS) * 2;
      for (let i = 0; i < length; i++) u16[unitsAt + i] = id.charCodeAt(i);
    }
    this.pendingWords += words;
    return offset + 1;
  }

  /** Where the record `ref` was first seen, if its id is exactly `id`; undefined otherwise. */
  find(ref: number, id: string): IdLocation | undefined {
    this.assertOpen();
    const offset = ref - 1;
    const { length } = id;
    // An id has one encoding: a record in the other one holds another id.
    const latin1 = isLatin1(id);
    let view: Words;
    let at: number;
    if (offset >= this.flushedWords) {
      view = this.pending;
      at = offset - this.flushedWords;
    } else if (offset < this.keptWords) {
      const chunk = this.kept[this.keptChunkOf(offset)];
      if (chunk === undefined) throw new RangeError(`id log ref ${ref} is below keptWords but in no kept chunk`);
      view = chunk.data;
      at = offset - chunk.start;
    } else {
      view = this.readRecord(offset, recordWords(length, latin1));
      at = 0;
    }
    // `as number`: the view holds at least a record's header from `at` on.
    const meta = view.u32[at] as number;
    if ((meta & KEY_MASK) !== ((latin1 ? LATIN1 : 0) | length)) return undefined;
    if (latin1) {
      const { u8 } = view;
      const bytesAt = (at + HEADER_WORDS) * 4;
      for (let i = 0; i < length; i++) if (u8[bytesAt + i] !== id.charCodeAt(i)) return undefined;
    } else {
      const { u16 } = view;
      const unitsAt = (at + HEADER_WORDS) * 2;
      for (let i = 0; i < length; i++) if (u16[unitsAt + i] !== id.charCodeAt(i)) return undefined;
    }
    return { file: meta >>> FILE_SHIFT, line: view.u32[at + 1] as number, ordinal: view.u32[at + 2] as number };
  }

  /** Calls `visit` with every record's hash and ref, in append order (used to rebuild the index). */
  forEachHash(visit: (hash: number, ref: number) => void): void {
    this.assertOpen();
    this.flush();
    for (const chunk of this.kept) visitHashes(chunk.data, chunk.words, chunk.start, visit);
    // The write buffer is empty now and large enough for any record ever appended: read through it.
    const chunk = this.pending;
    let offset = this.keptWords;
    while (offset < this.flushedWords) {
      const wanted = Math.min(chunk.length, this.flushedWords - offset);
      const got = readFully(this.fd, chunk.u8, wanted * 4, (offset - this.keptWords) * 4) >>> 2;
      const at = visitHashes(chunk, got, offset, visit);
      if (at === 0) throw new Error(`id index log is truncated or corrupt at word ${offset}`);
      offset += at;
    }
  }

  /** Memory outside the index table: the write buffer, the records kept, the record read back. */
  memoryBytes(): number {
    return this.pending.u8.byteLength + this.keptBytes + this.record.u8.byteLength;
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
    this.keptBytes = 0;
    this.pending = EMPTY_WORDS;
  }

  private flush(): void {
    if (this.pendingWords === 0) return;
    const bytes = this.pendingWords * 4;
    if (this.flushedWords === this.keptWords && this.keptBytes + this.pending.u8.byteLength <= this.opts.memoryBytes) {
      this.keep();
      return;
    }
    let written = 0;
    try {
      while (written < bytes) {
        written += writeSync(this.fd, this.pending.u8, written, bytes - written, (this.flushedWords - this.keptWords) * 4 + written);
      }
    } catch (error) {
      // A full or unwritable TMPDIR is a LocalStorageError (exit 8) naming it.
      if (isStorageFailure(error))
        throw asStorageError(
          error,
          path.join(this.opts.dir, 'ids.tmp'),
          'the id index log (TMPDIR; about 16 bytes plus 1 per id character)',
        );
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new Error(`cannot write the id index log in ${this.opts.dir} (${code}); it needs about 16 bytes plus 1 per id character`, {
        cause: error,
      });
    }
    this.flushedWords += this.pendingWords;
    this.pendingWords = 0;
  }

  /** Moves the write buffer to the records kept in memory, and starts a new one. */
  private keep(): void {
    this.kept.push({ data: this.pending, words: this.pendingWords, start: this.flushedWords });
    this.keptStarts.push(this.flushedWords);
    this.keptBytes += this.pending.u8.byteLength;
    this.flushedWords += this.pendingWords;
    this.keptWords = this.flushedWords;
    this.pendingWords = 0;
    this.pending = new Words(this.pending.length);
  }

  /** The chunk of `kept` holding word `offset` (< keptWords). */
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
   * Reads the `words` words at `offset` (a record whose id has the length looked for). Only those:
   * lookups in the file come from duplicates, at random places, and a bigger read (a window of
   * 8 KiB) cost a page-cache copy that made this the run's hottest function.
   */
  private readRecord(offset: number, words: number): Words {
    const got = readFully(this.fd, this.record.u8, words * 4, (offset - this.keptWords) * 4) >>> 2;
    // A record of another length ends sooner, perhaps at the end of the file: its length word tells.
    if (got < HEADER_WORDS) throw new Error(`id index log is truncated at word ${offset}`);
    return this.record;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the id index is closed');
  }
}

/**
 * A report file written in chunks through an AtomicFileStream: callers append small strings (one
 * CSV line each), or reserve room and put a line's pieces as bytes, straight into a 64 KiB buffer; the file sees
 * a write per full buffer. Nothing is visible at the target path until commit(); abort() leaves
 * nothing behind.
 */
import path from 'node:path';
import { AtomicFileStream } from '../../core/atomic.js';
import { asStorageError, ensureDirSync } from '../../core/storage-error.js';

/**
 * Bytes buffered before a write: ~500 writes for a million rows. Buffers come back for reuse once
 * written: a fresh buffer per chunk is fresh memory, and first-touched pages cost ~4 ms a megabyte
 * on this project's machines (results.csv of 1M rows is 25 MB). Encoding into bytes as lines come
 * also keeps no chain of small strings alive across garbage collections (which copied and promoted
 * them to the old generation).
 */
const CHUNK_BYTES = 1 << 16;

const ignore = (): void => undefined;

export class ChunkedOutput {
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** Chunks the file has written, ready for reuse. */
  private readonly spare: Buffer[] = [];
  /** The chain of chunk writes, so chunks reach the file in order even when callers don't await. */
  private pending: Promise<void> = Promise.resolve();
  private queuedChunks = 0;
  private failure: Error | undefined;

  private constructor(private readonly file: AtomicFileStream) {
    // An 'error' event with no listener would crash the process (e.g. the directory is not writable);
    // keep it and report it from the next write or from commit() instead.
    file.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  /** Creates the directory if needed and opens a hidden temp file beside `target`. */
  static create(target: string): ChunkedOutput {
    const dir = path.dirname(target);
    ensureDirSync(dir, 'the report');
    return new ChunkedOutput(new AtomicFileStream(target));
  }

  get target(): string {
    return this.file.target;
  }

  /**
   * Buffers `text` (UTF-8). Returns a promise only when a chunk was handed to the file: awaiting it
   * applies back-pressure; not awaiting it is safe too (commit waits for every chunk). So does
   * `reserve`.
   */
  append(text: string): Promise<void> | void {
    // At most 3 bytes per UTF-16 code unit: room for that many means no write is ever cut short.
    const most = 3 * text.length;
    if (this.used + most <= CHUNK_BYTES) {
      this.used += this.chunk.write(text, this.used);
      return;
    }
    const flushed = this.flush();
    if (most > CHUNK_BYTES) return this.enqueue(Buffer.from(text, 'utf8'));
    this.used = this.chunk.write(text, 0);
    return flushed;
  }

  /** The most bytes `reserve` can make room for. */
  readonly reservable = CHUNK_BYTES;

  /**
   * Makes room for `bytes` (≤ reservable) bytes, to be written with `put`: one check for the
   * pieces of a line instead of one per piece.
   */
  reserve(bytes: number): Promise<void> | void {
    if (bytes > CHUNK_BYTES) throw new RangeError(`reserve takes at most ${CHUNK_BYTES} bytes, got ${bytes}`);
    if (this.used + bytes > CHUNK_BYTES) return this.flush();
  }

  /** Copies `src[start, end)` into the room made by `reserve`. */
  put(src: Uint8Array, start: number, end: number): void {
    if (this.used + end - start > CHUNK_BYTES) throw new RangeError('put() beyond the room reserve() made');
    const { chunk } = this;
    let at = this.used;
    // `as number`: start <= i < end <= src.length.
    for (let i = start; i < end; i++) chunk[at++] = src[i] as number;
    this.used = at;
  }

  /**
   * Copies the code units of `text` into the room made by `reserve`, one byte each: for text whose
   * code units are all below 0x80 (the caller checks), where UTF-8 is the code units themselves.
   */
  putAscii(text: string): void {
    const { length } = text;
    if (this.used + length > CHUNK_BYTES) throw new RangeError('putAscii() beyond the room reserve() made');
    const { chunk } = this;
    let at = this.used;
    for (let i = 0; i < length; i++) chunk[at++] = text.charCodeAt(i);
    this.used = at;
  }

  async commit(): Promise<void> {
    await this.written();
    await this.file.commit();
  }

  /** Ends the file without publishing it; returns the temp file (the caller reads, then removes it). */
  async closeTemp(): Promise<string> {
    await this.written();
    return this.file.closeTemp();
  }

  async abort(): Promise<void> {
    this.used = 0;
    await this.pending.catch(ignore);
    await this.file.abort();
  }

  /** Every chunk written; a file whose stream failed is removed and its error thrown (it must never replace the target). */
  private async written(): Promise<void> {
    this.flush();
    await this.pending;
    if (this.failure) {
      await this.file.abort().catch(ignore);
      throw asStorageError(this.failure, this.target, path.basename(this.target));
    }
  }

  /** Hands the buffered bytes to the file and takes a spare buffer (or a new one) for what follows. */
  private flush(): Promise<void> {
    if (this.used === 0) return this.pending;
    const full = this.chunk;
    const used = this.used;
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    return this.enqueue(full.subarray(0, used), full);
  }

  /** Chunks handed to the file and not written yet. */
  get queued(): number {
    return this.queuedChunks;
  }

  /** Chains the write of `bytes`; `reusable` (their buffer) goes back to `spare` once the file has written them. */
  private enqueue(bytes: Buffer, reusable?: Buffer): Promise<void> {
    this.queuedChunks++;
    const release = (): void => {
      this.queuedChunks--;
      if (reusable !== undefined) this.spare.push(reusable);
    };
    this.pending = this.pending.then(() => this.writeChunk(bytes, release));
    // Mark the chain as handled: a caller that does not await must not cause an unhandled rejection.
    // commit() still awaits the chain and sees the error.
    this.pending.catch(ignore);
    return this.pending;
  }

  private async writeChunk(chunk: Buffer, written: (() => void) | undefined): Promise<void> {
    if (this.failure) throw asStorageError(this.failure, this.target, path.basename(this.target));
    await this.file.write(chunk, written);
  }
}

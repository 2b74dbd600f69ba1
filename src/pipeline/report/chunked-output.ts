/**
 * A report file written in chunks through an AtomicFileStream: callers append small strings (one
 * CSV line each) and the file sees a write every ~64 K characters. Nothing is visible at the target
 * path until commit(); abort() leaves nothing behind.
 */
import path from 'node:path';
import { AtomicFileStream } from '../../core/atomic.js';
import { asStorageError, ensureDirSync } from '../../core/storage-error.js';

/**
 * Characters buffered before a write. The buffer is a chain of small strings until it is written,
 * and a chain kept alive across garbage collections is copied and then promoted to the old
 * generation: at 1 M characters (~30,000 lines) that made garbage collection the largest cost of a
 * dry run after parsing. 64 K characters is still only ~500 writes for 1M rows.
 */
const FLUSH_AT_CHARS = 1 << 16;

const ignore = (): void => undefined;

export class ChunkedOutput {
  private buffer = '';
  /** The chain of chunk writes, so chunks reach the file in order even when callers don't await. */
  private pending: Promise<void> = Promise.resolve();
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

  /** Buffers `text`. Returns a promise only when a chunk was handed to the file: awaiting it
   *  applies back-pressure; not awaiting it is safe too (commit waits for every chunk). */
  append(text: string): Promise<void> | void {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_AT_CHARS) return this.flush();
  }

  async commit(): Promise<void> {
    this.flush();
    await this.pending;
    // Checked before the rename: a file whose stream failed must never replace the target.
    if (this.failure) {
      await this.file.abort().catch(ignore);
      throw asStorageError(this.failure, this.target, path.basename(this.target));
    }
    await this.file.commit();
  }

  async abort(): Promise<void> {
    this.buffer = '';
    await this.pending.catch(ignore);
    await this.file.abort();
  }

  private flush(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = '';
    if (chunk.length > 0) this.pending = this.pending.then(() => this.writeChunk(chunk));
    // Mark the chain as handled: a caller that does not await must not cause an unhandled rejection.
    // commit() still awaits the chain and sees the error.
    this.pending.catch(ignore);
    return this.pending;
  }

  private async writeChunk(chunk: string): Promise<void> {
    if (this.failure) throw asStorageError(this.failure, this.target, path.basename(this.target));
    await this.file.write(chunk);
  }
}

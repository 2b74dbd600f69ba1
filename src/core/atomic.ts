/**
 * Crash-safe file writes: write a temp file beside the target, fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a power cut. A reader sees either the old
 * file or the new one, never a torn one. A write the directory refuses (full disk, read-only,
 * permissions) removes its temp file and throws a LocalStorageError naming the directory (exit 8).
 */
import { promises as fs, createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { asStorageError } from './storage-error.js';

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
}

/** fsyncs a directory so that a file's creation, rename or removal in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

/** Atomically replaces `target` with `data`. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  try {
    const handle = await fs.open(temp, 'w', 0o640);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
    await fsyncDir(path.dirname(target));
  } catch (err) {
    // A half-written temp file on a full disk would only keep it full.
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw asStorageError(err, target, path.basename(target));
  }
}

/**
 * A streamed file that appears at `target` only when committed. Until then it is a hidden temp
 * file; `abort()` removes it. Use for large outputs such as results.csv.
 */
export class AtomicFileStream {
  private readonly temp: string;
  readonly stream: WriteStream;

  constructor(readonly target: string) {
    this.temp = tempPathFor(target);
    this.stream = createWriteStream(this.temp, { mode: 0o640, highWaterMark: 1 << 20 });
  }

  /**
   * Writes a chunk, waiting for the stream to drain when its buffer is full. `written` is called
   * once the chunk is in the file: a Buffer chunk is not copied, so it may be reused only then.
   */
  async write(chunk: string | Uint8Array, written?: () => void): Promise<void> {
    try {
      await this.writeChunk(chunk, written);
    } catch (err) {
      throw asStorageError(err, this.target, path.basename(this.target));
    }
  }

  private async writeChunk(chunk: string | Uint8Array, written?: () => void): Promise<void> {
    // A failed write also fails the stream ('error'), which the caller hears of: the callback only
    // releases the chunk.
    const accepted = this.stream.write(chunk, (error) => {
      if (!error) written?.();
    });
    if (!accepted) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          this.stream.off('drain', onDrain);
          reject(err);
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  async commit(): Promise<void> {
    try {
      await this.finish();
    } catch (err) {
      throw asStorageError(err, this.target, path.basename(this.target));
    }
  }

  /**
   * Ends the stream without publishing it: returns the temp file, complete, for the caller to read
   * and remove (results.csv rewritten from what was streamed; see RowLog).
   */
  async closeTemp(): Promise<string> {
    try {
      await this.end();
    } catch (err) {
      throw asStorageError(err, this.target, path.basename(this.target));
    }
    return this.temp;
  }

  private async end(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      // end()'s callback also gets the error of the last write (ENOSPC on the final flush): taking
      // it for success would rename a truncated file over the target.
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  private async finish(): Promise<void> {
    await this.end();
    const handle = await fs.open(this.temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(this.temp, this.target);
    await fsyncDir(path.dirname(this.target));
  }

  async abort(): Promise<void> {
    // Waits for 'close': a stream destroyed before its file was opened still creates the file once
    // the open completes, and removing it before then would leave it behind.
    if (!this.stream.closed) {
      await new Promise<void>((resolve) => {
        this.stream.once('close', () => resolve());
        this.stream.destroy();
      });
    }
    await fs.rm(this.temp, { force: true });
  }
}

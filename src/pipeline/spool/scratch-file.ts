/**
 * Scratch files of newline-terminated text lines, written and read back in large chunks by this
 * process only (the spool of validated customers, the sorted runs of long records, mirror's list of
 * customers gone from the input; the row log itself is binary, see report/row-log.ts).
 * Writes are synchronous and buffered: the producers are the synchronous per-chunk loops of pass 1,
 * and a write every 64 K characters keeps them from awaiting per row. Reading yields arrays of lines, one
 * await per chunk of the file.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { asStorageError } from '../../core/storage-error.js';

/** How storage errors name what could not be written (these files live in the run's temp dir, TMPDIR). */
const WHAT = 'temporary files (TMPDIR)';

/**
 * Characters buffered before a write. The buffer is a chain of small strings until written; a chain
 * that lives across garbage collections is copied and promoted to the old generation, so it is kept
 * short (as in report/chunked-output.ts): 1 M characters made a dry run's heap a third larger.
 */
const FLUSH_AT_CHARS = 1 << 16;
/**
 * Bytes read (and decoded) at a time, by default (the merge of sorted long-record runs reads less of
 * each, long-sort.ts). The chunk's string must stay below V8's largest regular heap object (128 KiB
 * on 64-bit): a larger string is a large object, allocated in pages of its own that are mapped and
 * unmapped per string, which made decoding the spool 50 times slower (1.7 s for a million
 * customers, and tens of MB of large-object pages waiting for a major collection).
 */
const READ_CHUNK_BYTES = 1 << 16;
/**
 * Bytes of the buffer a flush encodes into, reused from write to write: at most 3 bytes per UTF-16
 * code unit, with room for a line of a few thousand characters beyond FLUSH_AT_CHARS. A new Buffer
 * per write was fresh memory each time, and touching fresh pages costs ~6 ms a megabyte here.
 */
const ENCODE_BYTES = 3 * (FLUSH_AT_CHARS + (1 << 12));

export class ScratchWriter {
  private readonly fd: number;
  private buffer = '';
  private encoded: Buffer | undefined;
  private closed = false;
  /** Lines written. */
  lines = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      throw asStorageError(err, path, WHAT);
    }
  }

  /** A new scratch file in `dir` whose name starts with `prefix`. */
  static create(dir: string, prefix: string): ScratchWriter {
    return new ScratchWriter(path.join(dir, `${prefix}-${randomBytes(4).toString('hex')}.tmp`));
  }

  /** Appends one line; `line` must not contain '\n' (callers write JSON or numbers). */
  writeLine(line: string): void {
    this.buffer += line;
    this.buffer += '\n';
    this.lines++;
    if (this.buffer.length >= FLUSH_AT_CHARS) this.flush();
  }

  /** Flushes and closes; the file stays for reading. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer;
    this.buffer = '';
    let data: Buffer;
    if (3 * text.length <= ENCODE_BYTES) {
      this.encoded ??= Buffer.allocUnsafe(ENCODE_BYTES);
      data = this.encoded.subarray(0, this.encoded.write(text, 'utf8'));
    } else {
      data = Buffer.from(text, 'utf8'); // a line longer than the buffer's margin
    }
    let written = 0;
    try {
      while (written < data.length) written += writeSync(this.fd, data, written, data.length - written);
    } catch (err) {
      throw asStorageError(err, this.path, WHAT);
    }
  }
}

/**
 * The lines of a scratch file, a chunk at a time (each array holds every line a chunk completed).
 * `chunkBytes`: how much is read at once (a reader of many files at a time reads less of each).
 */
export async function* readScratchLines(file: string, chunkBytes = READ_CHUNK_BYTES): AsyncGenerator<string[]> {
  // Read synchronously: this process wrote the file moments ago (it is in the page cache), and a
  // promise read per 64 KiB chunk cost ~0.3 ms of thread-pool round trip, 0.65 s of a million
  // customers' sending. Each chunk still waits for a turn of the event loop (setImmediate), so that
  // a consumer that never awaits I/O itself (the report writer) lets signals, timers and answers in.
  const fd = openSync(file, 'r');
  try {
    let rest: Buffer = Buffer.alloc(0);
    // One read buffer for the whole file: each chunk is decoded (and the tail copied) before the next read.
    const chunk = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      await turn();
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const data = rest.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
      // Decoded up to the last newline only: a character cut by the chunk's end stays whole.
      const lastNewline = data.lastIndexOf(0x0a);
      if (lastNewline === -1) {
        rest = Buffer.from(data);
        continue;
      }
      rest = Buffer.from(data.subarray(lastNewline + 1));
      yield data.toString('utf8', 0, lastNewline).split('\n');
    }
    if (rest.length > 0) throw new Error(`scratch file ${file} ends without a newline (truncated?)`);
  } finally {
    closeSync(fd);
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A JSON string literal's value; most ids have nothing escaped, and then need no parse. */
export function jsonString(literal: string): string {
  return literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
}

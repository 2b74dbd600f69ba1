/**
 * The bytes of one input file: decompressed when gzip (by extension or magic bytes), hashed
 * (sha256 of the raw, possibly compressed, bytes) as they stream past. Read failures become
 * InputErrors naming the file; the raw fs/zlib error is not passed on.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const CHUNK_BYTES = 1 << 16;

export interface ByteSource {
  /** Decoded bytes, in order. */
  chunks: AsyncIterable<Buffer>;
  /** sha256 (hex) of the raw bytes; complete once `chunks` is exhausted. */
  sha256(): string;
}

export async function openByteSource(path: string, display: string): Promise<ByteSource> {
  const gzip = await isGzip(path, display);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  // Errors of any stage surface in the last stream, where the loop below reads them.
  const ignore = (): void => undefined;
  const decoded: Readable = gzip ? pipeline(raw, hashing, createGunzip(), ignore) : pipeline(raw, hashing, ignore);
  return { chunks: guarded(decoded, display, gzip), sha256: () => hash.copy().digest('hex') };
}

async function isGzip(path: string, display: string): Promise<boolean> {
  const head = Buffer.alloc(GZIP_MAGIC.length);
  let read: number;
  try {
    const handle = await fs.open(path, 'r');
    try {
      ({ bytesRead: read } = await handle.read(head, 0, head.length, 0));
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw readFailure(errorCode(err), display, false);
  }
  const magic = read === GZIP_MAGIC.length && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  // An empty file named .gz is reported as empty, not as broken gzip.
  return magic || (read > 0 && path.toLowerCase().endsWith('.gz'));
}

async function* guarded(stream: Readable, display: string, gzip: boolean): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw readFailure(errorCode(err), display, gzip);
  }
}

/** The errno/zlib code of a failure ('' when it has none). */
export function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** The InputError for a failed open/read/decompress, by the failure's errno/zlib code. */
export function readFailure(code: string, display: string, gzip: boolean): InputError {
  if (gzip && code.startsWith('Z_')) {
    return new InputError('BAD_GZIP', `${display}: not a valid gzip file or truncated (${code}); re-create the .gz or pass the uncompressed file`, display);
  }
  if (code === 'EISDIR') return new InputError('NOT_A_FILE', `${display}: is a directory, not a file; pass the CSV files inside it`, display);
  if (code === 'ENOENT') return new InputError('FILE_NOT_FOUND', `${display}: no such file`, display);
  if (code === 'EACCES' || code === 'EPERM') return new InputError('FILE_UNREADABLE', `${display}: permission denied; make the file readable by this user`, display);
  return new InputError('READ_FAILED', `${display}: could not be read (${code || 'unknown error'})`, display);
}

/**
 * The bytes of one input file: decompressed when gzip (by extension or magic bytes), hashed
 * (sha256 of the raw, possibly compressed, bytes) as they stream past, and capped (ByteLimits:
 * --max-input-bytes, and --max-compression-ratio against decompression bombs). Read failures become
 * InputErrors naming the file; the raw fs/zlib error is not passed on.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../core/errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const CHUNK_BYTES = 1 << 16;

/**
 * Caps on what one file may decompress to. Both are checked as the bytes stream past, so a
 * decompression bomb costs at most the cap in reading, never the disk or the memory it claims.
 */
export interface ByteLimits {
  /** Decoded bytes (after gunzip) one file may hold; more → InputError INPUT_TOO_LARGE (exit 3). */
  maxInputBytes: number;
  /**
   * gzip only: once `ratioAfterBytes` have been decompressed, more than this many decoded bytes per
   * compressed byte read → InputError LIKELY_DECOMPRESSION_BOMB (exit 3). 0 = no ratio check.
   */
  maxCompressionRatio: number;
  ratioAfterBytes: number;
}

/** No caps: for callers (tests, tools) that read files they made themselves. */
export const NO_BYTE_LIMITS: ByteLimits = { maxInputBytes: Number.POSITIVE_INFINITY, maxCompressionRatio: 0, ratioAfterBytes: 0 };

export interface ByteSource {
  /** Decoded bytes, in order. */
  chunks: AsyncIterable<Buffer>;
  /** sha256 (hex) of the raw bytes; complete once `chunks` is exhausted. */
  sha256(): string;
}

export async function openByteSource(path: string, display: string, limits: ByteLimits = NO_BYTE_LIMITS): Promise<ByteSource> {
  const gzip = await isGzip(path, display);
  const hash = createHash('sha256');
  const rawRead = { bytes: 0 };
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      rawRead.bytes += chunk.length;
      done(null, chunk);
    },
  });
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  // Errors of any stage surface in the last stream, where the loop below reads them.
  const ignore = (): void => undefined;
  const decoded: Readable = gzip ? pipeline(raw, hashing, createGunzip(), ignore) : pipeline(raw, hashing, ignore);
  const capped = capDecoded(guarded(decoded, display, gzip), display, gzip, limits, () => rawRead.bytes);
  return { chunks: capped, sha256: () => hash.copy().digest('hex') };
}

/** Counts the decoded bytes and stops at either cap (see ByteLimits); leaving the loop destroys the streams. */
async function* capDecoded(
  chunks: AsyncIterable<Buffer>,
  display: string,
  gzip: boolean,
  limits: ByteLimits,
  compressedRead: () => number,
): AsyncGenerator<Buffer> {
  let decoded = 0;
  for await (const chunk of chunks) {
    decoded += chunk.length;
    if (decoded > limits.maxInputBytes) throw tooLarge(display, gzip, limits.maxInputBytes);
    if (gzip && limits.maxCompressionRatio > 0 && decoded > limits.ratioAfterBytes) {
      const compressed = compressedRead();
      if (decoded > limits.maxCompressionRatio * compressed) throw likelyBomb(display, decoded, compressed, limits.maxCompressionRatio);
    }
    yield chunk;
  }
}

function tooLarge(display: string, gzip: boolean, max: number): InputError {
  return new InputError(
    'INPUT_TOO_LARGE',
    `${display}: ${gzip ? 'decompresses to' : 'holds'} more than ${formatBytes(max)} (--max-input-bytes ${max}); nothing was sent. ` +
      'Split the file, or raise --max-input-bytes if it really is this large.',
    display,
  );
}

function likelyBomb(display: string, decoded: number, compressed: number, ratio: number): InputError {
  return new InputError(
    'LIKELY_DECOMPRESSION_BOMB',
    `${display}: refused as a likely decompression bomb: ${formatBytes(compressed)} of gzip expanded to more than ` +
      `${formatBytes(decoded)} (over ${ratio}× its size, --max-compression-ratio); nothing was sent. If the file is genuine, ` +
      'decompress it yourself (gunzip -k) and pass the uncompressed file, or raise --max-compression-ratio.',
    display,
  );
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Whether `bytes` start with gzip's magic number (whatever the file is called). */
export function hasGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= GZIP_MAGIC.length && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
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
  // An empty file named .gz is reported as empty, not as broken gzip.
  return hasGzipMagic(head.subarray(0, read)) || (read > 0 && path.toLowerCase().endsWith('.gz'));
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
    return new InputError(
      'BAD_GZIP',
      `${display}: not a valid gzip file or truncated (${code}); re-create the .gz or pass the uncompressed file`,
      display,
    );
  }
  if (code === 'EISDIR')
    return new InputError('NOT_A_FILE', `${display}: is a directory, not a file; pass the CSV files inside it`, display);
  if (code === 'ENOENT') return new InputError('FILE_NOT_FOUND', `${display}: no such file`, display);
  if (code === 'EACCES' || code === 'EPERM')
    return new InputError('FILE_UNREADABLE', `${display}: permission denied; make the file readable by this user`, display);
  return new InputError('READ_FAILED', `${display}: could not be read (${code || 'unknown error'})`, display);
}

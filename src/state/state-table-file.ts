/**
 * The state's table file (`<state>.sqlite-table`): the in-memory table (state-table.ts) as it was
 * after the last run that changed the state, byte for byte, so that the next run reads it in one
 * sequential read instead of scanning the database and hashing every id again (at 2M customers the
 * scan cost more than the rest of the night's diff together).
 *
 * The database stays the only truth. Every transaction that changes customers writes a new random
 * token into meta (state-schema.ts, mergeAcks); the file is written after that commit and names
 * the token it was made for. A file whose token is not the database's (a run killed before it
 * wrote it, a merge of an interrupted run's acknowledgements, a rebuilt state), whose hashes are
 * not this build's, or whose contents fail their checksums is ignored: the run scans the
 * database, as it would without a file.
 *
 * A file of the same size (the same slots: most nights) is overwritten in place, its header last,
 * rather than written anew and renamed: its pages are in the page cache already (the run read
 * it), and on these machines every newly touched page costs ~15 µs (91 MB: 0.35 s). Until the
 * header is written the file still names the token before this run's merge, which the database
 * no longer holds: a run killed halfway leaves a file that is ignored. Another process never reads
 * it meanwhile: the file is read and written only by a connection that holds the database, which
 * a writer holds exclusively (EXCLUSIVE locking).
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { checkHash, hashInto } from '../pipeline/dedupe/index.js';
import { fits, RECORD_WORDS, StateTable } from './state-table.js';

const MAGIC = 0x42545353; // 'SSTB'
/** Bump when the header or the record layout changes. 2: the records are the slots (no table of row numbers). */
const VERSION = 2;
const HEADER_WORDS = 16;
const HEADER_BYTES = HEADER_WORDS * 4;
/** The hashes of this id are in the header: a file made by a build that hashed ids otherwise is not used. */
const PROBE_ID = 'segment-sync table file';
/** A token is 16 bytes, as 32 hex digits in meta. */
const TOKEN = /^[0-9a-f]{32}$/;

interface Header {
  size: number;
  slots: number;
  crc: number;
}

function probes(): [hi: number, lo: number, check: number] {
  const hashed = new Uint32Array(2);
  hashInto(PROBE_ID, hashed);
  return [hashed[0] as number, hashed[1] as number, checkHash(PROBE_ID)];
}

function tokenWords(token: string): number[] {
  if (!TOKEN.test(token)) throw new TypeError(`a table token is 32 hex digits, got ${JSON.stringify(token)}`);
  return [0, 1, 2, 3].map((i) => parseInt(token.slice(i * 8, i * 8 + 8), 16));
}

/** Writes `table` for the database state named by `token` (temp name, then renamed over the old file). */
export function writeTableFile(file: string, token: string, table: StateTable): void {
  const records = table.words;
  const header = new Uint32Array(HEADER_WORDS);
  header.set([MAGIC, VERSION, ...tokenWords(token), table.size, table.slots, ...probes(), crc32(records), RECORD_WORDS]);
  if (sizeOf(file) === HEADER_BYTES + records.byteLength) {
    const fd = openSync(file, 'r+');
    try {
      writeAll(fd, records, HEADER_BYTES);
      writeAll(fd, header, 0);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const temp = `${file}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeAll(fd, header, 0);
    writeAll(fd, records, HEADER_BYTES);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, file);
}

/** The table the file holds for the database state named by `token`; undefined when there is none that can be used. */
export function readTableFile(file: string, token: string | undefined): StateTable | undefined {
  return withTableFile(file, token, (fd, named) => {
    const header = readHeader(fd, named);
    return header === undefined ? undefined : readBody(fd, header);
  });
}

function readBody(fd: number, header: Header): StateTable | undefined {
  const words = new Uint32Array(header.slots * RECORD_WORDS);
  if (!readAll(fd, words, HEADER_BYTES) || crc32(words) !== header.crc) return undefined;
  return new StateTable(0, { words, size: header.size });
}

/** How many customers the file holds for the state named by `token`, from its header alone; undefined when it cannot be used. */
export function tableFileSize(file: string, token: string | undefined): number | undefined {
  return withTableFile(file, token, (fd, named) => readHeader(fd, named)?.size);
}

/**
 * Runs `read` on the open file when `token` can name a table; undefined when it cannot, when there
 * is no file, or when reading fails (an I/O error): the database is read instead.
 */
function withTableFile<T>(file: string, token: string | undefined, read: (fd: number, token: string) => T | undefined): T | undefined {
  if (token === undefined || !TOKEN.test(token)) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    return read(fd, token);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function readHeader(fd: number, token: string): Header | undefined {
  const header = new Uint32Array(HEADER_WORDS);
  if (!readAll(fd, header, 0)) return undefined;
  const [magic, version, t0, t1, t2, t3, size, slots, hi, lo, check, crc, recordWords] = header as unknown as number[];
  const expected = [MAGIC, VERSION, ...tokenWords(token)];
  if ([magic, version, t0, t1, t2, t3].some((word, i) => word !== expected[i])) return undefined;
  if (recordWords !== RECORD_WORDS || [hi, lo, check].some((word, i) => word !== probes()[i])) return undefined;
  if (size === undefined || slots === undefined || crc === undefined) return undefined;
  // Room for every customer, and the length the file has.
  if (!fits(size, slots) || fstatSync(fd).size !== HEADER_BYTES + slots * RECORD_WORDS * 4) return undefined;
  return { size, slots, crc };
}

function writeAll(fd: number, data: Uint32Array, position: number): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** Fills `data` from `position`; false when the file ends first. */
function readAll(fd: number, data: Uint32Array, position: number): boolean {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let done = 0; done < bytes.length;) {
    const read = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (read === 0) return false;
    done += read;
  }
  return true;
}

/**
 * Generates the benchmark's input files. Lines are built by pure generators (seeded, so every run
 * measures the same data) and written in large chunks, so that 10M rows take seconds, not minutes.
 */
import { open } from 'node:fs/promises';
import { mulberry32, type Random } from '../../src/emulator/prng.js';

/** The segment columns of the wide file, with the values each takes. */
const SEGMENT_VALUES: Record<string, readonly string[]> = {
  tier: ['gold', 'silver', 'bronze', 'platinum'],
  // One value needs quoting, as real exports have: the CSV's quoted-field path is measured too.
  region: ['north', 'south', 'east', 'west', '"north, coast"'],
  channel: ['app', 'web', 'store'],
  churn_risk: ['low', 'medium', 'high'],
  newsletter: ['yes', 'no'],
};
export const SEGMENT_COLUMNS = Object.values(SEGMENT_VALUES);
export const WIDE_HEADER = `document_id,${Object.keys(SEGMENT_VALUES).join(',')}`;
/** Share of segment cells left blank (the customer has no segment of that type). */
const BLANK_SHARE = 0.2;

/**
 * A document id that looks like a real one (10 digits, no visible order) for the n-th customer.
 * n → n·A + B mod 10^10 is a bijection (A is odd and not a multiple of 5), so distinct n give
 * distinct ids; n·A stays below 2^53 for any n under 10^9.
 */
export function documentId(n: number): string {
  return String((n * 7_654_321 + 1_234_567_890) % 10_000_000_000).padStart(10, '0');
}

export interface WideSpec {
  rows: number;
  /** Share of rows that repeat the id of an earlier row (with other segments: the first must win). */
  duplicateShare: number;
  seed: number;
}

/** What a generated file holds, for checking the CLI's counts against. */
export interface FileFacts {
  rows: number;
  customers: number;
}

/** The data lines of a wide file; `facts.customers` is final once the generator is exhausted. */
export function wideLines(spec: WideSpec, facts: FileFacts): Generator<string> {
  const random = mulberry32(spec.seed);
  return (function* () {
    for (let row = 0; row < spec.rows; row++) {
      facts.rows++;
      const repeat = facts.customers > 0 && random() < spec.duplicateShare;
      const id = documentId(repeat ? Math.floor(random() * facts.customers) : facts.customers++);
      yield `${id},${segmentCells(random)}`;
    }
  })();
}

function segmentCells(random: Random): string {
  return SEGMENT_COLUMNS.map((values) => (random() < BLANK_SHARE ? '' : values[Math.floor(random() * values.length)])).join(',');
}

/** A file of `count` distinct ids and one segment each: the id index's worst case per byte read. */
export function uniqueIdLines(count: number, facts: FileFacts): Generator<string> {
  return (function* () {
    for (let n = 0; n < count; n++) {
      facts.rows++;
      facts.customers++;
      yield `${documentId(n)},gold`;
    }
  })();
}
export const UNIQUE_ID_HEADER = 'document_id,tier';

/** Lines joined per write: one syscall per ~1-2 MB. */
const LINES_PER_WRITE = 32_768;

/** Writes the header and lines (LF-terminated) to `path`, replacing it. */
export async function writeCsv(path: string, header: string, lines: Iterable<string>): Promise<void> {
  const file = await open(path, 'w');
  try {
    let chunk: string[] = [header];
    for (const line of lines) {
      chunk.push(line);
      if (chunk.length >= LINES_PER_WRITE) {
        await file.write(`${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) await file.write(`${chunk.join('\n')}\n`);
  } finally {
    await file.close();
  }
}

/** Generates a wide file with duplicates; resolves to what it holds. */
export async function writeWideFile(path: string, spec: WideSpec): Promise<FileFacts> {
  const facts: FileFacts = { rows: 0, customers: 0 };
  await writeCsv(path, WIDE_HEADER, wideLines(spec, facts));
  return facts;
}

/** Generates a file of `count` distinct ids; resolves to what it holds. */
export async function writeUniqueIdFile(path: string, count: number): Promise<FileFacts> {
  const facts: FileFacts = { rows: 0, customers: 0 };
  await writeCsv(path, UNIQUE_ID_HEADER, uniqueIdLines(count, facts));
  return facts;
}

/**
 * Generates the benchmark's input files. Lines are built by pure generators (seeded, so every run
 * measures the same data) and written in large chunks, so that 10M rows take seconds, not minutes.
 */
import { open } from 'node:fs/promises';
import { mulberry32, type Random } from '../../src/emulator/prng.js';

/** The wide file's tier values, in order (the nights' files move a changing customer to the next). */
export const TIERS: readonly string[] = ['gold', 'silver', 'bronze', 'platinum'];

/** The segment columns of the wide file, with the values each takes. */
const SEGMENT_VALUES: Record<string, readonly string[]> = {
  tier: TIERS,
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
export interface GeneratedFacts {
  rows: number;
  customers: number;
  /** Rows that repeat an earlier customer; absent: rows - customers (one row a customer). */
  duplicates?: number;
}

/** The data lines of a wide file; `facts.customers` is final once the generator is exhausted. */
export function wideLines(spec: WideSpec, facts: GeneratedFacts): Generator<string> {
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

/**
 * The narrow file's columns: four short cells, ~26 bytes a row, so that per-row costs (not bytes)
 * dominate. Every cell is set and none needs quoting.
 */
export const NARROW_HEADER = 'document_id,tier,region,risk';
const NARROW_VALUES = [
  ['gold', 'silver', 'bronze'],
  ['north', 'south', 'east', 'west'],
  ['low', 'mid', 'high'],
] as const;

/**
 * A short id (C + 8 digits) for the n-th customer: n → n·7919 mod 10^8 is a bijection (7919 is
 * prime, coprime with 10), so distinct n under 10^8 give distinct ids.
 */
export function narrowId(n: number): string {
  return `C${String((n * 7919) % 100_000_000).padStart(8, '0')}`;
}

/** The data lines of a narrow file, duplicates drawn as in wideLines. */
export function narrowLines(spec: WideSpec, facts: GeneratedFacts): Generator<string> {
  const random = mulberry32(spec.seed);
  return (function* () {
    for (let row = 0; row < spec.rows; row++) {
      facts.rows++;
      const repeat = facts.customers > 0 && random() < spec.duplicateShare;
      const id = narrowId(repeat ? Math.floor(random() * facts.customers) : facts.customers++);
      yield `${id},${NARROW_VALUES.map((values) => values[Math.floor(random() * values.length)]).join(',')}`;
    }
  })();
}

/** The long layout's header, as the CLI recognises it (the id column, then `type` and `value`). */
export const LONG_HEADER = 'document_id,type,value';
/** The segment types of a long customer: one row each. */
const LONG_TYPES = ['tier', 'region', 'channel'] as const;

/**
 * The lines of an unsorted long file: every customer has one row per LONG_TYPES entry, and the
 * rows are shuffled (seeded Fisher-Yates over row numbers) so a customer's rows lie far apart, the
 * order of a query without ORDER BY. Row number r is the (r mod 3)-th segment of customer ⌊r / 3⌋;
 * the permutation is a Uint32Array (4 bytes a row), so 30M rows cost 120 MB in the benchmark.
 */
export function longUnsortedLines(customers: number, seed: number, facts: GeneratedFacts): Generator<string> {
  const types = LONG_TYPES.length;
  const rows = customers * types;
  if (rows > 2 ** 32) throw new RangeError(`too many long rows for a Uint32Array permutation: ${rows}`);
  const order = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) order[r] = r;
  const random = mulberry32(seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    // `as number`: 0 <= j <= i < rows, the array's length.
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  facts.customers = customers;
  facts.duplicates = 0;
  // The wide file's values of the same columns, but none that needs quoting.
  const valuesOf = LONG_TYPES.map((type) => {
    const values = SEGMENT_VALUES[type];
    if (values === undefined) throw new TypeError(`long type ${type} is not a column of the wide file`);
    return values.filter((value) => !value.startsWith('"'));
  });
  return (function* () {
    for (const r of order) {
      facts.rows++;
      const n = Math.floor(r / types);
      const column = r % types;
      const values = valuesOf[column] as string[]; // column = r % types < valuesOf.length
      yield `${documentId(n)},${LONG_TYPES[column]},${values[n % values.length]}`;
    }
  })();
}

/** A file of `count` distinct ids and one segment each: the id index's worst case per byte read. */
export function uniqueIdLines(count: number, facts: GeneratedFacts): Generator<string> {
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
export async function writeWideFile(path: string, spec: WideSpec): Promise<GeneratedFacts> {
  const facts: GeneratedFacts = { rows: 0, customers: 0 };
  await writeCsv(path, WIDE_HEADER, wideLines(spec, facts));
  return facts;
}

/** Generates a narrow file with duplicates; resolves to what it holds. */
export async function writeNarrowFile(path: string, spec: WideSpec): Promise<GeneratedFacts> {
  const facts: GeneratedFacts = { rows: 0, customers: 0 };
  await writeCsv(path, NARROW_HEADER, narrowLines(spec, facts));
  return facts;
}

/** Generates an unsorted long file of `customers` × 3 rows; resolves to what it holds. */
export async function writeLongUnsortedFile(path: string, customers: number, seed: number): Promise<GeneratedFacts> {
  const facts: GeneratedFacts = { rows: 0, customers: 0 };
  await writeCsv(path, LONG_HEADER, longUnsortedLines(customers, seed, facts));
  return facts;
}

/** Generates a file of `count` distinct ids; resolves to what it holds. */
export async function writeUniqueIdFile(path: string, count: number): Promise<GeneratedFacts> {
  const facts: GeneratedFacts = { rows: 0, customers: 0 };
  await writeCsv(path, UNIQUE_ID_HEADER, uniqueIdLines(count, facts));
  return facts;
}

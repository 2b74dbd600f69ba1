/**
 * The incremental phases' input: the same customers on two "nights", the second with a share of
 * them changed. Every line is a pure function of the customer's id (and of the night), so the two
 * files can list the customers in any order — generated, sorted by id (as many real exports are),
 * or shuffled — and still agree on who changed. No duplicates and no invalid rows: every row is a
 * customer, so the counts to expect are exact.
 */
import { mulberry32 } from '../../src/emulator/prng.js';
import { SEGMENT_COLUMNS, TIERS, WIDE_HEADER, writeCsv, type FileFacts } from './generate.js';

/** Generated: the generator's order (ids in no visible order); sorted: ascending id; shuffled: seeded random. */
export type NightOrder = 'generated' | 'sorted' | 'shuffled';

export interface NightSpec {
  customers: number;
  order: NightOrder;
  /** Night 1 changes nobody; night 2 changes one customer in every `changeEvery`. */
  night: 1 | 2;
  seed: number;
}

export interface NightFacts extends FileFacts {
  /** Customers whose segments differ from night 1 (0 on night 1). */
  changed: number;
}

/** One customer in every CHANGE_EVERY changes on night 2: 1%. */
export const CHANGE_EVERY = 100;

/** Same bijection as generate.ts's documentId, kept as a number so ids sort and hash cheaply. */
export function idValue(n: number): number {
  return (n * 7_654_321 + 1_234_567_890) % 10_000_000_000;
}

export const idText = (value: number): string => String(value).padStart(10, '0');

/**
 * Night 2 changes a customer when its id ends in 37 (mod CHANGE_EVERY). The id is n·A + B mod 10^10
 * and A is coprime with 100, so the last two digits run through all 100 values in any 100
 * consecutive n: exactly one customer in a hundred changes, spread over the whole id range.
 */
export function changesOnNight2(id: number): boolean {
  return id % CHANGE_EVERY === 37;
}

/** The ids of `customers` customers, in the order asked for. */
export function nightIds(customers: number, order: NightOrder, seed: number): Float64Array {
  const ids = new Float64Array(customers);
  for (let n = 0; n < customers; n++) ids[n] = idValue(n);
  if (order === 'sorted') ids.sort();
  if (order === 'shuffled') {
    const random = mulberry32(seed);
    for (let i = customers - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      // `as number`: 0 <= j <= i < customers, the array's length.
      const t = ids[i] as number;
      ids[i] = ids[j] as number;
      ids[j] = t;
    }
  }
  return ids;
}

/** A 32-bit seed from an id (up to 10^10) and the run's seed. */
function idSeed(id: number, seed: number): number {
  return (Math.imul((id % 4_294_967_296) ^ seed, 0x9e3779b1) ^ Math.floor(id / 4_294_967_296)) >>> 0;
}

/**
 * The segment cells of a customer: the same on both nights, except that a customer changing on
 * night 2 gets another tier (the next one, or 'gold' where it had none).
 */
export function nightCells(id: number, night: 1 | 2, seed: number): string[] {
  const random = mulberry32(idSeed(id, seed));
  // `as string`: random() < 1, so the index is below values.length.
  const cells = SEGMENT_COLUMNS.map((values) => (random() < 0.2 ? '' : (values[Math.floor(random() * values.length)] as string)));
  if (night === 2 && changesOnNight2(id)) {
    // The tier is the first segment column; a blank one (no tier) is -1 here and becomes TIERS[0].
    const tier = TIERS.indexOf(cells[0] ?? '');
    cells[0] = TIERS[(tier + 1) % TIERS.length] as string; // -1 <= tier < TIERS.length
  }
  return cells;
}

export function nightLines(spec: NightSpec, facts: NightFacts): Generator<string> {
  const ids = nightIds(spec.customers, spec.order, spec.seed);
  return (function* () {
    for (const id of ids) {
      facts.rows++;
      facts.customers++;
      if (spec.night === 2 && changesOnNight2(id)) facts.changed++;
      yield `${idText(id)},${nightCells(id, spec.night, spec.seed).join(',')}`;
    }
  })();
}

/** Writes one night's wide file; resolves to what it holds. */
export async function writeNightFile(path: string, spec: NightSpec): Promise<NightFacts> {
  const facts: NightFacts = { rows: 0, customers: 0, changed: 0 };
  await writeCsv(path, WIDE_HEADER, nightLines(spec, facts));
  return facts;
}

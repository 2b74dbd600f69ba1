/**
 * Nightly exports for the incremental tests: a night is the truth of one export (each customer's
 * segments, in row order), and renderers turn it into the CSV text a CRM would hand over — in the
 * wide layout with any column order, shuffled rows, padded cells, duplicates and broken rows, or in
 * the long layout (document_id,type,value) shuffled, with repeated pairs.
 *
 * Seeded (mulberry32, the project's test PRNG), so a failing night replays. What the CLI must make
 * of the text is NOT decided here: the oracle parses the rendered text itself.
 */
import { mulberry32 } from '../../../src/emulator/prng.js';
import type { Segment } from './oracle.js';

export type Night = Map<string, Segment[]>;

export const TYPES = ['tier', 'region', 'churn', 'channel'] as const;
const VALUES: Record<(typeof TYPES)[number], string[]> = {
  tier: ['gold', 'silver', 'bronze', 'platinum'],
  region: ['north', 'south', 'east', 'west', 'North, coastal'],
  churn: ['low', 'medium', 'high'],
  channel: ['web', 'store', 'app'],
};

export type Random = () => number;

export function random(seed: number): Random {
  return mulberry32(seed);
}

function pick<T>(rnd: Random, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

export function shuffled<T>(rnd: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Random segments: each type present with probability 3/4 (its value drawn), in TYPES order. */
export function randomSegments(rnd: Random): Segment[] {
  return TYPES.filter(() => rnd() < 0.75).map((type) => ({ type, value: pick(rnd, VALUES[type]) }));
}

/** Other segments than `old`, as a set: one type's value flipped, or one type added or removed. */
export function changedSegments(rnd: Random, old: readonly Segment[]): Segment[] {
  const present = new Map(old.map((s) => [s.type, s.value]));
  const type = pick(rnd, TYPES);
  const current = present.get(type);
  if (current === undefined) present.set(type, pick(rnd, VALUES[type]));
  else if (rnd() < 0.3 && present.size > 1) present.delete(type);
  else
    present.set(
      type,
      pick(
        rnd,
        VALUES[type].filter((v) => v !== current),
      ),
    );
  return TYPES.filter((t) => present.has(t)).map((t) => ({ type: t, value: present.get(t)! }));
}

export interface FirstNightSpec {
  seed: number;
  ids: readonly string[];
  /** These customers have no segments at all (their row clears them). */
  empty?: readonly string[];
}

export function firstNight({ seed, ids, empty = [] }: FirstNightSpec): Night {
  const rnd = random(seed);
  const emptySet = new Set(empty);
  const night: Night = new Map();
  for (const id of ids) {
    let segments = emptySet.has(id) ? [] : randomSegments(rnd);
    if (!emptySet.has(id) && segments.length === 0) segments = [{ type: 'tier', value: pick(rnd, VALUES.tier) }];
    night.set(id, segments);
  }
  return night;
}

export interface NextNightSpec {
  seed: number;
  change?: readonly string[];
  /** New customers (absent from the previous night), with random segments. */
  add?: readonly string[];
  drop?: readonly string[];
}

/** The next export: `change` get other segments, `drop` are gone, `add` are appended. */
export function nextNight(prev: Night, { seed, change = [], add = [], drop = [] }: NextNightSpec): Night {
  const rnd = random(seed);
  const changeSet = new Set(change);
  const dropSet = new Set(drop);
  const night: Night = new Map();
  for (const [id, segments] of prev) {
    if (dropSet.has(id)) continue;
    night.set(id, changeSet.has(id) ? changedSegments(rnd, segments) : segments.map((s) => ({ ...s })));
  }
  for (const id of add) {
    const segments = randomSegments(rnd);
    night.set(id, segments.length > 0 ? segments : [{ type: 'channel', value: 'web' }]);
  }
  return night;
}

export interface WideRender {
  /** Column order of the segment types; default TYPES. */
  columns?: readonly string[];
  /** Shuffle the rows with this seed. */
  shuffleSeed?: number;
  /** Rows appended after a random later position: same id, other segments (they must lose). */
  duplicates?: readonly { id: string; segments: Segment[] }[];
  /** Rows with a readable id and one field missing (invalid), put in the middle. */
  broken?: readonly string[];
  /** Pad these customers' cells with spaces (trimmed by the reader: no change). */
  padded?: readonly string[];
}

/** The night as a wide CSV (`document_id,<types…>`), LF line ends. */
export function renderWide(night: Night, options: WideRender = {}): string {
  const columns = options.columns ?? TYPES;
  const padded = new Set(options.padded ?? []);
  const row = (id: string, segments: readonly Segment[]): string => {
    const pad = padded.has(id);
    const cells = columns.map((type) => {
      const value = segments.find((s) => s.type === type)?.value ?? '';
      return cell(pad && value !== '' ? `  ${value} ` : value);
    });
    return [pad ? ` ${id}  ` : id, ...cells].join(',');
  };
  let ids = [...night.keys()];
  if (options.shuffleSeed !== undefined) ids = shuffled(random(options.shuffleSeed), ids);
  const lines = ids.map((id) => row(id, night.get(id)!));
  const rnd = random((options.shuffleSeed ?? 1) + 101);
  for (const dup of options.duplicates ?? []) {
    const at = lines.findIndex((line) => line.split(',')[0]!.trim() === dup.id);
    const position = at + 1 + Math.floor(rnd() * (lines.length - at));
    lines.splice(position, 0, row(dup.id, dup.segments));
  }
  for (const id of options.broken ?? []) {
    const missing = columns.slice(1).map((type) => cell(type === 'region' ? 'north' : 'x'));
    lines.splice(Math.floor(lines.length / 2), 0, [id, ...missing].join(','));
  }
  return `document_id,${columns.join(',')}\n${lines.join('\n')}\n`;
}

export interface LongRender {
  shuffleSeed: number;
  /** Repeat one (type, value) pair of these customers (a repeated pair counts once). */
  repeated?: readonly string[];
  /** Pad the type and value cells of these customers. */
  padded?: readonly string[];
}

/** The night as a long CSV (`document_id,type,value`), rows shuffled; no segments: `id,,`. */
export function renderLong(night: Night, options: LongRender): string {
  const repeated = new Set(options.repeated ?? []);
  const padded = new Set(options.padded ?? []);
  const rows: string[] = [];
  for (const [id, segments] of night) {
    if (segments.length === 0) rows.push(`${id},,`);
    const pad = (text: string): string => cell(padded.has(id) ? ` ${text}  ` : text);
    for (const s of segments) rows.push(`${id},${pad(s.type)},${pad(s.value)}`);
    if (repeated.has(id) && segments.length > 0) rows.push(`${id},${cell(segments[0]!.type)},${cell(segments[0]!.value)}`);
  }
  return `document_id,type,value\n${shuffled(random(options.shuffleSeed), rows).join('\n')}\n`;
}

function cell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `count` ids `<prefix>0001`… */
export function ids(prefix: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(from + i).padStart(4, '0')}`);
}

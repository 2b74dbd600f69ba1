/**
 * Generates wide-layout CSV files the project has never seen: random duplicates, RFC 4180 quoting
 * (delimiters, quotes and line breaks inside fields), padded ids and values, blank cells, all-blank
 * rows, ids that look like spreadsheet formulas, and a few broken rows. Seeded, so a failure replays.
 *
 * The generator also returns the line each data record starts on, counted while writing: the tests
 * check the oracle's parse against it, so neither can be silently wrong.
 */
import { mulberry32 } from '../../../src/emulator/prng.js';

export interface WideFileSpec {
  seed: number;
  rows: number;
  /** Ids are drawn from this pool, so duplicates come at random. */
  idPool: readonly string[];
  delimiter: ',' | ';';
  crlf: boolean;
  bom: boolean;
  /** Share of rows whose segment cells are all blank. */
  blankShare: number;
  /** Share of rows broken on purpose (empty id, or a missing field). */
  brokenShare: number;
}

export interface GeneratedFile {
  text: string;
  /** Start line of each data record, in order (the header is line 1). */
  recordLines: number[];
}

/** Header names as written: one padded (names are trimmed), one holding the delimiter (quoted). */
export const SEGMENT_COLUMNS = ['tier', ' region ', 'churn, risk', 'note'] as const;

const VALUES = [
  'gold',
  'silver',
  'North, coastal',
  'Nord; côte',
  'says "hi"',
  'two\nlines',
  'windows\r\nbreak',
  '  padded  ',
  '=SUM(A1:A9)',
  '-42',
  '@home',
  'ünïcødé ✓',
];

/** `count` ids, some of them starting with a character a spreadsheet would evaluate. */
export function idPool(count: number, prefix = 'C'): string[] {
  const formulaStarts = ['=', '-', '+', '@'];
  return Array.from({ length: count }, (_, i) =>
    i % 97 === 5 ? `${formulaStarts[i % 4]}${prefix}${i}` : `${prefix}${String(i).padStart(6, '0')}`,
  );
}

/** A wide file of `count` distinct customers, all with the same segment. */
export function distinctCustomersCsv(count: number): string {
  return `document_id,tier\n${Array.from({ length: count }, (_, i) => `R${i},gold\n`).join('')}`;
}

export function generateWideCsv(spec: WideFileSpec): GeneratedFile {
  const random = mulberry32(spec.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const newline = spec.crlf ? '\r\n' : '\n';
  const encode = (cell: string): string => encodeCell(cell, spec.delimiter, random() < 0.1);
  const records = [['document_id', ...SEGMENT_COLUMNS].map(encode).join(spec.delimiter)];
  const recordLines: number[] = [];
  let line = 2;
  for (let r = 0; r < spec.rows; r++) {
    const cells = rowCells(spec, random, pick);
    const record = cells.map(encode).join(spec.delimiter);
    recordLines.push(line);
    line += 1 + (record.match(/\r\n|\n/g)?.length ?? 0);
    records.push(record);
  }
  return { text: (spec.bom ? '\ufeff' : '') + records.join(newline) + newline, recordLines };
}

function rowCells(spec: WideFileSpec, random: () => number, pick: <T>(items: readonly T[]) => T): string[] {
  const draw = random();
  const id = pick(spec.idPool);
  const paddedId = random() < 0.05 ? `  ${id} ` : id;
  if (draw < spec.brokenShare / 2) return ['  ', ...SEGMENT_COLUMNS.map(() => pick(VALUES))];
  if (draw < spec.brokenShare) return [paddedId, ...SEGMENT_COLUMNS.slice(1).map(() => pick(VALUES))];
  if (draw < spec.brokenShare + spec.blankShare) return [paddedId, ...SEGMENT_COLUMNS.map(() => (random() < 0.5 ? '' : '   '))];
  return [paddedId, ...SEGMENT_COLUMNS.map(() => (random() < 0.25 ? '' : pick(VALUES)))];
}

/** RFC 4180: quote when needed (or when asked to, as some exporters quote everything). */
function encodeCell(cell: string, delimiter: string, quoteAnyway: boolean): string {
  const needsQuotes = cell.includes(delimiter) || /["\r\n]/.test(cell);
  return needsQuotes || quoteAnyway ? `"${cell.replaceAll('"', '""')}"` : cell;
}

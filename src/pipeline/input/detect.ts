/**
 * Detection of the delimiter and the layout. Pure: a string or a header in, a decision out.
 */
import { stripBom } from '../../core/text.js';
import type { Layout } from '../../core/types.js';
import { DELIMITERS, type Delimiter } from './options.js';

const QUOTE = '"';

/**
 * The first non-blank line of `text` (the header), ending at a line break outside quotes.
 * Returns undefined while the line may still continue, unless `complete` says no more text comes.
 */
export function firstLine(text: string, complete: boolean): string | undefined {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (text.slice(start, i).trim() !== '') return text.slice(start, i);
      start = i + 1;
    }
  }
  const rest = text.slice(start);
  return complete && rest.trim() !== '' ? rest : undefined;
}

/**
 * The most frequent candidate outside quotes in the header line. Ties go to the earlier candidate
 * in `DELIMITERS` (',' first), so a line without any candidate reads as comma-separated.
 */
export function detectDelimiter(headerLine: string): Delimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const c of headerLine) {
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && counts.has(c)) counts.set(c, (counts.get(c) as number) + 1);
  }
  let best: Delimiter = DELIMITERS[0];
  for (const d of DELIMITERS) {
    if ((counts.get(d) as number) > (counts.get(best) as number)) best = d;
  }
  return best;
}

/** What the first line(s) of a file say about how to read it. */
export interface Prefix {
  /** The delimiter to use: given, from a `sep=` line, or detected from the header line. */
  delimiter: string;
  /** The `sep=` line's delimiter when the file starts with one (line 1, then skipped). */
  sep?: string;
}

/**
 * Reads the start of a (decoded, valid UTF-8) file: a `sep=<c>` first line (Excel writes it so
 * that it opens the file with the right delimiter), and the delimiter (`given`, else the `sep=`
 * one, else detected from the header line). Undefined while more bytes are needed; `complete`:
 * no more bytes will come.
 */
export function readPrefix(chunks: readonly Buffer[], given: string | undefined, complete: boolean): Prefix | undefined {
  const text = stripBom(Buffer.concat(chunks).toString('utf8'));
  const sep = sepLine(text, complete);
  if (sep === undefined) return undefined;
  if (sep !== false) return { delimiter: given ?? sep.delimiter, sep: sep.delimiter };
  if (given !== undefined) return { delimiter: given };
  const line = firstLine(text, complete);
  if (line !== undefined) return { delimiter: detectDelimiter(line) };
  return complete ? { delimiter: DELIMITERS[0] } : undefined;
}

const SEP_LINE = /^sep=([^\r\n"\s]|\t) *$/i;
const SEP_PREFIX = 'sep=';

/**
 * The `sep=` first line: its delimiter, false when the file does not start with one, undefined
 * while the first line is not complete and could still be one. Only line 1 counts (Excel writes
 * it there); the delimiter is one character, not a quote or a space.
 */
export function sepLine(text: string, complete: boolean): { delimiter: string; text: string } | false | undefined {
  const end = text.search(/[\r\n]/);
  if (end === -1 && !complete) {
    // A short start that may still become `sep=;`: wait for its line break.
    const couldBe = text.length <= SEP_PREFIX.length + 3 && SEP_PREFIX.startsWith(text.slice(0, SEP_PREFIX.length).toLowerCase());
    return couldBe ? undefined : false;
  }
  const line = end === -1 ? text : text.slice(0, end);
  const match = SEP_LINE.exec(line);
  return match === null ? false : { delimiter: match[1] as string, text: line };
}

/** Why a header could be read in more than one layout; see detectLayout. */
export type LayoutGuess = { layout: Layout } | { ambiguous: string; advice: string };

/**
 * The layout a header says (names are matched trimmed and case-insensitively):
 * - id + `type` + `value` is long (any other columns are ignored: exports often add one, e.g. `source`);
 * - id + `segments` and nothing else is json;
 * - a header without any of `segments`, `type`, `value` is wide.
 * Anything in between could be read two ways, and guessing wrong sends wrong segments to an
 * endpoint that replaces them, so it is `ambiguous` (the caller refuses it, naming --layout):
 * `segments` with `type`+`value`; `segments` with other columns (json with an extra column, or a
 * wide file with a segment type named "segments"); `type` without `value` or the reverse (a long
 * export with a renamed column, or a wide file with a type named "type"); and a pair of columns
 * named like a long export's under a common prefix (`segment_type` and `segment_value`,
 * `attributeKey` and `attributeValue`, see longPairOf): read as wide, every customer would get
 * the two segments segment_type=tier and segment_value=gold in place of its own.
 * `columnsChosen` (--segment-columns given): the user has listed the columns to send, so the file
 * is wide unless its header is exactly a json or long one (which the caller then refuses).
 */
export function detectLayout(names: readonly string[], idColumn: string, columnsChosen = false): LayoutGuess {
  const keys = names.map(headerKey);
  const id = headerKey(idColumn);
  const has = (name: string): boolean => keys.includes(name);
  const segments = has('segments');
  const type = has('type');
  const value = has('value');
  const others = keys.filter((k) => k !== id && k !== 'segments' && k !== 'type' && k !== 'value' && k !== '');
  if (columnsChosen) {
    if (type && value && !segments && others.length === 0) return { layout: 'long' };
    if (segments && !type && !value && others.length === 0) return { layout: 'json' };
    return { layout: 'wide' };
  }
  if (segments && type && value) {
    return {
      ambiguous: 'it has a "segments" column (json layout) and "type" and "value" columns (long layout)',
      advice: 'say which with --layout json or --layout long (the other columns are then ignored), or --layout wide',
    };
  }
  if (type && value) return { layout: 'long' };
  if (segments) {
    if (!type && !value && others.length === 0) return { layout: 'json' };
    return {
      ambiguous:
        'it has a "segments" column (json layout) and other columns, so it could also be a wide file with a segment type named "segments"',
      advice: 'say which with --layout json (the other columns are then ignored) or --layout wide',
    };
  }
  if (type || value) {
    const [found, lacking] = type ? ['type', 'value'] : ['value', 'type'];
    return {
      ambiguous: `it has a "${found}" column but no "${lacking}" column: a long export with a renamed column, or a wide file with a segment type named "${found}"`,
      advice: LONG_NAMES_ADVICE,
    };
  }
  const pair = longPairOf(names, keys, id);
  if (pair !== undefined) {
    return {
      ambiguous: `it has the columns "${pair.type}" and "${pair.value}": a long export (a row per segment) with its columns named otherwise, or a wide file with two segment types named so`,
      advice: LONG_NAMES_ADVICE,
    };
  }
  return { layout: 'wide' };
}

const LONG_NAMES_ADVICE = 'for the long layout name the columns "type" and "value"; for a wide file say so with --layout wide';

/** What a long export may call its type column, after a prefix it shares with its value column. */
const TYPE_SUFFIXES = ['type', 'key', 'name'];

/**
 * Two columns named <prefix>type (or key, name) and <prefix>value with the same non-empty prefix
 * (compared as header names are, so `Segment_Type` pairs with `segment_value`, `segmentType` with
 * `segmentValue`): how warehouse exports name a long layout's columns. Only an exact pair counts:
 * `customer_type` and `lifetime_value` are two wide segment types.
 */
function longPairOf(names: readonly string[], keys: readonly string[], id: string): { type: string; value: string } | undefined {
  // The header as the caller keyed it (keys[i] is names[i]'s), the id column left out.
  const byKey = new Map<string, string>();
  keys.forEach((key, i) => {
    if (key !== id) byKey.set(key, (names[i] as string).trim());
  });
  for (const [key, name] of byKey) {
    if (!key.endsWith('value')) continue;
    const prefix = key.slice(0, -'value'.length);
    if (prefix === '') continue;
    for (const suffix of TYPE_SUFFIXES) {
      const typeName = byKey.get(prefix + suffix);
      if (typeName !== undefined) return { type: typeName, value: name };
    }
  }
  return undefined;
}

/** How header names are compared: trimmed, case-insensitive. */
export function headerKey(name: string): string {
  return name.trim().toLowerCase();
}

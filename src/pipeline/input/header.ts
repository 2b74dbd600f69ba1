/**
 * Reads the header record into a column map for the layout mapping. Pure; every structural
 * problem of a header is a value naming the line and saying how to fix it. Names are trimmed and
 * matched case-insensitively (`Type`, `VALUE`, `Document_ID` are what exports really write); the
 * trimmed name as written is kept as the wide segment type.
 */
import { err, ok, type Result } from '../../core/result.js';
import type { Layout } from '../../core/types.js';
import { detectLayout, headerKey } from './detect.js';
import type { SegmentColumn } from './options.js';
import { describeNames, inputProblem, type InputProblem } from './problem.js';

/** A wide segment column: where it is and the type it is sent as. */
export interface WideSegmentColumn {
  index: number;
  type: string;
}

interface ColumnsBase {
  /** Trimmed header names, as many as the header has fields (trailing unnamed ones included). */
  names: string[];
  id: number;
  /** Fields up to the last named column; a record of `width` or `fullWidth` fields is well formed. */
  width: number;
  /** Fields of the header, trailing unnamed columns included (Excel pads every line). */
  fullWidth: number;
  /** Named columns that are read but not sent (wide: left out by the selection; long/json: extra). */
  ignored: string[];
  /** Warnings about how the header is read, for the log and the plan. */
  notes: string[];
}

/** Where each column of a layout is. */
export type Columns =
  | (ColumnsBase & { layout: 'wide'; segments: WideSegmentColumn[]; selected: boolean })
  | (ColumnsBase & { layout: 'json'; segments: number })
  | (ColumnsBase & { layout: 'long'; type: number; value: number });

/** The columns, or the header's problem (the reader reports it). */
export type HeaderResult = Result<Columns, InputProblem>;

export interface HeaderOptions {
  idColumn: string;
  /** Forced layout; undefined = detect. */
  layout?: Layout;
  segmentColumns?: readonly SegmentColumn[];
  ignoreColumns?: readonly string[];
}

const LAYOUT_NAMES: Record<Exclude<Layout, 'wide'>, string[]> = { json: ['segments'], long: ['type', 'value'] };

export function readHeader(record: readonly string[], line: number, opts: HeaderOptions): HeaderResult {
  const names = record.map((name) => name.trim());
  const width = namedWidth(names);
  const named = names.slice(0, width);
  const problem = namingProblem(named, line) ?? idProblem(named, line, opts.idColumn);
  if (problem !== undefined) return err(problem);
  const keys = named.map(headerKey);
  const base: ColumnsBase = { names, id: keys.indexOf(headerKey(opts.idColumn)), width, fullWidth: names.length, ignored: [], notes: [] };
  if (width < names.length) {
    base.notes.push(
      `the header ends with ${names.length - width} column${names.length - width === 1 ? '' : 's'} without a name (as Excel exports write); ignored, and a value in one makes its row invalid`,
    );
  }
  let layout = opts.layout;
  if (layout === undefined) {
    // Columns left out by --ignore-columns take no part in detection: `document_id,type,value,source`
    // with --ignore-columns source is still the long layout, not a wide file with a type "type".
    const ignore = new Set((opts.ignoreColumns ?? []).map(headerKey));
    const considered = named.filter((name, i) => i === base.id || !ignore.has(keys[i] as string));
    const guess = detectLayout(considered, opts.idColumn, opts.segmentColumns !== undefined);
    if ('ambiguous' in guess) {
      return err(inputProblem('AMBIGUOUS_LAYOUT', line, `the header could be read in two layouts: ${guess.ambiguous}; ${guess.advice}`));
    }
    layout = guess.layout;
  }
  return layout === 'wide' ? wideColumns(base, keys, line, opts) : fixedColumns(layout, base, keys, line, opts);
}

/** Fields up to the last named one: Excel pads lines with empty trailing columns. */
function namedWidth(names: readonly string[]): number {
  let width = names.length;
  while (width > 0 && names[width - 1] === '') width--;
  return width;
}

/**
 * Empty or duplicated names (duplicates compared as names are matched: trimmed, any case).
 * csv-parse would let the last duplicate win; a column with no name between named ones is a
 * shifted or broken header, unlike Excel's trailing padding.
 */
function namingProblem(names: readonly string[], line: number): InputProblem | undefined {
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (name === '') {
      return inputProblem('EMPTY_HEADER_NAME', line, `column ${i + 1} of the header has no name; name it or remove the column`);
    }
    const key = headerKey(name);
    const first = seen.get(key);
    if (first !== undefined) {
      const what = names[first] === name ? JSON.stringify(name) : `${JSON.stringify(names[first])} (as ${JSON.stringify(name)})`;
      return inputProblem(
        'DUPLICATE_HEADER',
        line,
        `column ${what} appears twice (columns ${first + 1} and ${i + 1}); names are compared ignoring case; rename or remove one of them`,
      );
    }
    seen.set(key, i);
  }
  return undefined;
}

function idProblem(names: readonly string[], line: number, idColumn: string): InputProblem | undefined {
  const key = headerKey(idColumn);
  if (names.some((name) => headerKey(name) === key)) return undefined;
  const delimiterHint = names.length === 1 ? ' If the header is one long name, the delimiter may be wrong: set --delimiter.' : '';
  return inputProblem(
    'MISSING_ID_COLUMN',
    line,
    `no ${JSON.stringify(idColumn)} column in the header; found ${describeNames(names)}; name the id column with --id-column.${delimiterHint}`,
  );
}

function wideColumns(base: ColumnsBase, keys: readonly string[], line: number, opts: HeaderOptions): HeaderResult {
  const { names, id } = base;
  let segments: WideSegmentColumn[];
  if (opts.segmentColumns !== undefined) {
    const chosen = selectedColumns(base, keys, line, opts.segmentColumns);
    if (!chosen.ok) return chosen;
    segments = chosen.value;
  } else {
    const ignore = new Set((opts.ignoreColumns ?? []).map(headerKey));
    const missing = (opts.ignoreColumns ?? []).filter((name) => !keys.includes(headerKey(name)));
    if (missing.length > 0) {
      // Only a note: leaving out a column the file does not have sends nothing unmeant.
      base.notes.push(
        `--ignore-columns names ${describeNames(missing)}, not in the header (found ${describeNames(names.slice(0, base.width))})`,
      );
    }
    segments = [];
    for (let i = 0; i < base.width; i++) {
      if (i === id) continue;
      if (ignore.has(keys[i] as string)) base.ignored.push(names[i] as string);
      else segments.push({ index: i, type: names[i] as string });
    }
  }
  if (segments.length === 0) {
    const why = base.width < 2 ? `only the id column ${JSON.stringify(names[id])} was found` : 'no column is left to send';
    return err(
      inputProblem(
        'NO_SEGMENT_COLUMNS',
        line,
        `${why}; add one column per segment type (wide layout), choose them with --segment-columns, or use the json or long layout`,
      ),
    );
  }
  if (base.ignored.length > 0) base.notes.push(`columns not sent as segment types: ${describeNames(base.ignored)}`);
  return ok({ ...base, layout: 'wide', segments, selected: opts.segmentColumns !== undefined || opts.ignoreColumns !== undefined });
}

/** --segment-columns: each listed header must be there; sent in header order under its type. */
function selectedColumns(
  base: ColumnsBase,
  keys: readonly string[],
  line: number,
  list: readonly SegmentColumn[],
): Result<WideSegmentColumn[], InputProblem> {
  const { names, id } = base;
  const found = describeNames(names.slice(0, base.width));
  const byIndex = new Map<number, WideSegmentColumn>();
  const missing: string[] = [];
  for (const entry of list) {
    const index = keys.indexOf(headerKey(entry.header));
    if (index === -1) {
      missing.push(entry.header);
      continue;
    }
    if (index === id) {
      return err(
        inputProblem(
          'SEGMENT_COLUMN_IS_ID',
          line,
          `--segment-columns lists ${JSON.stringify(entry.header)}, the id column; remove it from the list`,
        ),
      );
    }
    if (byIndex.has(index)) {
      return err(
        inputProblem(
          'DUPLICATE_SEGMENT_COLUMN',
          line,
          `--segment-columns lists the column ${JSON.stringify(names[index])} twice; list it once`,
        ),
      );
    }
    byIndex.set(index, { index, type: entry.type });
  }
  if (missing.length > 0) {
    // A listed column that is not there is a changed export or a typo: sending without it would
    // clear that segment type for every customer.
    return err(
      inputProblem(
        'MISSING_SEGMENT_COLUMN',
        line,
        `--segment-columns lists ${describeNames(missing)}, not in the header; found ${found}; fix the list or the export`,
      ),
    );
  }
  const segments = [...byIndex.values()].sort((a, b) => a.index - b.index);
  for (let i = 0; i < base.width; i++) if (i !== id && !byIndex.has(i)) base.ignored.push(names[i] as string);
  return ok(segments);
}

/**
 * json and long: the layout's columns must be there; any other named column is ignored, with a
 * note (exports add columns such as `source` or `updated_at`; they are not segments).
 * --segment-columns with them is refused: it asks for only some segment types, which a long or
 * json file cannot honour by column, so sending the file's own types would not be what was
 * meant. --ignore-columns only leaves out columns, which these layouts ignore anyway: a note.
 */
function fixedColumns(
  layout: 'json' | 'long',
  base: ColumnsBase,
  keys: readonly string[],
  line: number,
  opts: HeaderOptions,
): HeaderResult {
  const { names, id } = base;
  const needed = LAYOUT_NAMES[layout];
  if (!needed.every((name) => keys.includes(name))) {
    const expected = [names[id] as string, ...needed];
    return err(
      inputProblem(
        'LAYOUT_MISMATCH',
        line,
        `the ${layout} layout needs the columns ${describeNames(expected)}; found ${describeNames(names.slice(0, base.width))}; fix the header or the --layout option`,
      ),
    );
  }
  if (opts.segmentColumns !== undefined) {
    return err(
      inputProblem(
        'SEGMENT_COLUMNS_NOT_WIDE',
        line,
        `--segment-columns chooses columns of a wide file, but this header is the ${layout} layout (${describeNames(names.slice(0, base.width))}); remove --segment-columns, or give --layout wide if the file is wide`,
      ),
    );
  }
  for (let i = 0; i < base.width; i++) {
    if (i !== id && !needed.includes(keys[i] as string)) base.ignored.push(names[i] as string);
  }
  if (base.ignored.length > 0) base.notes.push(`${layout} layout: columns ignored (not segments): ${describeNames(base.ignored)}`);
  if (opts.ignoreColumns !== undefined)
    base.notes.push(`--ignore-columns applies to the wide layout; this file is ${layout}, whose other columns are ignored anyway`);
  return layout === 'json'
    ? ok({ ...base, layout, segments: keys.indexOf('segments') })
    : ok({ ...base, layout, type: keys.indexOf('type'), value: keys.indexOf('value') });
}

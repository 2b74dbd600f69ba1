/**
 * Reads the header record into a column map for the layout mapping. Pure; every structural
 * problem of a header is a value naming the line and saying how to fix it.
 */
import type { Layout } from '../types.js';
import { detectLayout, sameNames } from './detect.js';
import { describeNames, inputProblem, type InputProblem } from './problem.js';

/** Where each column of a layout is; `names` are the trimmed header names. */
export type Columns =
  | { layout: 'wide'; names: string[]; id: number }
  | { layout: 'json'; names: string[]; id: number; segments: number }
  | { layout: 'long'; names: string[]; id: number; type: number; value: number };

export type HeaderResult = { ok: true; columns: Columns } | { ok: false; problem: InputProblem };

export interface HeaderOptions {
  idColumn: string;
  /** Forced layout; undefined = detect. */
  layout?: Layout;
}

const LAYOUT_COLUMNS: Record<Exclude<Layout, 'wide'>, (id: string) => string[]> = {
  json: (id) => [id, 'segments'],
  long: (id) => [id, 'type', 'value'],
};

export function readHeader(record: readonly string[], line: number, opts: HeaderOptions): HeaderResult {
  const names = record.map((name) => name.trim());
  const problem = namingProblem(names, line) ?? idProblem(names, line, opts.idColumn);
  if (problem !== undefined) return { ok: false, problem };
  const layout = opts.layout ?? detectLayout(names, opts.idColumn);
  return layout === 'wide' ? wideColumns(names, line, opts.idColumn) : fixedColumns(layout, names, line, opts.idColumn);
}

/** Empty or duplicated names: csv-parse would silently let the last duplicate win. */
function namingProblem(names: readonly string[], line: number): InputProblem | undefined {
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (name === '') {
      return inputProblem('EMPTY_HEADER_NAME', line, `column ${i + 1} of the header has no name; name it or remove the column (a trailing delimiter makes an empty column)`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      return inputProblem('DUPLICATE_HEADER', line, `column ${JSON.stringify(name)} appears twice (columns ${first + 1} and ${i + 1}); rename or remove one of them`);
    }
    seen.set(name, i);
  }
  return undefined;
}

function idProblem(names: readonly string[], line: number, idColumn: string): InputProblem | undefined {
  if (names.includes(idColumn)) return undefined;
  const delimiterHint = names.length === 1 ? ' If the header is one long name, the delimiter may be wrong: set --delimiter.' : '';
  return inputProblem(
    'MISSING_ID_COLUMN',
    line,
    `no ${JSON.stringify(idColumn)} column in the header; found ${describeNames(names)}; name the id column with --id-column.${delimiterHint}`,
  );
}

function wideColumns(names: string[], line: number, idColumn: string): HeaderResult {
  if (names.length < 2) {
    return {
      ok: false,
      problem: inputProblem('NO_SEGMENT_COLUMNS', line, `only the id column ${JSON.stringify(idColumn)} was found; add one column per segment type (wide layout) or use the json or long layout`),
    };
  }
  return { ok: true, columns: { layout: 'wide', names, id: names.indexOf(idColumn) } };
}

function fixedColumns(layout: 'json' | 'long', names: string[], line: number, idColumn: string): HeaderResult {
  const expected = LAYOUT_COLUMNS[layout](idColumn);
  if (!sameNames(names, expected)) {
    return {
      ok: false,
      problem: inputProblem('LAYOUT_MISMATCH', line, `--layout ${layout} needs exactly the columns ${describeNames(expected)}; found ${describeNames(names)}; fix the header or the --layout option`),
    };
  }
  const id = names.indexOf(idColumn);
  return layout === 'json'
    ? { ok: true, columns: { layout, names, id, segments: names.indexOf('segments') } }
    : { ok: true, columns: { layout, names, id, type: names.indexOf('type'), value: names.indexOf('value') } };
}

/**
 * An independent statement of what a run must produce, computed from the rules alone (it
 * shares no code with src/): the inputs are parsed with csv-parse/sync, and from them follow the
 * results.csv rows, the summary counts and the endpoint's final state.
 *
 * Rules (issue 2): the files are one stream; blank lines are not records; the header is line 1 and a
 * record's line is the physical line where it starts; ids, types, values and header names are trimmed;
 * the first VALID occurrence of an id over the whole run is the customer, later valid rows with the id
 * are duplicates of it; an invalid row claims no id. A customer the endpoint knows is `updated` and
 * holds exactly the segments sent; any other is `not_found`.
 */
import { parse } from 'csv-parse/sync';

export interface Segment {
  type: string;
  value: string;
}

export type Layout = 'wide' | 'json' | 'long';

export interface OracleInput {
  /** The file as the run names it (its path on the command line, or 'stdin'). */
  display: string;
  /** The decoded text (BOM allowed). */
  text: string;
  delimiter: string;
  layout: Layout;
}

export interface OracleOptions {
  idColumn?: string;
  skipEmpty?: boolean;
  /** Ids the endpoint knows, or 'all'. */
  known: ReadonlySet<string> | 'all';
  /** Nothing is sent (dry run, rejected input): customers are `valid`. */
  sent?: boolean;
}

export type ExpectedStatus = 'updated' | 'not_found' | 'failed' | 'invalid' | 'duplicate' | 'valid';

export interface ExpectedRow {
  file: string;
  line: number;
  id: string;
  status: ExpectedStatus;
  /** duplicates: the line of the row kept. */
  keptLine?: number;
}

export interface ExpectedCounts {
  rows: number;
  invalid: number;
  duplicates: number;
  customers: number;
  updated: number;
  notFound: number;
  failed: number;
}

export interface Expectation {
  rows: ExpectedRow[];
  counts: ExpectedCounts;
  /** Every customer (first valid occurrence) in input order, with the segments to send. */
  customers: Map<string, Segment[] | null>;
  /** The segments the endpoint holds afterwards for the customers it knows, over `before`. */
  finalState(before?: Record<string, Segment[] | null>): Record<string, Segment[] | null>;
}

/** One record of a file with the line it starts on. */
export interface LocatedRecord {
  line: number;
  cells: string[];
}

/** A file's header and data records (blank lines dropped), each with its physical start line. */
export function parseWithLines(text: string, delimiter: string): { header: LocatedRecord; records: LocatedRecord[] } {
  const parsed = parse(text, { bom: true, delimiter, raw: true, relax_column_count: true, skip_empty_lines: false }) as unknown as { record: string[]; raw: string }[];
  const located: LocatedRecord[] = [];
  let line = 1;
  for (const { record, raw } of parsed) {
    if (!isBlank(record)) located.push({ line, cells: record });
    // The next record starts one line after the last line break inside this one (whatever part of
    // the record delimiter csv-parse includes in `raw`).
    line += countLineBreaks(raw.replace(/[\r\n]+$/, '')) + 1;
  }
  const [header, ...records] = located;
  if (header === undefined) throw new Error('oracle: the input has no header');
  return { header, records };
}

function isBlank(record: string[]): boolean {
  return record.length === 1 && record[0]!.trim() === '';
}

function countLineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** A row after layout mapping: a customer candidate or an invalid row. */
interface MappedRow {
  lines: number[];
  id: string;
  segments?: Segment[] | null;
  invalid?: true;
}

export function expectedOutcome(inputs: readonly OracleInput[], options: OracleOptions): Expectation {
  const idColumn = options.idColumn ?? 'document_id';
  const rows: ExpectedRow[] = [];
  const customers = new Map<string, Segment[] | null>();
  const keptAt = new Map<string, number>();
  const counts: ExpectedCounts = { rows: 0, invalid: 0, duplicates: 0, customers: 0, updated: 0, notFound: 0, failed: 0 };
  for (const input of inputs) {
    for (const mapped of mapFile(input, idColumn, Boolean(options.skipEmpty))) {
      const status = classify(mapped, customers, keptAt, options);
      counts.rows += mapped.lines.length;
      if (status === 'invalid') counts.invalid += mapped.lines.length;
      else if (status === 'duplicate') counts.duplicates += mapped.lines.length;
      else {
        counts.customers += 1;
        if (status === 'updated') counts.updated += 1;
        if (status === 'not_found') counts.notFound += 1;
      }
      const keptLine = status === 'duplicate' ? keptAt.get(mapped.id) : undefined;
      for (const line of mapped.lines) rows.push({ file: input.display, line, id: mapped.id, status, ...(keptLine !== undefined && { keptLine }) });
    }
  }
  return { rows, counts, customers, finalState: (before = {}) => finalStateOf(customers, options.known, before) };
}

/**
 * The same run when these customers could not be delivered (refused, or never sent): their rows are
 * `failed`, the counts move, and the endpoint never receives them.
 */
export function withFailed(expected: Expectation, failedIds: readonly string[], known: ReadonlySet<string> | 'all'): Expectation {
  const failed = new Set(failedIds);
  const counts = { ...expected.counts };
  const counted = new Set<string>();
  const rows = expected.rows.map((row) => {
    if (!failed.has(row.id) || (row.status !== 'updated' && row.status !== 'not_found')) return row;
    // A long-layout customer spans several rows but is one customer.
    if (!counted.has(row.id)) {
      counted.add(row.id);
      counts[row.status === 'updated' ? 'updated' : 'notFound'] -= 1;
      counts.failed += 1;
    }
    return { ...row, status: 'failed' as const };
  });
  const delivered = new Map([...expected.customers].filter(([id]) => !failed.has(id)));
  return { rows, counts, customers: expected.customers, finalState: (before = {}) => finalStateOf(delivered, known, before) };
}

function classify(row: MappedRow, customers: Map<string, Segment[] | null>, keptAt: Map<string, number>, options: OracleOptions): ExpectedStatus {
  if (row.invalid) return 'invalid';
  if (customers.has(row.id)) return 'duplicate';
  customers.set(row.id, row.segments ?? null);
  keptAt.set(row.id, row.lines[0]!);
  if (options.sent === false) return 'valid';
  return isKnown(options.known, row.id) ? 'updated' : 'not_found';
}

function isKnown(known: ReadonlySet<string> | 'all', id: string): boolean {
  return known === 'all' || known.has(id);
}

function finalStateOf(
  customers: Map<string, Segment[] | null>,
  known: ReadonlySet<string> | 'all',
  before: Record<string, Segment[] | null>,
): Record<string, Segment[] | null> {
  const state = { ...before };
  for (const [id, segments] of customers) if (isKnown(known, id)) state[id] = segments;
  return state;
}

function mapFile(input: OracleInput, idColumn: string, skipEmpty: boolean): MappedRow[] {
  const { header, records } = parseWithLines(input.text, input.delimiter);
  const names = header.cells.map((name) => name.trim());
  const idAt = names.indexOf(idColumn);
  if (idAt < 0) throw new Error(`oracle: ${input.display} has no ${idColumn} column`);
  switch (input.layout) {
    case 'wide':
      return records.map((r) => mapWide(r, names, idAt, skipEmpty));
    case 'json':
      return records.map((r) => mapJson(r, names, idAt));
    case 'long':
      return mapLong(records, names, idAt);
  }
}

function mapWide(record: LocatedRecord, names: string[], idAt: number, skipEmpty: boolean): MappedRow {
  const id = (record.cells[idAt] ?? '').trim();
  if (id === '' || record.cells.length !== names.length) return { lines: [record.line], id, invalid: true };
  const segments = record.cells
    .map((cell, column) => ({ type: names[column]!, value: cell.trim() }))
    .filter((segment, column) => column !== idAt && segment.value !== '');
  if (segments.length === 0 && skipEmpty) return { lines: [record.line], id, invalid: true };
  return { lines: [record.line], id, segments };
}

function mapJson(record: LocatedRecord, names: string[], idAt: number): MappedRow {
  const id = (record.cells[idAt] ?? '').trim();
  const invalid: MappedRow = { lines: [record.line], id, invalid: true };
  if (id === '' || record.cells.length !== names.length) return invalid;
  const cell = record.cells[names.indexOf('segments')]!.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(cell);
  } catch {
    return invalid;
  }
  if (parsed === null) return { lines: [record.line], id, segments: null };
  if (!Array.isArray(parsed)) return invalid;
  const segments = parsed.map((s: { type: string; value: string }) => ({ type: s.type.trim(), value: s.value.trim() }));
  return segments.some((s) => s.type === '') ? invalid : { lines: [record.line], id, segments };
}

/** Consecutive records with the same id form one customer; a lone blank type,value means "no segments". */
function mapLong(records: LocatedRecord[], names: string[], idAt: number): MappedRow[] {
  const typeAt = names.indexOf('type');
  const valueAt = names.indexOf('value');
  const blocks: { id: string; records: LocatedRecord[] }[] = [];
  for (const record of records) {
    const id = (record.cells[idAt] ?? '').trim();
    const last = blocks.at(-1);
    if (last !== undefined && id !== '' && last.id === id) last.records.push(record);
    else blocks.push({ id, records: [record] });
  }
  return blocks.map(({ id, records: block }) => {
    const lines = block.map((r) => r.line);
    const broken = id === '' || block.some((r) => r.cells.length !== names.length || (r.cells[typeAt]!.trim() === '' && r.cells[valueAt]!.trim() !== ''));
    if (broken) return { lines, id, invalid: true };
    const segments = block
      .map((r) => ({ type: r.cells[typeAt]!.trim(), value: r.cells[valueAt]!.trim() }))
      .filter((s) => s.type !== '');
    return { lines, id, segments };
  });
}

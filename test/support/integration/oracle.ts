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
 *
 * Rules (issue 7): in the long layout every record of an id, anywhere in the run and in any order,
 * belongs to one customer (a repeated (type, value) pair counts once); one broken record, or a blank
 * type-and-value record beside others, makes all of the customer's records invalid; a long record of
 * an id a wide or json row claimed first is a duplicate of that row, and the other way round.
 */
import { parse } from 'csv-parse/sync';
import type { Counts } from '../../../src/core/types.js';

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

export type ExpectedStatus = 'updated' | 'not_found' | 'failed' | 'rejected' | 'not_sent' | 'invalid' | 'duplicate' | 'valid';

export interface ExpectedRow {
  file: string;
  line: number;
  id: string;
  status: ExpectedStatus;
  /** duplicates: the line of the row kept. */
  keptLine?: number;
}

/** The counts summary.json must hold: the production type (the oracle computes them independently). */
export type ExpectedCounts = Counts;

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
  const parsed = parse(text, { bom: true, delimiter, raw: true, relax_column_count: true, skip_empty_lines: false }) as unknown as {
    record: string[];
    raw: string;
  }[];
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

/** A record after layout mapping: a customer candidate, a long-layout record, or an invalid row. */
interface MappedRow {
  line: number;
  id: string;
  segments?: Segment[] | null;
  invalid?: true;
  /** long: the record's segment (undefined for a blank type and value). */
  long?: { segment?: Segment; broken: boolean };
}

/** A long-layout customer being gathered: its records' rows, in input order. */
interface LongGroup {
  rows: ExpectedRow[];
  segments: Segment[];
  broken: boolean;
  blank: boolean;
}

export function expectedOutcome(inputs: readonly OracleInput[], options: OracleOptions): Expectation {
  const idColumn = options.idColumn ?? 'document_id';
  const rows: ExpectedRow[] = [];
  const customers = new Map<string, Segment[] | null>();
  /** Where each id was claimed, and by a long group or not. */
  const claims = new Map<string, { line: number; group?: LongGroup }>();
  const groups: [string, LongGroup][] = [];
  for (const input of inputs) {
    for (const mapped of mapFile(input, idColumn, Boolean(options.skipEmpty))) {
      const row: ExpectedRow = { file: input.display, line: mapped.line, id: mapped.id, status: 'invalid' };
      rows.push(row);
      if (mapped.invalid) continue;
      const claim = claims.get(mapped.id);
      if (mapped.long) {
        if (claim !== undefined && claim.group === undefined) {
          Object.assign(row, { status: 'duplicate', keptLine: claim.line });
          continue;
        }
        const group = claim?.group ?? { rows: [], segments: [], broken: false, blank: false };
        if (claim === undefined) {
          claims.set(mapped.id, { line: mapped.line, group });
          groups.push([mapped.id, group]);
          customers.set(mapped.id, []); // placeholder: keeps the customer's place in first-occurrence order
        }
        group.rows.push(row);
        const { segment, broken } = mapped.long;
        if (broken) group.broken = true;
        else if (segment === undefined) group.blank = true;
        else if (!group.segments.some((s) => s.type === segment.type && s.value === segment.value)) group.segments.push(segment);
        continue;
      }
      if (claim !== undefined) {
        Object.assign(row, { status: 'duplicate', keptLine: claim.line });
        continue;
      }
      claims.set(mapped.id, { line: mapped.line });
      customers.set(mapped.id, mapped.segments ?? null);
      row.status = customerStatus(mapped.id, options);
    }
  }
  for (const [id, group] of groups) {
    if (group.broken || (group.blank && group.segments.length > 0)) {
      customers.delete(id);
      for (const row of group.rows) row.status = 'invalid';
      continue;
    }
    customers.set(id, group.segments);
    for (const row of group.rows) row.status = customerStatus(id, options);
  }
  const counts = countsOf(rows, customers, options);
  return { rows, counts, customers, finalState: (before = {}) => finalStateOf(customers, options.known, before) };
}

function customerStatus(id: string, options: OracleOptions): ExpectedStatus {
  if (options.sent === false) return 'valid';
  return isKnown(options.known, id) ? 'updated' : 'not_found';
}

function countsOf(rows: ExpectedRow[], customers: Map<string, Segment[] | null>, options: OracleOptions): ExpectedCounts {
  const counts: ExpectedCounts = {
    rows: rows.length,
    invalid: 0,
    duplicates: 0,
    customers: customers.size,
    toClear: 0,
    updated: 0,
    notFound: 0,
    failed: 0,
    rejected: 0,
    notSent: 0,
    unchanged: 0,
    cleared: 0,
    repeatedHeaders: 0,
  };
  for (const row of rows) {
    if (row.status === 'invalid') counts.invalid++;
    if (row.status === 'duplicate') counts.duplicates++;
  }
  for (const [id, segments] of customers) {
    if (segments === null || segments.length === 0) counts.toClear++;
    if (options.sent === false) continue;
    if (isKnown(options.known, id)) counts.updated++;
    else counts.notFound++;
  }
  return counts;
}

/**
 * The same run when these customers could not be delivered (failed, refused one by one, or never
 * sent): their rows are `status`, the counts move, and the endpoint never receives them.
 */
export function withFailed(
  expected: Expectation,
  failedIds: readonly string[],
  known: ReadonlySet<string> | 'all',
  status: 'failed' | 'rejected' | 'not_sent' = 'failed',
): Expectation {
  const failed = new Set(failedIds);
  const counts = { ...expected.counts };
  const counted = new Set<string>();
  const rows = expected.rows.map((row) => {
    if (!failed.has(row.id) || (row.status !== 'updated' && row.status !== 'not_found')) return row;
    // A long-layout customer spans several rows but is one customer.
    if (!counted.has(row.id)) {
      counted.add(row.id);
      counts[row.status === 'updated' ? 'updated' : 'notFound'] -= 1;
      counts[status === 'not_sent' ? 'notSent' : status] += 1;
    }
    return { ...row, status };
  });
  const delivered = new Map([...expected.customers].filter(([id]) => !failed.has(id)));
  return { rows, counts, customers: expected.customers, finalState: (before = {}) => finalStateOf(delivered, known, before) };
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
  if (id === '' || record.cells.length !== names.length) return { line: record.line, id, invalid: true };
  const segments = record.cells
    .map((cell, column) => ({ type: names[column]!, value: cell.trim() }))
    .filter((segment, column) => column !== idAt && segment.value !== '');
  if (segments.length === 0 && skipEmpty) return { line: record.line, id, invalid: true };
  return { line: record.line, id, segments };
}

function mapJson(record: LocatedRecord, names: string[], idAt: number): MappedRow {
  const id = (record.cells[idAt] ?? '').trim();
  const invalid: MappedRow = { line: record.line, id, invalid: true };
  if (id === '' || record.cells.length !== names.length) return invalid;
  const cell = record.cells[names.indexOf('segments')]!.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(cell);
  } catch {
    return invalid;
  }
  if (parsed === null) return { line: record.line, id, segments: null };
  if (!Array.isArray(parsed)) return invalid;
  const segments = parsed.map((s: { type: string; value: string }) => ({ type: s.type.trim(), value: s.value.trim() }));
  return segments.some((s) => s.type === '') ? invalid : { line: record.line, id, segments };
}

/** Each record on its own; expectedOutcome gathers an id's records wherever they are. */
function mapLong(records: LocatedRecord[], names: string[], idAt: number): MappedRow[] {
  const typeAt = names.indexOf('type');
  const valueAt = names.indexOf('value');
  return records.map((record) => {
    const id = (record.cells[idAt] ?? '').trim();
    if (id === '') return { line: record.line, id, invalid: true };
    const type = (record.cells[typeAt] ?? '').trim();
    const value = (record.cells[valueAt] ?? '').trim();
    const broken = record.cells.length !== names.length || (type === '') !== (value === '');
    return { line: record.line, id, long: { broken, ...(type !== '' && !broken && { segment: { type, value } }) } };
  });
}

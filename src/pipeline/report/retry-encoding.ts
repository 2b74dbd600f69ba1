/**
 * Failed customers back in the input's layout, so that `segment-sync run retry.csv` resends exactly
 * them. Pure.
 *
 * Cells are RFC 4180 quoted but deliberately NOT formula-neutralised: retry.csv is input for the
 * job, not a sheet for people, and a prefixed quote would change the ids and values it resends.
 */
import type { Customer, Layout, Segment } from '../../core/types.js';
import { csvRecord } from './csv.js';

export interface RetrySpec {
  layout: Layout;
  /** The run's id column name, so the retry run needs no --id-column change. */
  idColumn: string;
  /** wide only: the segment-type columns, the union over the inputs in first-seen order. */
  segmentTypes: readonly string[];
}

export interface RetryEncoder {
  header: string;
  /** The record(s) of one customer, line ends included. */
  encode(customer: Customer): string;
}

/** The same, as cells: what rejects.csv extends with a column of its own. */
export interface RetryCells {
  header: string[];
  /** The record(s) of one customer (several in the long layout), as cells. */
  rows(customer: Customer): string[][];
}

export function retryEncoder(spec: RetrySpec): RetryEncoder {
  const cells = retryCells(spec);
  return {
    header: csvRecord(cells.header),
    encode: (customer) => {
      let records = '';
      for (const row of cells.rows(customer)) records += csvRecord(row);
      return records;
    },
  };
}

export function retryCells(spec: RetrySpec): RetryCells {
  switch (spec.layout) {
    case 'wide':
      return wideCells(spec.idColumn, spec.segmentTypes);
    case 'json':
      return {
        header: [spec.idColumn, 'segments'],
        rows: (c) => [[c.document_id, JSON.stringify(c.segments === null ? null : c.segments.map(wireSegment))]],
      };
    case 'long':
      return {
        header: [spec.idColumn, 'type', 'value'],
        rows: longRows,
      };
  }
}

/** Only the wire fields, in wire order, whatever else the object carries. */
function wireSegment({ type, value }: Segment): Segment {
  return { type, value };
}

/**
 * A blank cell means "no segment of that type", so a customer with no segments is a row of blanks,
 * which the input reads back as `segments: []` (null cannot come from a wide input).
 */
function wideCells(idColumn: string, segmentTypes: readonly string[]): RetryCells {
  const column = new Map(segmentTypes.map((type, index) => [type, index]));
  return {
    header: [idColumn, ...segmentTypes],
    rows(customer) {
      const cells = new Array<string>(segmentTypes.length).fill('');
      for (const { type, value } of customer.segments ?? []) {
        const index = column.get(type);
        // A wide input has one column per type and rejects duplicated headers, so this is a bug upstream.
        if (index === undefined) throw new Error(`segment type ${JSON.stringify(type)} is not a column of the wide inputs`);
        cells[index] = value;
      }
      return [[customer.document_id, ...cells]];
    },
  };
}

/** One row per segment; consecutive rows with the same id form the customer again. A customer with
 *  no segments is one row with blank type and value. */
function longRows(customer: Customer): string[][] {
  const segments = customer.segments ?? [];
  if (segments.length === 0) return [[customer.document_id, '', '']];
  return segments.map(({ type, value }) => [customer.document_id, type, value]);
}

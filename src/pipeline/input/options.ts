/**
 * The input stage's options and format rules. Defaults and flag validation live with the rest
 * of the configuration (src/config); the reader trusts the values it is given.
 */
import type { Layout } from '../../core/types.js';
import type { ByteLimits } from './source.js';

/** The delimiters a file may use, in order of preference when detection ties. */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/** The text encodings a file may be read in (--encoding). */
export const ENCODINGS = ['utf-8', 'latin1', 'windows-1252', 'utf-16le', 'utf-16be'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** An id longer than this is certainly a broken export (a whole line glued into the id cell). */
export const MAX_ID_LENGTH = 512;

export interface InputOptions {
  /** Name of the id column, matched against trimmed header names (default 'document_id'). */
  idColumn: string;
  /** One of DELIMITERS; undefined = detect from the header line. */
  delimiter?: string;
  /** undefined = detect from the header names. */
  layout?: Layout;
  /** wide: skip all-blank rows instead of sending `segments: []` (which clears the customer). */
  skipEmpty: boolean;
  /** Cap on one record's size (default 1 MiB); a bigger record is a structural error. */
  maxRecordBytes: number;
  /** Cap on the number of fields of one record (default 1000). */
  maxFields: number;
  /** Caps on the decoded size of one file (--max-input-bytes, --max-compression-ratio); none when absent. */
  byteLimits?: ByteLimits;
  /**
   * false: apply every row rule but build no segments (valid rows come without `segments`; a wide
   * row with every segment cell blank says `blank`), for a pass that sends nothing. A function is
   * asked for each wide row (a dry run wants the segments of its first customers only); json and
   * long rows are built unless this is false. Unset = true.
   */
  buildSegments?: boolean | (() => boolean);
  /**
   * wide files whose segment types are distinct: valid rows come with `cells` and `shape`
   * instead of `segments` (see InputRow.cells), when segments would be built. For the incremental
   * diff, which needs the segments of the few changed customers only.
   */
  wideCells?: boolean;
  /** undefined = UTF-8, or UTF-16 when the file starts with a UTF-16 byte order mark. */
  encoding?: Encoding;
  /**
   * wide: only these columns are segment types, each sent as `type` (a rename when it differs
   * from `header`). Headers are matched trimmed and case-insensitively; a missing one is a
   * structural problem. At most one of segmentColumns and ignoreColumns is given.
   */
  segmentColumns?: readonly SegmentColumn[];
  /** wide: every column but these and the id is a segment type (a missing one is only a note). */
  ignoreColumns?: readonly string[];
}

/** One entry of --segment-columns: `Header` or `Header=type`. */
export interface SegmentColumn {
  header: string;
  type: string;
}

/**
 * The input stage: files → InputRow. open.ts checks the paths and spools stdin; read.ts reads
 * the files as one stream of rows.
 */
export {
  openInputs,
  spoolToFile,
  STDIN_PATH,
  STDIN_DISPLAY,
  type InputFile,
  type OpenedInputs,
  type OpenOptions,
  type Spool,
} from './open.js';
export { readInputs, type FileFacts } from './read.js';
export { FileReader, type ParsedFacts } from './file-reader.js';
export { DELIMITERS, ENCODINGS, MAX_ID_LENGTH, type InputOptions, type Delimiter, type Encoding, type SegmentColumn } from './options.js';
export { SKIPPED_EMPTY, segmentsOfCells } from './layouts.js';
export { estimateRecords } from './estimate.js';
export { type TypeStat, MAX_DISTINCT, MAX_TYPES, ID_LIKE_MIN_VALUES } from './type-stats.js';
export { SpoolInterrupted } from './open.js';

/**
 * Reads the run's input files, in order, as one stream of rows in chunks: each holds the rows one
 * chunk of file bytes completed (a few thousand), so that later stages take them in plain loops
 * and the pipeline awaits once per chunk rather than once per row. Repeatable and
 * deterministic: each call reads the files afresh (the pipeline validates everything in a first
 * pass, then reads again to send). The first structural problem throws an InputError naming file
 * and line, after the rows before it have been yielded.
 */
import type { InputRow } from '../../core/types.js';
import { FileReader, type ParsedFacts } from './file-reader.js';
import type { InputFile } from './open.js';
import type { InputOptions } from './options.js';
import { openByteSource } from './source.js';

/**
 * Bytes of a chunk turned into rows at a time. The rows of a batch stay alive until the batch is
 * consumed, and those alive at a young-generation collection are copied: the rows of a whole 64 KiB
 * read (a few thousand) made the young generation grow to its largest size, ~17 MB more memory
 * touched than with quarter-chunk batches. An await per batch is nothing beside its rows.
 */
const SLICE_BYTES = 1 << 14;

/** Facts about one file, known once the reader has finished it. */
export interface FileFacts extends ParsedFacts {
  /** How the input is named: its path as given, or 'stdin' for stdin (given as the argument '-'). */
  path: string;
  /** sha256 (hex) of the raw file bytes (the compressed bytes for .gz). */
  sha256: string;
}

/**
 * Reads the files in order, as non-empty chunks of rows; `facts[i]` is filled in when file i has
 * been read to its end.
 */
export async function* readInputs(files: readonly InputFile[], opts: InputOptions, facts?: FileFacts[]): AsyncGenerator<InputRow[]> {
  for (const [index, file] of files.entries()) {
    const source = await openByteSource(file.path, file.display, opts.byteLimits);
    const reader = new FileReader(file.display, index, opts);
    let rows: InputRow[];
    for await (const chunk of source.chunks) {
      for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
        reader.write(at === 0 && chunk.length <= SLICE_BYTES ? chunk : chunk.subarray(at, at + SLICE_BYTES));
        // Until []: a problem held back for the rows before it is thrown by the next call.
        while ((rows = reader.takeRows()).length > 0) yield rows;
      }
    }
    reader.end();
    while ((rows = reader.takeRows()).length > 0) yield rows;
    if (facts !== undefined) facts[index] = { path: file.display, sha256: source.sha256(), ...reader.facts() };
  }
}

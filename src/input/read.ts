/**
 * Reads the run's input files, in order, as one stream of rows. Repeatable and deterministic:
 * each call reads the files afresh (the pipeline validates everything in a first pass, then
 * reads again to send). The first structural problem throws an InputError naming file and line.
 */
import type { InputRow } from '../types.js';
import { FileReader, type ParsedFacts } from './file-reader.js';
import type { InputFile } from './open.js';
import type { InputOptions } from './options.js';
import { openByteSource } from './source.js';

/** Facts about one file, known once the reader has finished it. */
export interface FileFacts extends ParsedFacts {
  /** The path as shown to users ('stdin' for '-'). */
  path: string;
  /** sha256 (hex) of the raw file bytes (the compressed bytes for .gz). */
  sha256: string;
}

/** Reads the files in order; `facts[i]` is filled in when file i has been read to its end. */
export async function* readInputs(files: readonly InputFile[], opts: InputOptions, facts?: FileFacts[]): AsyncGenerator<InputRow> {
  for (const [index, file] of files.entries()) {
    const source = await openByteSource(file.path, file.display);
    const reader = new FileReader(file.display, index, opts);
    let row: InputRow | undefined;
    for await (const chunk of source.chunks) {
      reader.write(chunk);
      while ((row = reader.next()) !== undefined) yield row;
    }
    reader.end();
    while ((row = reader.next()) !== undefined) yield row;
    if (facts !== undefined) facts[index] = { path: file.display, sha256: source.sha256(), ...reader.facts() };
  }
}

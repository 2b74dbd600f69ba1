/** Streams the records of a report CSV (one this module wrote), without loading the file. */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type { parse as Parse } from 'csv-parse';
import { UsageError } from '../../../core/errors.js';

/** Records as arrays of strings. A malformed or unreadable file rejects with a UsageError naming it. */
export async function* readCsvRecords(file: string): AsyncGenerator<string[]> {
  // Required when first used, not imported: the bundler would put csv-parse in the job's chunk,
  // compiled at every start of a run that never reads a report back (see tools/build.mjs).
  const { parse } = createRequire(import.meta.url)('csv-parse') as { parse: typeof Parse };
  const input = createReadStream(file);
  const parser = parse({ relax_column_count: false });
  // pipe() does not forward errors: without this a read error would leave the parser waiting forever.
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const record of parser) yield record as string[];
  } catch (error) {
    throw new UsageError(`${file} is not a readable report CSV: ${(error as Error).message}`, 'REPORT_MALFORMED');
  } finally {
    input.destroy();
    parser.destroy();
  }
}

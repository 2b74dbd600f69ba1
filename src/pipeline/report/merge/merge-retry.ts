/** retry.csv (and rejects.csv) of a sharded run: the shards' files one after the other, under one header. */
import { UsageError } from '../../../core/errors.js';
import type { ChunkedOutput } from '../chunked-output.js';
import { csvRecord } from '../csv.js';
import { readCsvRecords } from './csv-read.js';
import type { ShardReport } from './shard-reports.js';

/** Appends the retry rows of every shard that has a retry.csv to `output`. */
export async function concatRetries(shards: readonly ShardReport[], output: ChunkedOutput): Promise<void> {
  await concatCsvs(
    shards.flatMap((shard) => shard.retryPath ?? []),
    output,
    'retry.csv',
  );
}

/** Appends the rows of every shard that has a rejects.csv to `output`. */
export async function concatRejects(shards: readonly ShardReport[], output: ChunkedOutput): Promise<void> {
  await concatCsvs(
    shards.flatMap((shard) => shard.rejectsPath ?? []),
    output,
    'rejects.csv',
  );
}

async function concatCsvs(paths: readonly string[], output: ChunkedOutput, name: string): Promise<void> {
  let header: string | undefined;
  for (const file of paths) {
    let atHeader = true;
    for await (const cells of readCsvRecords(file)) {
      // Plain RFC 4180 quoting, never neutralised: the values must round-trip to the endpoint.
      const record = csvRecord(cells);
      if (atHeader) {
        atHeader = false;
        if (header !== undefined && record !== header) {
          throw new UsageError(`report merge: ${file} has other columns than the first ${name}`, 'REPORT_MERGE');
        }
        if (header !== undefined) continue;
        header = record;
      }
      await output.append(record);
    }
  }
}

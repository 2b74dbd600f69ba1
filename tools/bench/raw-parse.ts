/**
 * The yardstick of the dry run, run as its own process: one raw csv-parse pass over a file, with
 * array records (no `columns`), `bom: true`, and nothing done with the records but counting them.
 * Records are pulled in a synchronous read() loop, csv-parse's fastest streaming use, so the
 * yardstick is not slowed by per-record promises. Prints {"records", "peakRssMb"} as one JSON line.
 *
 *   node build/tools/bench/raw-parse.js <file>
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: raw-parse.js <file>\n');
  process.exit(2);
}

let records = 0;
const parser = parse({ bom: true });
parser.on('readable', () => {
  while (parser.read() !== null) records++;
});
await pipeline(createReadStream(file), parser);
process.stdout.write(`${JSON.stringify({ records, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);

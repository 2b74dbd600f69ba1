/**
 * The yardstick of the whole send run, run as its own process and timed from spawn to exit like the
 * CLI: what a user's own script would do with the file. It csv-parses it (bom: true), keeps the
 * first occurrence of each id, builds bodies of `batchSize` customers (the JSON the CLI sends) and
 * posts them with `concurrency` in flight over axios keep-alive, reading as it posts. No
 * validation, plan, retries, journal or report. Prints {"customers", "updated", "peakRssMb"}.
 *
 *   node build/tools/bench/baseline-send.js <file> <url> <token-file> <batch-size> <concurrency>
 */
import { readFileSync } from 'node:fs';
import { postAll, streamBodies } from './axios-baseline.js';

const [file, url, tokenFile, batchText, concurrencyText] = process.argv.slice(2);
if (file === undefined || url === undefined || tokenFile === undefined || batchText === undefined || concurrencyText === undefined) {
  process.stderr.write('usage: baseline-send.js <file> <url> <token-file> <batch-size> <concurrency>\n');
  process.exit(2);
}

const tally = { customers: 0 };
const token = readFileSync(tokenFile, 'utf8').trim();
const { updated } = await postAll(url, token, streamBodies(file, Number(batchText), tally), Number(concurrencyText));
process.stdout.write(
  `${JSON.stringify({ customers: tally.customers, updated, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);

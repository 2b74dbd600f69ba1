/** Where the benchmark's scripts and scratch files are, and how it tells the user what it is doing. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface BenchEnv {
  /** The product's dist/cli.js (npm run build). */
  cli: string;
  /** build/tools/bench/raw-parse.js, the benchmark's own compiled yardstick (npm run build:bench). */
  rawParse: string;
  /** build/tools/bench/baseline-send.js, the whole send run's yardstick (a user's own script). */
  baselineSend: string;
  /** A temp dir of the run's own, removed at the end. */
  tmp: string;
  /** A progress note on stderr (the figures go to stdout). */
  say(message: string): void;
}

/** build/tools/bench/ when compiled; the repository root is three levels up. */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

export function benchEnv(tmp: string): BenchEnv {
  const started = performance.now();
  return {
    cli: path.join(root, 'dist', 'cli.js'),
    rawParse: path.resolve(here, 'raw-parse.js'),
    baselineSend: path.resolve(here, 'baseline-send.js'),
    tmp,
    say: (message) => process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(1)} s]: ${message}\n`),
  };
}

/** A fresh path under the temp dir; whatever was there before is removed. */
export async function scratch(env: BenchEnv, name: string): Promise<string> {
  const target = path.join(env.tmp, name);
  await rm(target, { recursive: true, force: true });
  return target;
}

/**
 * Start-up: how long a user waits for the quickest commands, `segment-sync --help` and a `validate`
 * of a 10-row file, from spawn to exit, against `node -e 0` (Node's own start-up, which no change
 * to the CLI can remove). The three alternate, round after round, and the medians are compared.
 */
import { checkCounts } from './counts-check.js';
import { runFinished, runNodeOk } from './child.js';
import { scratch, type BenchEnv } from './env.js';
import { writeWideFile } from './generate.js';
import { BENCH_DEFAULTS } from './options.js';
import { median } from './stats.js';

export interface StartupFigures {
  repeats: number;
  nodeMs: number;
  helpMs: number;
  /** `validate` of a file of `rows` rows. */
  validateMs: number;
  rows: number;
}

export async function measureStartup(env: BenchEnv, repeats: number): Promise<StartupFigures> {
  const rows = BENCH_DEFAULTS.startupRows;
  const file = await scratch(env, 'startup.csv');
  const facts = await writeWideFile(file, { rows, duplicateShare: 0, seed: BENCH_DEFAULTS.seed });
  const node: number[] = [];
  const help: number[] = [];
  const validate: number[] = [];
  for (let i = 1; i <= repeats; i++) {
    env.say(`start-up: node -e 0, --help, validate of ${rows} rows, round ${i} of ${repeats}`);
    // runNodeOk runs `node <script> ...args`: here `node -e 0`.
    node.push((await runNodeOk('-e', ['0'], 'node -e 0')).wallMs);
    help.push((await runNodeOk(env.cli, ['--help'], 'segment-sync --help')).wallMs);
    const reportDir = await scratch(env, 'startup-report');
    const run = await runNodeOk(env.cli, ['validate', file, '--report-dir', reportDir, '--log-format', 'json'], 'segment-sync validate');
    checkCounts('start-up validate', runFinished(run.stdout), facts, false);
    validate.push(run.wallMs);
  }
  return { repeats, rows, nodeMs: median(node), helpMs: median(help), validateMs: median(validate) };
}

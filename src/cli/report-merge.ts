/**
 * `segment-sync report merge <dir...> --out <dir>`: combine the reports of a sharded run's shards.
 * Registered at the top level, this module is the `report` command and `merge` its subcommand, so
 * the words on the command line are exactly `report merge`.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../core/errors.js';
import type { ExitHolder } from './main.js';

interface MergeArgs {
  dirs: string[];
  out: string;
}

export function reportMergeCommand(exit: ExitHolder): CommandModule {
  return {
    command: 'report',
    describe: 'Work with run reports (see: report merge --help)',
    builder: (yargs: Argv) => yargs.command(mergeCommand(exit)).demandCommand(1, 'Say which report command: merge'),
    handler: () => undefined,
  };
}

function mergeCommand(exit: ExitHolder): CommandModule<object, MergeArgs> {
  return {
    command: 'merge <dirs..>',
    describe: "Combine the shards' reports of a sharded run into one report; exits with the merged run's exit code",
    builder: (yargs: Argv) =>
      yargs
        .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'Report directories, one per shard' })
        .option('out', { type: 'string', demandOption: true, describe: 'Directory for the merged report (must not hold a report yet)' })
        .example(
          '$0 report merge reports/shard-0 reports/shard-1 --out reports/merged',
          'Merge two shard reports',
        ) as unknown as Argv<MergeArgs>,
    handler: async (args) => {
      const out = checkedOut(args.out);
      // The report code (and its CSV parser) is loaded only when a merge runs, not for --help.
      const { formatSummary, mergeReports } = await import('../pipeline/report/index.js');
      const merged = await mergeReports(args.dirs.map(String), out);
      process.stdout.write(formatSummary(merged, out));
      // Like a single run's: a pipeline can act on the sharded run's outcome at this one step.
      exit.code = merged.exitCode;
    },
  };
}

function checkedOut(out: unknown): string {
  if (typeof out !== 'string' || out.trim() === '') throw new UsageError(`--out must name a directory, got ${JSON.stringify(out)}`);
  return out;
}

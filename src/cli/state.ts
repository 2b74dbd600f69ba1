/**
 * `segment-sync state show` and `state reset`: look at and forget the incremental state that
 * `run --mode diff|mirror` keeps in the state dir (one SQLite file per endpoint, id column and
 * shard). Registered at the top level, this module is the `state` command and these its
 * subcommands, so the words on the command line are exactly `state show` / `state reset`.
 * What they do is in ./state-actions.ts, imported when a handler runs: reading a state needs
 * SQLite, which --help and the other commands never load.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import type { ExitHolder, Launch } from './main.js';
import { resolveStateReset, resolveStateShow, stateResetOptions, stateShowOptions } from '../config/state-options.js';
import type { RawArgs } from '../config/run-options.js';

const CONFIG_OPTION: Options = {
  type: 'string',
  describe: 'JSON or YAML file of options, as for run (only state-dir is taken from it); also SEGMENT_SYNC_CONFIG',
};

const STATE_EPILOGUE = `What the state is: with --mode diff or mirror, run keeps per customer a fingerprint of the segments the endpoint last acknowledged, in <state-dir>/segments-<hash>.sqlite: one file per endpoint, id column and shard. A customer whose segments are unchanged is not sent again; mirror clears customers gone from the export. Forgetting a state makes the next diff or mirror run a full send that clears nothing, which then rebuilds it. To resend everything but keep the clears, run with --full-resync instead.`;

export function stateCommand(exit: ExitHolder, launch: Launch): CommandModule {
  return {
    command: 'state',
    describe: 'Look at or forget the incremental state of diff/mirror runs (see: state show --help, state reset --help)',
    builder: (yargs: Argv) =>
      yargs
        .command(showCommand(exit))
        .command(resetCommand(exit, launch))
        .demandCommand(1, 'Say which state command: show or reset')
        .epilogue(STATE_EPILOGUE),
    handler: () => undefined,
  };
}

function showCommand(exit: ExitHolder): CommandModule<object, RawArgs> {
  return {
    command: 'show',
    describe:
      'List the states in the state dir: endpoint, id column, shard, customers tracked by status, last run, size. Read-only; safe while a sync runs',
    builder: (y) =>
      y
        .options(stateShowOptions)
        .option('config', CONFIG_OPTION)
        .epilogue(STATE_EPILOGUE)
        .example([
          ['$0 state show', 'What the default state dir (./.segment-sync) holds'],
          ['$0 state show --state-dir /var/lib/segment-sync --json', 'The same as JSON, for a script'],
        ]) as never,
    handler: async (args) => {
      const config = resolveStateShow(args);
      const { show } = await import('./state-actions.js');
      exit.code = show(config);
    },
  };
}

function resetCommand(exit: ExitHolder, launch: Launch): CommandModule<object, RawArgs> {
  return {
    command: 'reset',
    describe: "Forget one endpoint's state (its file in the state dir): the next diff or mirror run sends every customer and clears none",
    builder: (y) =>
      y
        .options(stateResetOptions)
        .option('config', CONFIG_OPTION)
        .epilogue(
          `${STATE_EPILOGUE}\n\nOn a terminal, reset asks before it removes anything (--yes skips the question); elsewhere it goes ahead. It takes the state-dir lock, so it waits for no run and never removes a state in use: a running sync makes it exit 2.`,
        )
        .example([
          ['$0 state reset --env staging', "Forget staging's state (id column document_id, unsharded)"],
          ['$0 state reset --env production --shard 2/4 --yes', 'Forget the state of shard 2 of 4, without the question'],
          [
            '$0 state reset --endpoint http://127.0.0.1:8787/api/v3/customers/segments --id-column customer_id',
            'Forget the state built against the local emulator',
          ],
        ]) as never,
    handler: async (args) => {
      const config = resolveStateReset(args);
      const { reset } = await import('./state-actions.js');
      exit.code = await reset(config, launch);
    },
  };
}

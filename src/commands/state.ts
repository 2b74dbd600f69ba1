/**
 * `segment-sync state show` and `state reset`: look at and forget the incremental state that
 * `run --mode diff|mirror` keeps in the state dir (one SQLite file per endpoint, id column and
 * shard). Registered at the top level, this module is the `state` command and these its
 * subcommands, so the words on the command line are exactly `state show` / `state reset`.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { storageGuardSync } from '../fs/storage-error.js';
import type { ExitHolder, Launch } from '../main.js';
import { resolveStateReset, resolveStateShow, stateResetOptions, stateShowOptions, type StateResetConfig } from '../config/state-options.js';
import type { RawArgs } from '../config/run-options.js';
import { acquireLock } from '../state/lock.js';
import { companionFiles, isSegmentStateFileName, segmentStatePath } from '../state/state-files.js';
import { inspectStateFile, type StateFileReport } from '../state/state-inspect.js';
import { confirmSend, terminalOf } from './confirm.js';

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
    describe: 'List the states in the state dir: endpoint, id column, shard, customers tracked by status, last run, size. Read-only; safe while a sync runs',
    builder: (y) =>
      y
        .options(stateShowOptions)
        .option('config', CONFIG_OPTION)
        .epilogue(STATE_EPILOGUE)
        .example([
          ['$0 state show', 'What the default state dir (./.segment-sync) holds'],
          ['$0 state show --state-dir /var/lib/segment-sync --json', 'The same as JSON, for a script'],
        ]) as never,
    handler: (args) => {
      const config = resolveStateShow(args);
      const reports = stateFilesIn(config.stateDir).map((file) => inspectStateFile(file));
      process.stdout.write(config.json ? `${JSON.stringify({ stateDir: config.stateDir, states: reports }, null, 2)}\n` : formatStates(config.stateDir, reports));
      exit.code = ExitCode.Ok;
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
        .epilogue(`${STATE_EPILOGUE}\n\nOn a terminal, reset asks before it removes anything (--yes skips the question); elsewhere it goes ahead. It takes the state-dir lock, so it waits for no run and never removes a state in use: a running sync makes it exit 2.`)
        .example([
          ['$0 state reset --env staging', "Forget staging's state (id column document_id, unsharded)"],
          ['$0 state reset --env production --shard 2/4 --yes', 'Forget the state of shard 2 of 4, without the question'],
          ['$0 state reset --endpoint http://127.0.0.1:8787/api/v3/customers/segments --id-column customer_id', 'Forget the state built against the local emulator'],
        ]) as never,
    handler: async (args) => {
      exit.code = await reset(resolveStateReset(args), launch);
    },
  };
}

/** The state files in a dir, sorted; none when the dir does not exist. */
function stateFilesIn(stateDir: string): string[] {
  if (!existsSync(stateDir)) return [];
  return readdirSync(stateDir).filter(isSegmentStateFileName).sort().map((name) => path.join(stateDir, name));
}

async function reset(config: StateResetConfig, launch: Launch): Promise<number> {
  const file = segmentStatePath(config.stateDir, config.identity);
  const whose = describeIdentity(config);
  const present = (): string[] => [file, ...companionFiles(file)].filter((f) => existsSync(f));
  if (present().length === 0) {
    const others = stateFilesIn(config.stateDir).length;
    process.stdout.write(`Nothing to forget: no state of ${whose} in ${config.stateDir}.${others > 0 ? ` It holds ${others} other state${others === 1 ? '' : 's'}: see segment-sync state show --state-dir ${config.stateDir}.` : ''}\n`);
    return ExitCode.Ok;
  }
  const report = inspectStateFile(file);
  if (report.condition === 'in-use') throw inUse(file);
  if (!config.yes && terminalOf().stdin && terminalOf().stderr) {
    const tracked = report.customers ? ` (${report.customers.tracked.toLocaleString('en-US')} customers tracked)` : '';
    const question = `Forget the state of ${whose}${tracked}? The next diff or mirror run sends every customer and clears none. [y/N] `;
    if (!(await confirmSend(question, { stdin: process.stdin, stderr: process.stderr }))) {
      process.stdout.write('Nothing removed.\n');
      return ExitCode.Usage;
    }
  }
  const lock = await acquireLock({ stateDir: config.stateDir, runId: launch.runId, onWarning: (message) => process.stderr.write(`segment-sync: ${message}\n`) });
  try {
    // Asked again under the lock: a sync may have started while the question was on screen.
    if (inspectStateFile(file).condition === 'in-use') throw inUse(file);
    const removed = present();
    storageGuardSync(file, 'the segment state', () => removed.forEach((f) => rmSync(f, { force: true })));
    process.stdout.write(`Forgot the state of ${whose}: removed ${removed.join(', ')}.\nThe next diff or mirror run sends every customer and clears none.\n`);
    return ExitCode.Ok;
  } finally {
    await lock.release();
  }
}

function inUse(file: string): UsageError {
  return new UsageError(`state ${file} is in use by a running sync: nothing removed. Reset it once the run has finished`, 'STATE_IN_USE');
}

function describeIdentity(config: StateResetConfig): string {
  const { endpoint, idColumn, shard } = config.identity;
  const target = config.environment === 'custom' ? endpoint : `${config.environment} (${endpoint})`;
  return `${target}, id column ${idColumn}${shard ? `, shard ${shard.index}/${shard.count}` : ''}`;
}

/** The text of `state show`. */
export function formatStates(stateDir: string, reports: readonly StateFileReport[]): string {
  if (reports.length === 0) {
    return `No segment state in ${stateDir}: no diff or mirror run has kept one there yet (run --mode diff|mirror --state-dir ${stateDir} does).\n`;
  }
  const blocks = reports.map((report) => formatState(report));
  return `${stateDir}: ${reports.length} segment state${reports.length === 1 ? '' : 's'}\n\n${blocks.join('\n')}`;
}

function formatState(r: StateFileReport): string {
  const head = `${path.basename(r.file)} (${humanBytes(r.bytes)})`;
  if (r.condition === 'in-use') return `${head}\n  in use by a running sync: run state show again when it has finished\n`;
  if (r.condition === 'unreadable') return `${head}\n  unreadable (${r.reason}): the next run sets it aside and sends every customer, clearing none\n`;
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines: [string, string][] = [
    ['endpoint', r.endpoint ?? '?'],
    ['id column', r.idColumn ?? '?'],
    ['shard', r.shard ? r.shard : 'none (unsharded)'],
  ];
  if (r.customers) {
    const c = r.customers;
    lines.push(['customers', `${n(c.tracked)} tracked: ${n(c.withSegments)} with segments, ${n(c.empty)} with none, ${n(c.notFound)} not found`]);
  }
  const last = r.lastRun;
  lines.push([
    'last run',
    last
      ? `#${last.run} ${last.runId}: ${last.mode}${last.fullResync ? ' --full-resync' : ''}, started ${last.startedAt}, ` +
        (last.finishedAt ? `finished ${last.finishedAt}, ${last.status ?? '?'}, exit ${last.exitCode ?? '?'}` : 'not finished (stopped or still running)')
      : 'none',
  ]);
  if (r.resyncFrom !== undefined) lines.push(['resync', `a full resync begun in run #${r.resyncFrom} is unfinished: the next --full-resync resumes it`]);
  if (r.current === false) lines.push(['note', `schema ${r.schemaVersion}, fingerprint scheme ${r.fingerprintScheme}: this build rebuilds it, the next run is a full send`]);
  if (r.unreplayedLog) lines.push(['note', 'its last run was killed: the next run replays the log it left']);
  if (r.createdAt) lines.push(['created', r.createdAt]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return `${head}\n${lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * What `state show` and `state reset` do (see ./state.ts for their options and help). Imported
 * only when one of them runs.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { storageGuardSync } from '../core/storage-error.js';
import { formatCount } from '../core/text.js';
import type { Launch } from './main.js';
import type { StateResetConfig, StateShowConfig } from '../config/state-options.js';
import {
  acquireLock,
  companionFiles,
  inspectStateFile,
  isSegmentStateFileName,
  segmentStatePath,
  type StateFileReport,
} from '../state/index.js';
import { confirmSend, terminalOf } from './confirm.js';

/** `state show`: prints the states in the state dir; returns the exit code. */
export function show(config: StateShowConfig): number {
  const reports = stateFilesIn(config.stateDir).map((file) => inspectStateFile(file));
  process.stdout.write(
    config.json ? `${JSON.stringify({ stateDir: config.stateDir, states: reports }, null, 2)}\n` : formatStates(config.stateDir, reports),
  );
  return ExitCode.Ok;
}

/** The state files in a dir, sorted; none when the dir does not exist. */
function stateFilesIn(stateDir: string): string[] {
  if (!existsSync(stateDir)) return [];
  return readdirSync(stateDir)
    .filter(isSegmentStateFileName)
    .sort()
    .map((name) => path.join(stateDir, name));
}

/** `state reset`: removes the state file and its companions under the lock; returns the exit code. */
export async function reset(config: StateResetConfig, launch: Launch): Promise<number> {
  const file = segmentStatePath(config.stateDir, config.identity);
  const whose = describeIdentity(config);
  const present = (): string[] => [file, ...companionFiles(file)].filter((f) => existsSync(f));
  if (present().length === 0) {
    const others = stateFilesIn(config.stateDir).length;
    process.stdout.write(
      `Nothing to forget: no state of ${whose} in ${config.stateDir}.${others > 0 ? ` It holds ${others} other state${others === 1 ? '' : 's'}: see segment-sync state show --state-dir ${config.stateDir}.` : ''}\n`,
    );
    return ExitCode.Ok;
  }
  const report = inspectStateFile(file);
  if (report.condition === 'in-use') throw inUse(file);
  if (!config.yes && terminalOf().stdin && terminalOf().stderr) {
    const tracked = report.customers ? ` (${formatCount(report.customers.tracked)} customers tracked)` : '';
    const question = `Forget the state of ${whose}${tracked}? The next diff or mirror run sends every customer and clears none. [y/N] `;
    if (!(await confirmSend(question, { stdin: process.stdin, stderr: process.stderr }))) {
      process.stdout.write('Nothing removed.\n');
      return ExitCode.Usage;
    }
  }
  const lock = await acquireLock({
    stateDir: config.stateDir,
    runId: launch.runId,
    onWarning: (message) => process.stderr.write(`segment-sync: ${message}\n`),
  });
  try {
    // Asked again under the lock: a sync may have started while the question was on screen.
    if (inspectStateFile(file).condition === 'in-use') throw inUse(file);
    const removed = present();
    storageGuardSync(file, 'the segment state', () => removed.forEach((f) => rmSync(f, { force: true })));
    process.stdout.write(
      `Forgot the state of ${whose}: removed ${removed.join(', ')}.\nThe next diff or mirror run sends every customer and clears none.\n`,
    );
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
  if (r.condition === 'unreadable')
    return `${head}\n  unreadable (${r.reason}): the next run sets it aside and sends every customer, clearing none\n`;
  const n = formatCount;
  const lines: [string, string][] = [
    ['endpoint', r.endpoint ?? '?'],
    ['id column', r.idColumn ?? '?'],
    ['shard', r.shard ? r.shard : 'none (unsharded)'],
  ];
  if (r.customers) {
    const c = r.customers;
    lines.push([
      'customers',
      `${n(c.tracked)} tracked: ${n(c.withSegments)} with segments, ${n(c.empty)} with none, ${n(c.notFound)} not found`,
    ]);
  }
  const last = r.lastRun;
  lines.push([
    'last run',
    last
      ? `#${last.run} ${last.runId}: ${last.mode}${last.fullResync ? ' --full-resync' : ''}, started ${last.startedAt}, ` +
        (last.finishedAt
          ? `finished ${last.finishedAt}, ${last.status ?? '?'}, exit ${last.exitCode ?? '?'}`
          : 'not finished (stopped or still running)')
      : 'none',
  ]);
  if (r.pendingAcks)
    lines.push([
      'pending',
      `${n(r.pendingAcks)} acknowledgement${r.pendingAcks === 1 ? '' : 's'} of an interrupted run not yet merged (not counted above): the next run merges them`,
    ]);
  if (r.resyncFrom !== undefined)
    lines.push(['resync', `a full resync begun in run #${r.resyncFrom} is unfinished: the next --full-resync resumes it`]);
  if (r.current === false)
    lines.push([
      'note',
      `schema ${r.schemaVersion}, fingerprint scheme ${r.fingerprintScheme}: this build rebuilds it, the next run is a full send`,
    ]);
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

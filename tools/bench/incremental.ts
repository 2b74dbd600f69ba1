/**
 * Phases `night` and `moonshot`: incremental sync (`run --mode diff`). Two nights of the same
 * customers against one emulator process (one URL, so one state identity): night 1 sends everyone
 * and seeds the state in --state-dir; the emulator then forgets what it holds (POST /__reset), and
 * night 2, with 1% of the customers changed, is measured. summary.json and the emulator's own count of customers received
 * must both say that exactly the changed customers were sent.
 *
 *  - The incremental night (`night`): no rate limit; night 2's wall time against a `validate` of
 *    the same file, measured in the same run, and its peak RSS.
 *  - The moonshot (`moonshot`, opt-in): 10M customers, night 2 against an emulator allowing 10
 *    requests/s (POST /__faults after the seed), end to end against 90 s.
 *
 * With a profile dir, night 2 is run a second time, untimed, under `node --cpu-prof` against a copy
 * of the seeded state, and its profile is summarised.
 */
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { withEmulator, cliRun, type CliRun, type SendSettings } from './cli-run.js';
import { dryRun } from './dry-run.js';
import type { EmulatorProcess } from './emulator-process.js';
import { scratch, type BenchEnv } from './env.js';
import { writeNightFile, type NightFacts, type NightOrder } from './nights.js';
import { BENCH_DEFAULTS } from './options.js';
import { formatProfile, summariseProfile, type CpuProfile } from './profile.js';

export interface TwoNightsSpec {
  /** Names the scratch files and the profile. */
  label: string;
  customers: number;
  night1Order: NightOrder;
  night2Order: NightOrder;
  seed: SendSettings;
  night2: SendSettings;
  /** Emulator faults in force for night 2 only, e.g. { rateLimit: 10 }. */
  night2Faults?: Record<string, number>;
  /** Write night 2's CPU profile here (a second, untimed night 2). */
  profileDir?: string;
}

export interface TwoNightsFigures {
  customers: number;
  changed: number;
  night1Order: NightOrder;
  night2Order: NightOrder;
  seed: SendSettings;
  night2: SendSettings;
  seedMs: number;
  seedPeakRssMb: number;
  /** `validate` of the night-2 file: the yardstick. */
  validateMs: number;
  validatePeakRssMb: number;
  /** Night 2, `run --mode diff`, from spawn to exit. */
  diffMs: number;
  diffPeakRssMb: number;
  /** diffMs / validateMs. */
  ratio: number;
  /** summary.json counts.updated and counts.unchanged of night 2. */
  sent: number;
  unchanged: number;
  /** The emulator's customersReceived and answers during night 2. */
  received: number;
  requests: number;
  answers429: number;
  /** Exactly the changed customers sent, by summary.json and by the emulator. */
  exact: boolean;
  /** Night 2's profile, summarised (when one was asked for). */
  profile?: string;
}

interface Summary {
  mode?: string;
  counts: { customers: number; updated: number; unchanged?: number; notFound: number; failed: number; notSent: number };
  state?: { fresh: boolean; tracked: number };
}

async function summaryOf(run: CliRun): Promise<Summary> {
  return JSON.parse(await readFile(path.join(run.reportDir, 'summary.json'), 'utf8')) as Summary;
}

export async function measureTwoNights(env: BenchEnv, spec: TwoNightsSpec): Promise<TwoNightsFigures> {
  const night1File = await scratch(env, `${spec.label}-night1.csv`);
  const night2File = await scratch(env, `${spec.label}-night2.csv`);
  const stateDir = await scratch(env, `${spec.label}-state`);
  const place = { mode: 'diff' as const, stateDir };
  const count = spec.customers.toLocaleString('en-US');
  try {
    env.say(
      `${spec.label}: generating night 1 (${count} customers, ${spec.night1Order} order) and night 2 (1% changed, ${spec.night2Order} order)`,
    );
    const facts1 = await writeNightFile(night1File, {
      customers: spec.customers,
      order: spec.night1Order,
      night: 1,
      seed: BENCH_DEFAULTS.seed,
    });
    const facts2 = await writeNightFile(night2File, {
      customers: spec.customers,
      order: spec.night2Order,
      night: 2,
      seed: BENCH_DEFAULTS.seed,
    });
    return await withEmulator(env, async (emulator) => {
      env.say(`${spec.label}: night 1 seeds the state (run --mode diff, ${settingsText(spec.seed)})`);
      const seedRun = await cliRun(env, emulator.url, night1File, spec.seed, place);
      const seeded = await summaryOf(seedRun);
      if (seeded.counts.updated !== facts1.customers)
        throw new Error(`${spec.label} night 1: ${seeded.counts.updated} customers updated, ${facts1.customers} sent`);
      env.say(`${spec.label}: night 1 took ${(seedRun.wallMs / 1000).toFixed(1)} s (peak RSS ${seedRun.finished.peakRssMb} MB)`);
      await rm(night1File, { force: true });
      await emulator.reset();
      if (spec.night2Faults !== undefined) await emulator.setFaults(spec.night2Faults);
      const profileState = spec.profileDir === undefined ? undefined : await copyState(env, spec.label, stateDir);

      env.say(`${spec.label}: validate of the night-2 file (the yardstick)`);
      const validate = await dryRun(env, night2File, facts2);
      env.say(`${spec.label}: night 2 (run --mode diff, ${settingsText(spec.night2)})`);
      const night2Run = await cliRun(env, emulator.url, night2File, spec.night2, place);
      const figures = await nightFigures(spec, facts2, seedRun, validate, night2Run, emulator);
      env.say(
        `${spec.label}: night 2 took ${(night2Run.wallMs / 1000).toFixed(1)} s, sent ${figures.sent}, received ${figures.received}, ${figures.changed} changed`,
      );

      if (profileState === undefined || spec.profileDir === undefined) return figures;
      const profile = await profiledNight2(env, spec, spec.profileDir, emulator, night2File, profileState);
      return { ...figures, profile };
    });
  } finally {
    await rm(night1File, { force: true });
    await rm(night2File, { force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function nightFigures(
  spec: TwoNightsSpec,
  facts: NightFacts,
  seedRun: CliRun,
  validate: { wallMs: number; finished: { peakRssMb: number } },
  night2Run: CliRun,
  emulator: EmulatorProcess,
): Promise<TwoNightsFigures> {
  const summary = await summaryOf(night2Run);
  const requests = await emulator.requests();
  const sent = summary.counts.updated;
  const unchanged = summary.counts.unchanged ?? 0;
  const received = requests.customersReceived;
  const clean = summary.counts.notFound === 0 && summary.counts.failed === 0 && summary.counts.notSent === 0;
  const exact =
    clean &&
    sent === facts.changed &&
    received === facts.changed &&
    unchanged === facts.customers - facts.changed &&
    summary.mode === 'diff' &&
    summary.state?.fresh === false;
  return {
    customers: facts.customers,
    changed: facts.changed,
    night1Order: spec.night1Order,
    night2Order: spec.night2Order,
    seed: spec.seed,
    night2: spec.night2,
    seedMs: seedRun.wallMs,
    seedPeakRssMb: seedRun.finished.peakRssMb,
    validateMs: validate.wallMs,
    validatePeakRssMb: validate.finished.peakRssMb,
    diffMs: night2Run.wallMs,
    diffPeakRssMb: night2Run.finished.peakRssMb,
    ratio: night2Run.wallMs / validate.wallMs,
    sent,
    unchanged,
    received,
    requests: requests.total,
    answers429: requests.byStatus['429'] ?? 0,
    exact,
  };
}

/** A copy of the seeded state, for the profiled night 2 to find the same state as the timed one. */
async function copyState(env: BenchEnv, label: string, stateDir: string): Promise<string> {
  const copy = await scratch(env, `${label}-state-for-profile`);
  await cp(stateDir, copy, { recursive: true });
  return copy;
}

async function profiledNight2(
  env: BenchEnv,
  spec: TwoNightsSpec,
  profileDir: string,
  emulator: EmulatorProcess,
  night2File: string,
  stateDir: string,
): Promise<string> {
  try {
    await emulator.reset();
    const name = `${spec.label}-night2.cpuprofile`;
    env.say(`${spec.label}: night 2 again under --cpu-prof (untimed), profile in ${path.join(profileDir, name)}`);
    const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', name];
    const run = await cliRun(env, emulator.url, night2File, spec.night2, { mode: 'diff', stateDir, nodeArgs });
    env.say(`${spec.label}: profiled night 2 took ${(run.wallMs / 1000).toFixed(1)} s`);
    const profile = JSON.parse(await readFile(path.join(profileDir, name), 'utf8')) as CpuProfile;
    return formatProfile(summariseProfile(profile), 25);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

export function settingsText(s: SendSettings): string {
  return `--rate ${s.rate} --concurrency ${s.concurrency} --batch-size ${s.batchSize}`;
}

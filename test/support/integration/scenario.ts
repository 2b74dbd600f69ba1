/** Shared pieces of the integration scenarios: fixture inputs, the emulator, the usual arguments. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdList, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.js';
import { runFlags } from '../args.js';
import { fixture } from '../cli.js';
import { TEST_TOKEN, withEmulator } from '../emulator.js';
import { makeWorkspace, type Workspace } from '../workspace.js';
import type { Layout, OracleInput } from './oracle.js';

export { TEST_TOKEN };

/** The ids fixtures/known-ids.txt makes exist. */
export function knownFixtureIds(): Set<string> {
  return new Set(parseIdList(readFileSync(fixture('known-ids.txt'), 'utf8')));
}

/** A fixture as the oracle reads it; `display` is the absolute path the tests pass to the CLI. */
export function fixtureInput(name: string, layout: Layout, delimiter = ','): OracleInput {
  const file = fixture(name);
  const bytes = readFileSync(file);
  const text = (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  return { display: file, text, delimiter, layout };
}

/** Writes an input file into `dir`; returns it as the oracle reads it. */
export async function writeInput(dir: string, name: string, text: string, delimiter = ',', layout: Layout = 'wide'): Promise<OracleInput> {
  const display = path.join(dir, name);
  await writeFile(display, text);
  return { display, text, delimiter, layout };
}

export interface SendArgsOptions {
  /** Default: the test's report dir. */
  reportDir?: string;
  /** Default: the test's state dir. */
  stateDir?: string;
  /** Requests per second; default 0 (unlimited), so tests do not wait on the conservative default. */
  rate?: number;
}

/** Arguments of a `run` against the emulator: endpoint, token, this test's dirs and the rate. */
export function sendArgs(emulator: EmulatorHandle, dirs: Workspace, options: SendArgsOptions = {}): string[] {
  const { reportDir = dirs.report, stateDir = dirs.state, rate = 0 } = options;
  return runFlags({ endpoint: emulator.url, token: TEST_TOKEN, reportDir, stateDir, rate });
}

/** Runs `fn` with fresh dirs and a fresh emulator, and removes both afterwards. */
export async function withScenario<T>(options: EmulatorOptions, fn: (emulator: EmulatorHandle, dirs: Workspace) => Promise<T>): Promise<T> {
  const dirs = await makeWorkspace();
  try {
    return await withEmulator(options, (emulator) => fn(emulator, dirs));
  } finally {
    await dirs.remove();
  }
}

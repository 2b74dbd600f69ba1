/**
 * How a run gets its token and its options, seen from outside: the three token sources and their
 * order, SEGMENT_SYNC_<OPTION> variables and --config files (YAML and JSON) with the precedence
 * flag > env > file, and `run --help` listing every option. The token must never be written anywhere.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inputOptions, sendOptions } from '../../src/config/run-options.js';
import { runArgs } from '../support/args.js';
import { type CliResult, fixture, runCli } from '../support/cli.js';
import { readSummary } from '../support/report.js';
import type { Workspace } from '../support/workspace.js';
import type { EmulatorHandle } from '../../src/emulator/index.js';
import { TEST_TOKEN, withScenario } from '../support/integration/scenario.js';

const INPUT = fixture('customers-wide.csv');
/** customers-wide.csv holds this many unique valid customers: requests = ceil(28 / batch size). */
const CUSTOMERS = 28;

/** A run's arguments without any token, so each test chooses where the token comes from. */
function argsWithoutToken(emulator: EmulatorHandle, dirs: Workspace): string[] {
  return runArgs({ endpoint: emulator.url, reportDir: dirs.report, stateDir: dirs.state, rate: 0, input: INPUT });
}

/** Nothing the run wrote (stdout, stderr, report files) contains the secret. */
function expectSecretNowhere(secret: string, result: CliResult, dirs: Workspace): void {
  const report = ['summary.json', 'results.csv'].map((name) => readFileSync(path.join(dirs.report, name), 'utf8'));
  for (const text of [result.stdout, result.stderr, ...report]) expect(text).not.toContain(secret);
}

describe('token', () => {
  it.concurrent('missing: exit 2, naming the three ways to give one, and nothing is sent', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(argsWithoutToken(emulator, dirs));
      expect(code).toBe(2);
      for (const way of ['--token-file', 'SEGMENT_SYNC_TOKEN', '--token ']) expect(stderr).toContain(way);
      expect(emulator.state().requests.total).toBe(0);
    });
  });

  it.concurrent('from --token-file, and it wins over SEGMENT_SYNC_TOKEN and --token', async () => {
    const secret = 'file-secret-7f3a';
    await withScenario({ tokens: [secret] }, async (emulator, dirs) => {
      const tokenFile = path.join(dirs.root, 'token');
      await writeFile(tokenFile, `${secret}\n`);
      const result = await runCli([...argsWithoutToken(emulator, dirs), '--token-file', tokenFile, '--token', 'flag-secret-1'], {
        env: { SEGMENT_SYNC_TOKEN: 'env-secret-2' },
      });
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
      expect(emulator.state().requests.byStatus).toEqual({ 200: 1 });
      expectSecretNowhere(secret, result, dirs);
    });
  });

  it.concurrent('from SEGMENT_SYNC_TOKEN, and it wins over --token', async () => {
    const secret = 'env-secret-4c1d';
    await withScenario({ tokens: [secret] }, async (emulator, dirs) => {
      const result = await runCli([...argsWithoutToken(emulator, dirs), '--token', 'flag-secret-3'], {
        env: { SEGMENT_SYNC_TOKEN: secret },
      });
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
      expect(emulator.state().requests.byStatus).toEqual({ 200: 1 });
      expectSecretNowhere(secret, result, dirs);
    });
  });

  it.concurrent('from --token alone', async () => {
    const secret = 'flag-secret-9e2b';
    await withScenario({ tokens: [secret] }, async (emulator, dirs) => {
      const result = await runCli([...argsWithoutToken(emulator, dirs), '--token', secret]);
      expect(result.code).toBe(0);
      expectSecretNowhere(secret, result, dirs);
    });
  });
});

describe('options from the environment and --config', () => {
  /** Every case has a config file (which also sets rate: 0, so the file's other keys count too). */
  const BATCH_SIZE_SOURCES: { name: string; flag?: number; env?: number; file: { format: 'yaml' | 'json'; size: number }; wins: number }[] =
    [
      { name: 'a YAML --config', file: { format: 'yaml', size: 10 }, wins: 10 },
      { name: 'a JSON --config', file: { format: 'json', size: 4 }, wins: 4 },
      { name: 'SEGMENT_SYNC_BATCH_SIZE, over the file', env: 5, file: { format: 'yaml', size: 10 }, wins: 5 },
      { name: 'the flag, over env and file', flag: 3, env: 5, file: { format: 'json', size: 10 }, wins: 3 },
    ];

  async function configFile(dir: string, file: { format: 'yaml' | 'json'; size: number }): Promise<string> {
    const target = path.join(dir, `options.${file.format}`);
    const text =
      file.format === 'yaml' ? `# nightly\nbatch-size: ${file.size}\nrate: 0\n` : JSON.stringify({ 'batch-size': file.size, rate: 0 });
    await writeFile(target, text);
    return target;
  }

  it.concurrent.each(BATCH_SIZE_SOURCES.map((source) => [source.name, source] as const))('--batch-size from %s', async (_, source) => {
    await withScenario({}, async (emulator, dirs) => {
      const config = await configFile(dirs.root, source.file);
      const args = runArgs({
        endpoint: emulator.url,
        token: TEST_TOKEN,
        reportDir: dirs.report,
        stateDir: dirs.state,
        extra: ['--config', config],
        input: INPUT,
      });
      if (source.flag !== undefined) args.push('--batch-size', String(source.flag));
      const env: Record<string, string> = source.env === undefined ? {} : { SEGMENT_SYNC_BATCH_SIZE: String(source.env) };

      const { code, stderr } = await runCli(args, { env });

      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(readSummary(dirs.report).options).toMatchObject({ batchSize: source.wins, rate: 0 });
      expect(emulator.state().requests.total).toBe(Math.ceil(CUSTOMERS / source.wins));
    });
  });
});

describe('run --help', () => {
  it('lists every option of run', async () => {
    const { code, stdout } = await runCli(['run', '--help']);
    expect(code).toBe(0);
    const listed = new Set([...stdout.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1]));
    const options = [...Object.keys(sendOptions), ...Object.keys(inputOptions), 'config'].map((name) => `--${name}`);
    expect(options.filter((option) => !listed.has(option))).toEqual([]);
  });
});

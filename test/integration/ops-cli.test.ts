/**
 * Operations, seen from outside (the built CLI): variables and config keys that do not apply,
 * the emulator's own token, JSON logs on every line, one report dir per run, a signal while stdin
 * is read, a reader that goes away, and --help.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runArgs } from '../support/args.js';
import { fixture, REPO_ROOT, runCli, spawnCli } from '../support/cli.js';
import { readResults, readSummary } from '../support/report.js';
import { postBulk, customersBody } from '../support/emulator.js';
import { sendArgs, TEST_TOKEN, withScenario } from '../support/integration/scenario.js';
import { withWorkspace } from '../support/workspace.js';

const INPUT = fixture('customers-wide.csv');
/** What Kubernetes injects for a Service named segment-sync in the namespace (service links). */
const SERVICE_LINKS = {
  SEGMENT_SYNC_SERVICE_HOST: '10.96.0.7',
  SEGMENT_SYNC_SERVICE_PORT: '8787',
  SEGMENT_SYNC_PORT: 'tcp://10.96.0.7:8787',
  SEGMENT_SYNC_PORT_8787_TCP: 'tcp://10.96.0.7:8787',
  SEGMENT_SYNC_PORT_8787_TCP_PROTO: 'tcp',
  SEGMENT_SYNC_PORT_8787_TCP_PORT: '8787',
  SEGMENT_SYNC_PORT_8787_TCP_ADDR: '10.96.0.7',
};

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('variables and config keys that do not apply', () => {
  it.concurrent(
    'validate runs with SEGMENT_SYNC_TOKEN and service links set, naming each at debug level only, never the token',
    async () => {
      await withWorkspace(async (dirs) => {
        const secret = 'tok_should_never_show_4242';
        const env = { ...SERVICE_LINKS, SEGMENT_SYNC_TOKEN: secret, SEGMENT_SYNC_ENV: 'production' };
        const { code, stdout, stderr } = await runCli(['validate', '--report-dir', dirs.report, '--log-level', 'debug', INPUT], { env });
        expect({ code, stderr }).toMatchObject({ code: 0 });
        const lines = jsonLines(stdout);
        for (const name of [...Object.keys(SERVICE_LINKS), 'SEGMENT_SYNC_TOKEN', 'SEGMENT_SYNC_ENV']) {
          const line = lines.find((l) => String(l.message).includes(name));
          expect(line).toMatchObject({ level: 'debug' });
          expect(String(line!.message)).toContain('environment');
        }
        expect(stdout + stderr).not.toContain(secret);
        const atInfo = await runCli(['validate', '--report-dir', dirs.reportNamed('info'), INPUT], { env });
        expect(atInfo.code).toBe(0);
        expect(atInfo.stdout).not.toContain('SEGMENT_SYNC_SERVICE_HOST');
      });
    },
  );

  it.concurrent('run works with service links set, and still takes its own SEGMENT_SYNC_* options and token', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const env = { ...SERVICE_LINKS, SEGMENT_SYNC_TOKEN: TEST_TOKEN, SEGMENT_SYNC_BATCH_SIZE: '7' };
      const args = runArgs({ endpoint: emulator.url, reportDir: dirs.report, stateDir: dirs.state, rate: 0, input: INPUT });
      const { code, stderr } = await runCli(args, { env });
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(readSummary(dirs.report).options.batchSize).toBe(7);
      expect(emulator.state().requests.total).toBe(Math.ceil(28 / 7));
    });
  });

  it.concurrent("validate takes a run's config file, ignoring the keys only run has; an unknown flag is still an error", async () => {
    await withWorkspace(async (dirs) => {
      const config = path.join(dirs.root, 'config.yaml');
      await writeFile(
        config,
        'token-file: /var/run/secrets/segment-sync/token\nstate-dir: /data/state\ngrace: 30\nlog-format: json\nid-column: document_id\n',
      );
      const ok = await runCli(['validate', '--config', config, '--report-dir', dirs.report, '--log-level', 'debug', INPUT]);
      expect({ code: ok.code, stderr: ok.stderr }).toMatchObject({ code: 0 });
      const ignored = jsonLines(ok.stdout).filter((l) => l.level === 'debug' && String(l.message).includes(config));
      expect(ignored.map((l) => String(l.message).split(' ')[1]).sort()).toEqual(['grace', 'state-dir', 'token-file']);

      const typo = await runCli(['validate', '--report-dir', dirs.reportNamed('typo'), '--batch-sise', '3', INPUT]);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('Unknown argument');
    });
  });

  it.concurrent('keeps the precedence flag > environment > config file > default', async () => {
    await withWorkspace(async (dirs) => {
      const config = path.join(dirs.root, 'c.yaml');
      await writeFile(config, 'id-column: from_file\n');
      const cases: [string[], Record<string, string>, string][] = [
        [[], {}, 'document_id'],
        [['--config', config], {}, 'from_file'],
        [['--config', config], { SEGMENT_SYNC_ID_COLUMN: 'from_env' }, 'from_env'],
        [['--config', config, '--id-column', 'from_flag'], { SEGMENT_SYNC_ID_COLUMN: 'from_env' }, 'from_flag'],
      ];
      for (const [i, [flags, env, expected]] of cases.entries()) {
        const report = dirs.reportNamed(`r${i}`);
        await runCli(['validate', '--report-dir', report, ...flags, INPUT], { env });
        expect(readSummary(report).options.idColumn).toBe(expected);
      }
    });
  });

  it.concurrent('a boolean from the environment must be spelled as one', async () => {
    await withWorkspace(async (dirs) => {
      const { code, stderr } = await runCli(['validate', '--report-dir', dirs.report, INPUT], {
        env: { SEGMENT_SYNC_SKIP_EMPTY: 'sometimes' },
      });
      expect(code).toBe(2);
      expect(stderr).toContain('SEGMENT_SYNC_SKIP_EMPTY');
    });
  });
});

describe('the emulator', () => {
  it('accepts only the tokens of its own options, never SEGMENT_SYNC_TOKEN', async () => {
    const child = spawnCli(['emulator', '--port', '0'], {
      env: { ...SERVICE_LINKS, SEGMENT_SYNC_TOKEN: 'job-token-not-for-the-emulator' },
    });
    try {
      let listening: RegExpExecArray | null = null;
      while (!(listening = /listening on (\S+)/.exec(child.output().stdout))) {
        if (child.exited()) throw new Error(`emulator exited with ${(await child.done).code}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const url = listening[1]!;
      expect((await postBulk(url, customersBody(['1', []]), TEST_TOKEN)).status).toBe(200);
      expect((await postBulk(url, customersBody(['1', []]), 'job-token-not-for-the-emulator')).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await child.done;
    }
  });
});

describe('--log-format json', () => {
  it.concurrent(
    'every line of stdout and stderr is one JSON object; the first names version, endpoint, environment and run id',
    async () => {
      await withScenario({}, async (emulator, dirs) => {
        const { code, stdout, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), '--log-format', 'json', INPUT]);
        expect({ code, stderr }).toMatchObject({ code: 0 });
        const out = jsonLines(stdout);
        const err = jsonLines(stderr);
        const runId = readSummary(dirs.report).runId;
        expect(out[0]).toMatchObject({
          level: 'info',
          version: expect.stringMatching(/^\d+\.\d+\.\d+/),
          endpoint: emulator.url,
          environment: 'custom',
          runId,
        });
        for (const line of [...out, ...err]) expect(line.runId).toBe(runId);
        const summary = err.find((l) => l.message === 'summary');
        expect(summary).toMatchObject({ level: 'info', status: 'succeeded', exitCode: 0, reportDir: dirs.report });
        expect((summary!.lines as string[]).some((l) => l.startsWith('status'))).toBe(true);
        expect(stdout + stderr).not.toContain(TEST_TOKEN);
      });
    },
  );

  it.concurrent(
    'a usage error is a JSON line at level error, whether the format comes from the flag, the environment or the config file',
    async () => {
      await withWorkspace(async (dirs) => {
        const config = path.join(dirs.root, 'c.yaml');
        await writeFile(config, 'log-format: json\n');
        const ways: [string[], Record<string, string>][] = [
          [['--log-format', 'json'], {}],
          [[], { SEGMENT_SYNC_LOG_FORMAT: 'json' }],
          [['--config', config], {}],
        ];
        for (const [flags, env] of ways) {
          const { code, stdout, stderr } = await runCli(['run', '--report-dir', dirs.report, ...flags, '--bogus-flag=1', INPUT], { env });
          expect(code).toBe(2);
          expect(stdout).toBe('');
          const [line, ...rest] = jsonLines(stderr);
          expect(rest).toEqual([]);
          expect(line).toMatchObject({ level: 'error', exitCode: 2, runId: expect.any(String) });
          expect(String(line!.message)).toContain('bogus-flag');
        }
        const text = await runCli(['run', '--report-dir', dirs.report, '--log-format', 'text', '--bogus-flag=1', INPUT]);
        expect(text.stderr).toMatch(/^segment-sync: Unknown arguments?: bogus-flag/);
      });
    },
  );

  it.concurrent('a missing token (after the options are read) is a JSON error line too', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(
        runArgs({ endpoint: emulator.url, reportDir: dirs.report, stateDir: dirs.state, logFormat: 'json', input: INPUT }),
      );
      expect(code).toBe(2);
      expect(jsonLines(stderr)).toEqual([
        expect.objectContaining({ level: 'error', exitCode: 2, message: expect.stringContaining('--token-file') }),
      ]);
    });
  });

  it.concurrent('a rejected run ends with its run-finished and summary lines at level error', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const file = path.join(dirs.root, 'mostly-invalid.csv');
      await writeFile(file, `document_id,tier\n${Array.from({ length: 20 }, () => ',gold').join('\n')}\n`);
      const { code, stdout, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), '--log-format', 'json', file]);
      expect(code).toBe(3);
      expect(jsonLines(stdout).find((l) => l.message === 'run finished')).toMatchObject({ level: 'error', status: 'rejected' });
      expect(jsonLines(stderr).find((l) => l.message === 'summary')).toMatchObject({ level: 'error', status: 'rejected', exitCode: 3 });
    });
  });
});

describe('the default report dir', () => {
  it.concurrent('is new for every run, even for runs started at the same moment', async () => {
    await withWorkspace(async (dirs) => {
      const runs = await Promise.all([0, 1, 2].map(() => runCli(['validate', INPUT], { cwd: dirs.root })));
      expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
      const made = readdirSync(path.join(dirs.root, 'reports'));
      expect(made).toHaveLength(3);
      for (const name of made) expect(name).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
      for (const name of made) expect(readSummary(path.join(dirs.root, 'reports', name)).runId.slice(0, 8)).toBe(name.slice(-8));
    });
  });
});

describe('results.csv and the formula rule', () => {
  it.concurrent('signed numbers stay joinable with the source; formulas are neutralised', async () => {
    await withWorkspace(async (dirs) => {
      const file = path.join(dirs.root, 'ids.csv');
      await writeFile(file, 'document_id,tier\n+573001234567,gold\n-100,silver\n-2+3,gold\n=1+1,gold\n');
      const { code } = await runCli(['validate', '--report-dir', dirs.report, file]);
      expect(code).toBe(0);
      expect(readResults(dirs.report).map((r) => r.document_id)).toEqual(['+573001234567', '-100', "'-2+3", "'=1+1"]);
    });
  });
});

describe('a signal while stdin is read', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s ends the run at once with %i, removing the spool', async (signal, exitCode) => {
    await withWorkspace(async (dirs) => {
      const tmp = dirs.tmpDir;
      // stdin stays open after the rows, as a producer that hangs.
      const child = spawnCli(['validate', '--report-dir', dirs.report, '--log-format', 'json', '-'], {
        cwd: dirs.root,
        env: { TMPDIR: tmp },
        stdin: 'document_id,tier\n1,gold\n',
        holdStdin: true,
      });
      const closed = child.done.then((result) => result.code);
      // Wait until the spool exists, then signal.
      const deadline = Date.now() + 10_000;
      const spooling = (): boolean => readdirSync(tmp, { recursive: true }).some((name) => String(name).includes('segment-sync-stdin-'));
      while (!spooling() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(spooling()).toBe(true);
      const signalledAt = Date.now();
      child.kill(signal);
      const code = await closed;
      expect(code).toBe(exitCode);
      expect(Date.now() - signalledAt).toBeLessThan(5_000);
      expect(readdirSync(tmp)).toEqual([]);
      expect(readSummary(dirs.report)).toMatchObject({ status: 'interrupted', exitCode });
      expect(jsonLines((await child.done).stdout).length).toBeGreaterThan(0);
      expect(existsSync(path.join(dirs.report, 'summary.json'))).toBe(true);
    });
  });
});

describe('a reader that goes away (| head)', () => {
  it('a dry run whose output is closed still finishes and writes its report', async () => {
    await withWorkspace(async (dirs) => {
      const { code, signal } = await runCli(['validate', INPUT, '--report-dir', dirs.report], { closeOutput: true });
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(readSummary(dirs.report)).toMatchObject({ status: 'succeeded', counts: { customers: 28 } });
    });
  });

  it('a send whose output is closed sends every customer and accounts for each in the report', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const { code } = await runCli(['run', ...sendArgs(emulator, dirs), '--log-format', 'json', INPUT], { closeOutput: true });
      expect(code).toBe(0);
      expect(readSummary(dirs.report)).toMatchObject({ status: 'succeeded', counts: { updated: 28 } });
      expect(readResults(dirs.report).filter((row) => row.status === 'updated')).toHaveLength(28);
    });
  });
});

describe('--version', () => {
  it.concurrent("prints package.json's version whatever the working directory (the bundle no longer sits beside it)", async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const cwd of [tmpdir(), path.join(REPO_ROOT, 'node_modules', 'yargs'), REPO_ROOT]) {
      const { code, stdout } = await runCli(['--version'], { cwd });
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(version);
    }
  });
});

describe('--help', () => {
  it.concurrent('run --help lists the new options in their groups, with examples', async () => {
    const { code, stdout } = await runCli(['run', '--help']);
    expect(code).toBe(0);
    const section = (title: string): string => stdout.slice(stdout.indexOf(title)).split('\n\n')[0]!;
    for (const option of ['--encoding', '--segment-columns', '--ignore-columns']) expect(section('Input:')).toContain(option);
    for (const option of ['--max-clear', '--max-not-found', '--yes', '--max-invalid']) expect(section('Guardrails:')).toContain(option);
    for (const example of [
      '--segment-columns "tier,region,Churn',
      '--ignore-columns email',
      '--encoding windows-1252',
      '--max-clear 2%',
      '--yes',
    ]) {
      expect(stdout.slice(stdout.indexOf('Examples:'))).toContain(example);
    }
  });

  it.concurrent('validate --help has its own examples', async () => {
    const { code, stdout } = await runCli(['validate', '--help']);
    expect(code).toBe(0);
    expect(stdout.slice(stdout.indexOf('Examples:'))).toContain('--segment-columns');
    expect(stdout).not.toContain('--yes');
  });
});

/**
 * `demo`: the first thing a new user runs. Starts the bundled emulator on a random loopback port,
 * syncs the example file to it, prints the summary and what the emulator now holds.
 */
import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultsOf, inputOptions, resolveRunConfig, sendOptions } from '../config/run-options.js';
import { packageRoot } from '../config/version.js';
import type { ExitHolder, Launch } from './main.js';

/** An example file: in fixtures/ beside package.json (the repository, or /app/fixtures in the image). */
const fixture = (name: string): string => path.join(packageRoot(), 'fixtures', name);
const DEMO_TOKEN = 'demo-token';

export function demoCommand(exit: ExitHolder, launch: Launch): CommandModule<object, { file: string; reportDir?: string }> {
  return {
    command: 'demo',
    describe: 'Sync an example file to the bundled emulator and show the result (nothing leaves this machine)',
    builder: (y) =>
      y.option('file', { type: 'string', default: fixture('customers-wide.csv'), describe: 'File to sync' }).option('report-dir', {
        type: 'string',
        describe: 'Where the report goes (default: ./reports/<UTC time>-<run id prefix>)',
      }) as never,
    handler: async (args) => {
      // Loaded when the demo runs, not when main registers the command (see run.ts).
      const [{ startEmulator, parseIdList }, { execute }] = await Promise.all([import('../emulator/index.js'), import('./execute.js')]);
      const known = parseIdList(readFileSync(fixture('known-ids.txt'), 'utf8'));
      const emulator = await startEmulator({ tokens: [DEMO_TOKEN], known });
      try {
        process.stderr.write(`Emulator listening at ${emulator.url} (it knows ${known.length} customers)\n`);
        const config = resolveRunConfig(
          {
            ...defaultsOf(inputOptions),
            ...defaultsOf(sendOptions),
            files: [args.file],
            endpoint: emulator.url,
            token: DEMO_TOKEN,
            rate: 20,
            stateDir: path.join('.segment-sync', 'demo'),
            fresh: true,
            reportDir: args.reportDir,
          },
          process.env,
          new Date(),
          launch.runId,
        );
        exit.code = await execute(config, { runId: launch.runId, command: 'demo' });
        const held = Object.entries(emulator.state().customers);
        process.stderr.write(`\nThe emulator now holds segments for ${held.length} customers, e.g.:\n`);
        for (const [id, segments] of held.slice(0, 3)) process.stderr.write(`  ${id}: ${JSON.stringify(segments)}\n`);
      } finally {
        await emulator.close();
      }
    },
  };
}

/**
 * `segment-sync emulator`: runs the endpoint emulator until SIGINT/SIGTERM, for rehearsals and for
 * tests that drive the CLI. Option parsing stays thin: one table maps each flag to the emulator
 * option it sets, and the emulator's own checks (src/emulator/options.ts) validate the values; this
 * file only renames their problems after the flags.
 */
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../core/errors.js';
import { err, ok } from '../core/result.js';
// The option checks only: the server (node:http and the rest of the emulator) is imported when
// the emulator starts, so main can register this command without loading it.
import {
  DEFAULT_FAULTS,
  EMULATOR_DEFAULTS,
  formatProblems,
  resolveEmulatorOptions,
  type Checked,
  type EmulatorOptions,
  type Faults,
  type OptionProblem,
} from '../emulator/options.js';
import { parseIdList } from '../emulator/id-list.js';

/** Parsed flags. Numeric flags are not typed for yargs: it would turn "abc" into NaN before our checks see it. */
export interface EmulatorArgs {
  host?: unknown;
  port?: unknown;
  token?: unknown;
  known?: string;
  'known-all'?: boolean;
  'reject-ids'?: string;
  'reject-all'?: boolean;
  seed?: unknown;
  'max-body-bytes'?: unknown;
  [faultFlag: string]: unknown;
}

/** The ids read from the files named by --known and --reject-ids. */
export interface IdLists {
  known?: string[];
  rejectIds?: string[];
}

/** Flags that set one fault each, with their help text. */
const FAULT_FLAGS: Record<string, { fault: keyof Faults; describe: string }> = {
  'rate-limit': {
    fault: 'rateLimit',
    describe: 'Requests per second allowed (sliding 1 s window, or a token bucket with --burst); above it answer 429. 0 = no limit',
  },
  burst: {
    fault: 'burst',
    describe: 'With --rate-limit: a token bucket of this many requests (a small burst) instead of a sliding window. 0 = window',
  },
  'retry-after-format': { fault: 'retryAfter', describe: "Retry-After on 429 as 'seconds' or as an 'http-date'" },
  'retry-after-seconds': { fault: 'retryAfterSeconds', describe: 'Seconds advertised in Retry-After on 429' },
  'error-rate': { fault: 'errorRate', describe: 'Share of requests (0–1) answered 500/502/503/504' },
  'reset-rate': { fault: 'resetRate', describe: 'Share of requests (0–1) whose connection is reset unanswered' },
  'slow-rate': { fault: 'slowRate', describe: 'Share of successful requests (0–1) answered only after --slow-ms' },
  'slow-ms': { fault: 'slowMs', describe: 'Delay of a slow answer, in milliseconds' },
  'drip-rate': { fault: 'dripRate', describe: 'Share of 200 answers (0–1) sent one byte every --drip-ms' },
  'drip-ms': { fault: 'dripMs', describe: 'Milliseconds between the bytes of a dripping answer' },
  'malformed-rate': {
    fault: 'malformedRate',
    describe: 'Share of 200 answers (0–1) whose body is not JSON or has the wrong shape',
  },
  'latency-ms': { fault: 'latencyMs', describe: 'Extra latency added to every answer, in milliseconds' },
};

/** Flags that together make the outage fault (faults.outage). */
const OUTAGE_FLAGS = {
  'outage-after': { describe: 'Seconds after the first request when an outage begins (with --outage-for)', default: 0 },
  'outage-for': { describe: 'Seconds the outage lasts: every request is answered --outage-status. Not given = no outage' },
  'outage-status': { describe: 'Status of the outage answers: 500, 502, 503 or 504', default: 503 },
  'outage-retry-after': { describe: 'Seconds advertised in Retry-After on the outage answers. Not given = no header' },
} as const;

/** The outage fault from its flags; undefined without --outage-for. Values are checked by the emulator. */
function outageFromArgs(args: EmulatorArgs): unknown {
  if (args['outage-for'] === undefined) return undefined;
  return {
    afterSeconds: args['outage-after'] ?? 0,
    forSeconds: args['outage-for'],
    status: args['outage-status'] ?? 503,
    ...(args['outage-retry-after'] !== undefined && { retryAfterSeconds: args['outage-retry-after'] }),
  };
}

/** Flags that set a top-level emulator option; problems are reported under these names. */
const OPTION_FLAGS: Record<string, string> = {
  host: 'host',
  port: 'port',
  token: 'tokens',
  known: 'known',
  seed: 'seed',
  'max-body-bytes': 'maxBodyBytes',
  'reject-ids': 'faults.rejectIds',
  'reject-all': 'faults.rejectAll',
  'outage-for': 'faults.outage',
  ...Object.fromEntries(Object.entries(FAULT_FLAGS).map(([flag, { fault }]) => [flag, `faults.${fault}`])),
};

const FLAG_OF_PATH = new Map(Object.entries(OPTION_FLAGS).map(([flag, path]) => [path, `--${flag}`]));

const CONTROL_ROUTES_HELP = `Control routes for tests (no token needed):
  GET  /__state   what the emulator holds, and request counts
  POST /__faults  change faults at run time, e.g. {"errorRate":0.2,"storm":{"count":5,"retryAfterSeconds":2}}
                  or {"rejectAll":true} (400 for every request)
  POST /__tokens  rotate the accepted tokens: {"tokens":["new-token"]}
  POST /__reset   forget customers and counts`;

function buildOptions(yargs: Argv): Argv<EmulatorArgs> {
  const faultOptions: Record<string, Options> = Object.fromEntries(
    Object.entries(FAULT_FLAGS).map(([flag, { fault, describe }]) => [
      flag,
      { describe, default: DEFAULT_FAULTS[fault], requiresArg: true, group: 'Faults:' },
    ]),
  );
  return yargs
    .options({
      host: { type: 'string', default: EMULATOR_DEFAULTS.host, describe: 'Interface to listen on' },
      port: { default: EMULATOR_DEFAULTS.cliPort, requiresArg: true, describe: 'Port to listen on (0 = any free one)' },
      token: {
        type: 'string',
        array: true,
        default: [...EMULATOR_DEFAULTS.tokens],
        describe:
          "Accepted Bearer token; repeat the flag to accept several (only from this flag: never SEGMENT_SYNC_TOKEN, the job's own credential)",
      },
      known: { type: 'string', describe: 'File of existing customer ids, one a line; other ids are not found' },
      'known-all': { type: 'boolean', describe: 'Every id is an existing customer (the default)' },
      'reject-ids': {
        type: 'string',
        group: 'Faults:',
        describe: 'File of ids, one a line: a request listing any of them is answered 400 and nothing in it is applied',
      },
      'reject-all': {
        type: 'boolean',
        group: 'Faults:',
        describe: 'Answer every request 400 with the same {type, code, details}, as an API that refuses the payload itself',
      },
      seed: {
        default: EMULATOR_DEFAULTS.seed,
        requiresArg: true,
        describe: 'Seed of the fault randomness (same seed, same faults)',
      },
      'max-body-bytes': {
        default: EMULATOR_DEFAULTS.maxBodyBytes,
        requiresArg: true,
        describe: 'Request bodies larger than this are answered 413',
      },
      ...faultOptions,
      ...Object.fromEntries(Object.entries(OUTAGE_FLAGS).map(([flag, o]) => [flag, { ...o, requiresArg: true, group: 'Faults:' }])),
    })
    .example('$0 emulator', 'Listen on 127.0.0.1:8787, accept token dev-token, every customer exists')
    .example('$0 emulator --known ids.txt --rate-limit 10 --error-rate 0.2 --reset-rate 0.05', 'Rehearse a bad night')
    .example('$0 emulator --rate-limit 30 --burst 2 --outage-after 20 --outage-for 20', 'A 30/s token bucket, and 20 s of 503s after 20 s')
    .epilogue(CONTROL_ROUTES_HELP) as unknown as Argv<EmulatorArgs>;
}

/** Maps parsed flags (and the id files' contents) to emulator options, checking every value. */
export function emulatorOptionsFromArgs(args: EmulatorArgs, lists: IdLists = {}): Checked<EmulatorOptions> {
  if (args.known !== undefined && args['known-all'] === true) {
    const conflict = { path: '--known', expected: 'left out when --known-all is given', got: `'${args.known}'` };
    return err([conflict]);
  }
  const faults = Object.fromEntries(Object.entries(FAULT_FLAGS).map(([flag, { fault }]) => [fault, args[flag]]));
  const outage = outageFromArgs(args);
  if (outage !== undefined) faults.outage = outage;
  // Values are still unchecked here; resolveEmulatorOptions checks each one, whatever its type.
  const options = {
    host: args.host,
    port: args.port,
    tokens: args.token,
    known: lists.known ?? 'all',
    seed: args.seed,
    maxBodyBytes: args['max-body-bytes'],
    faults: { ...faults, ...(lists.rejectIds && { rejectIds: lists.rejectIds }), ...(args['reject-all'] === true && { rejectAll: true }) },
  } as EmulatorOptions;
  const resolved = resolveEmulatorOptions(options);
  if (!resolved.ok) return err(resolved.error.map(namedAfterFlag));
  return ok(options);
}

function namedAfterFlag(problem: OptionProblem): OptionProblem {
  return { ...problem, path: FLAG_OF_PATH.get(problem.path) ?? problem.path };
}

/** Starts the emulator, prints its URL on stdout, and closes it when `signal` aborts. */
export async function serveUntilStopped(
  options: EmulatorOptions,
  signal: AbortSignal,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  const { startEmulator } = await import('../emulator/index.js');
  const emulator = await startEmulator(options);
  try {
    print(`segment-sync emulator listening on ${emulator.url}`);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await emulator.close();
  }
}

/** Reads the files named by --known and --reject-ids; an unreadable file is a usage error. */
export async function readIdLists(args: Pick<EmulatorArgs, 'known' | 'reject-ids'>): Promise<IdLists> {
  return {
    known: await readIdFile('known', args.known),
    rejectIds: await readIdFile('reject-ids', args['reject-ids']),
  };
}

async function readIdFile(flag: string, path: string | undefined): Promise<string[] | undefined> {
  if (path === undefined) return undefined;
  try {
    return parseIdList(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--${flag} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** An AbortSignal that fires on the first SIGINT or SIGTERM; `dispose` removes the listeners. */
function stopSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export const emulatorCommand: CommandModule<object, EmulatorArgs> = {
  command: 'emulator',
  describe: 'Run a local stand-in for the customer-segments endpoint (with optional faults) until Ctrl-C',
  builder: buildOptions,
  handler: async (args) => {
    const lists = await readIdLists(args);
    const options = emulatorOptionsFromArgs(args, lists);
    if (!options.ok) throw new UsageError(formatProblems(options.error));
    const stop = stopSignal();
    try {
      await serveUntilStopped(options.value, stop.signal);
    } catch (error) {
      throw listenError(error, options.value) ?? error;
    } finally {
      stop.dispose();
    }
  },
};

/** The usual reasons a server cannot listen are the user's to fix: say which flag to change. */
function listenError(error: unknown, { host, port }: EmulatorOptions): UsageError | undefined {
  const reasons: Record<string, string> = {
    EADDRINUSE: `--port ${port} is already in use; choose another port (0 = any free port)`,
    EACCES: `--port ${port} needs privileges this user lacks; choose a port above 1023`,
    EADDRNOTAVAIL: `--host ${host} is not an address of this machine`,
    ENOTFOUND: `--host ${host} cannot be resolved`,
  };
  const reason = reasons[(error as NodeJS.ErrnoException | null)?.code ?? ''];
  return reason === undefined ? undefined : new UsageError(reason);
}

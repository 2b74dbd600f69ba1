/**
 * The options of `state show` and `state reset`: their yargs definitions (also the --help text) and
 * the pure step that turns parsed arguments into a validated config. The identity a reset forgets is
 * spelled exactly as for `run` (--env or --endpoint, --id-column, --shard), so the same flags name
 * the same state file.
 */
import type { Options } from 'yargs';
import { UsageError } from '../core/errors.js';
import type { StateIdentity } from '../state/index.js';
import { DEFAULTS, ENDPOINTS, type EnvName } from './defaults.js';
import { checkEndpointUrl, environmentOf, nonEmpty, optionalString, type RawArgs } from './run-options.js';
import { parseShard } from './shard.js';

const stateDir = {
  type: 'string',
  default: DEFAULTS.stateDir,
  describe: 'The state dir of the runs (their --state-dir)',
} as const satisfies Options;

export const stateShowOptions = {
  'state-dir': stateDir,
  json: { type: 'boolean', default: false, describe: 'Print one JSON document instead of text' },
} as const satisfies Record<string, Options>;

export const stateResetOptions = {
  'state-dir': stateDir,
  env: {
    type: 'string',
    alias: 'environment',
    choices: Object.keys(ENDPOINTS),
    describe: 'Forget the state built against the documented URL of staging or production',
  },
  endpoint: { type: 'string', describe: 'Forget the state built against this endpoint URL (exactly as the runs gave it)' },
  'id-column': { type: 'string', default: DEFAULTS.idColumn, describe: "The runs' --id-column" },
  shard: { type: 'string', describe: "Only the state of shard i of n (format i/n, as the runs' --shard)" },
  yes: { type: 'boolean', default: false, describe: 'Do not ask for confirmation on a terminal' },
} as const satisfies Record<string, Options>;

export interface StateShowConfig {
  stateDir: string;
  json: boolean;
}

export interface StateResetConfig {
  stateDir: string;
  identity: StateIdentity;
  /** 'production', 'staging' or 'custom', for the messages. */
  environment: EnvName | 'custom';
  yes: boolean;
}

export function resolveStateShow(args: RawArgs): StateShowConfig {
  return { stateDir: nonEmpty('--state-dir', args.stateDir), json: Boolean(args.json) };
}

export function resolveStateReset(args: RawArgs): StateResetConfig {
  const endpoint = endpointOf(args);
  const shardSpec = optionalString(args.shard);
  const shard = shardSpec === undefined ? undefined : parseShard('--shard', shardSpec);
  const environment = environmentOf({ dryRun: false, endpoint });
  return {
    stateDir: nonEmpty('--state-dir', args.stateDir),
    identity: { endpoint, idColumn: nonEmpty('--id-column', args.idColumn), ...(shard ? { shard } : {}) },
    environment: environment === 'none' ? 'custom' : environment,
    yes: Boolean(args.yes),
  };
}

/** The URL the state was built against: a reset must name one, it never guesses. */
function endpointOf(args: RawArgs): string {
  const explicit = optionalString(args.endpoint);
  const envName = optionalString(args.env) as EnvName | undefined;
  if (explicit && envName) throw new UsageError('Give --endpoint or --env, not both.');
  if (envName) return ENDPOINTS[envName];
  if (!explicit)
    throw new UsageError(
      'Say whose state to forget: --env staging|production or --endpoint <url> (as the runs gave it; see segment-sync state show).',
    );
  // Nothing is sent, so plain http is no risk here; the URL must still be one.
  checkEndpointUrl(explicit, true);
  return explicit;
}

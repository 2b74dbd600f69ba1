/**
 * The options of `run` and `validate`: their yargs definitions (which are also the --help text) and
 * the pure step that turns parsed arguments into a validated RunConfig. Values come from flags, then
 * SEGMENT_SYNC_<OPTION> environment variables, then the --config file, then DEFAULTS (main.ts reads
 * the environment and the file for the options of the command being run, see sources.ts; yargs
 * applies the precedence).
 */
import type { Options } from 'yargs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { Layout } from '../core/types.js';
import { ENCODINGS, type Encoding } from '../pipeline/input/options.js';
import { DEFAULTS, ENDPOINTS, MODES, type EnvName, type Mode } from './defaults.js';
import { parseThreshold, type Threshold } from './threshold.js';
import { parseShard, type Shard } from './shard.js';
import { resolvePushTarget } from './push-target.js';
import { registerUrlPassword } from '../core/secrets.js';
import { checkTransportEnv, isLoopbackHost } from './transport-env.js';

const INPUT = 'Input:';
const TARGET = 'Target:';
const SENDING = 'Sending:';
const SAFETY = 'Guardrails:';
const OUTPUT = 'Report and logs:';
const STATE = 'Incremental sync, resume and shards:';

/** Options shared by `run` and `validate` (reading and checking the input, writing the report). */
export const inputOptions = {
  'id-column': { group: INPUT, type: 'string', default: DEFAULTS.idColumn, describe: 'Column holding the customer id' },
  delimiter: { group: INPUT, type: 'string', describe: 'Field delimiter: , ; tab or | (default: detected from the header)' },
  layout: {
    group: INPUT,
    type: 'string',
    choices: ['wide', 'json', 'long'],
    describe:
      'wide: one column per segment type; json: document_id,segments (JSON array); long: document_id,type,value (default: detected from the header)',
  },
  encoding: {
    group: INPUT,
    type: 'string',
    choices: [...ENCODINGS],
    describe: 'Text encoding of the files (default utf-8; a UTF-16 byte order mark selects UTF-16 by itself)',
  },
  'segment-columns': {
    group: INPUT,
    type: 'string',
    describe: 'wide layout: only these columns are segment types, comma-separated; Header=type renames (e.g. "Churn risk=churn_risk")',
  },
  'ignore-columns': {
    group: INPUT,
    type: 'string',
    describe: 'wide layout: every column but these (and the id) is a segment type, comma-separated',
  },
  'skip-empty': {
    group: INPUT,
    type: 'boolean',
    default: false,
    describe: "wide layout: skip rows whose segment cells are all blank instead of clearing those customers' segments",
  },
  'max-invalid': {
    group: SAFETY,
    type: 'string',
    default: DEFAULTS.maxInvalid,
    describe:
      'Send nothing (exit 3) when more rows than this are invalid: a count (50), a share of data rows (1%), or both (100,10%: whichever is exceeded)',
  },
  'max-clear': {
    group: SAFETY,
    type: 'string',
    default: DEFAULTS.maxClear,
    describe:
      'Send nothing (exit 3) when the run would clear the segments of more customers than this: a count, a share of customers (10%), or both',
  },
  'max-record-bytes': {
    group: SAFETY,
    type: 'number',
    default: DEFAULTS.maxRecordBytes,
    describe: 'Reject the input when one record is larger than this',
  },
  'max-input-bytes': {
    group: SAFETY,
    type: 'number',
    default: DEFAULTS.maxInputBytes,
    describe: 'Reject the input (exit 3, nothing sent) when one file holds, or decompresses to, more bytes than this (default 16 GiB)',
  },
  'max-compression-ratio': {
    group: SAFETY,
    type: 'number',
    default: DEFAULTS.maxCompressionRatio,
    describe:
      'Reject a .gz as a likely decompression bomb (exit 3) when, after its first 100 MiB, it expands more than this many times its compressed size; 0 = no check',
  },
  'report-dir': {
    group: OUTPUT,
    type: 'string',
    describe: 'Where the report goes (default: ./reports/<UTC time>-<run id prefix>, new for every run)',
  },
  'log-level': {
    group: OUTPUT,
    type: 'string',
    choices: ['error', 'warn', 'info', 'debug'],
    default: DEFAULTS.logLevel,
    describe: 'Log verbosity',
  },
  'log-format': {
    group: OUTPUT,
    type: 'string',
    choices: ['auto', 'json', 'text'],
    default: DEFAULTS.logFormat,
    describe: 'auto: readable on a terminal, JSON lines otherwise',
  },
  'progress-interval': { group: OUTPUT, type: 'number', default: DEFAULTS.progressInterval, describe: 'Seconds between progress lines' },
} as const satisfies Record<string, Options>;

/** Options only `run` has (the endpoint, the token, sending, resuming). */
export const sendOptions = {
  endpoint: { group: TARGET, type: 'string', describe: 'Full URL of the bulk endpoint (…/api/v3/customers/segments)' },
  env: { group: TARGET, type: 'string', choices: Object.keys(ENDPOINTS), describe: 'Use the documented URL of staging or production' },
  'token-file': {
    group: TARGET,
    type: 'string',
    describe: 'File holding the access token (preferred: a mounted secret). Else env SEGMENT_SYNC_TOKEN, else --token',
  },
  token: {
    group: TARGET,
    type: 'string',
    describe: 'Access token (visible to other local users in the process list: prefer --token-file)',
  },
  'allow-insecure-http': {
    group: TARGET,
    type: 'boolean',
    default: false,
    describe: 'Allow an http:// endpoint that is not on this machine (the token would travel in clear)',
  },
  'dry-run': { group: SAFETY, type: 'boolean', default: false, describe: 'Do everything except the requests; no endpoint or token needed' },
  'max-not-found': {
    group: SAFETY,
    type: 'string',
    default: DEFAULTS.maxNotFound,
    describe: `Stop sending when more customers than this share are not found, once ${DEFAULTS.notFoundSample} have been answered (wrong environment or id column)`,
  },
  yes: {
    group: SAFETY,
    type: 'boolean',
    default: false,
    describe: 'Do not ask for confirmation before sending to production on a terminal',
  },
  'batch-size': {
    group: SENDING,
    type: 'number',
    default: DEFAULTS.batchSize,
    describe: 'Customers per request (a batch closes at this or --max-batch-bytes)',
  },
  'max-batch-bytes': { group: SENDING, type: 'number', default: DEFAULTS.maxBatchBytes, describe: 'Cap on one request body in bytes' },
  rate: {
    group: SENDING,
    type: 'number',
    default: DEFAULTS.rate,
    describe: 'Most requests per second, spread evenly (0 = unlimited); the pace adapts below it when the endpoint answers 429',
  },
  concurrency: { group: SENDING, type: 'number', default: DEFAULTS.concurrency, describe: 'Requests in flight at once' },
  'max-attempts': {
    group: SENDING,
    type: 'number',
    default: DEFAULTS.maxAttempts,
    describe:
      'Attempts per request before its customers are failed (counted: 408, 5xx, network, timeouts, malformed answers; not 429 or 503 with Retry-After, nor failures during an outage)',
  },
  'max-retry-wait': {
    group: SENDING,
    type: 'number',
    default: DEFAULTS.maxRetryWait,
    describe: 'Longest Retry-After to wait for, in seconds; a longer one stops sending (exit 1, the rest not sent, resumed by a rerun)',
  },
  'max-outage': {
    group: SENDING,
    type: 'number',
    default: DEFAULTS.maxOutage,
    describe: 'Seconds an outage (every answer 5xx/429/network) is ridden out, probing, before sending stops (exit 1, resumed by a rerun)',
  },
  timeout: { group: SENDING, type: 'number', default: DEFAULTS.timeout, describe: 'Total deadline of one request, in seconds' },
  grace: {
    group: SENDING,
    type: 'number',
    default: DEFAULTS.grace,
    describe: 'Seconds in-flight requests get to finish after SIGTERM/SIGINT/SIGHUP',
  },
  mode: {
    group: STATE,
    type: 'string',
    choices: [...MODES],
    default: DEFAULTS.mode,
    describe:
      'full: send every customer; diff: only those new or changed since the endpoint last acknowledged them (kept in --state-dir); mirror: diff, and clear customers gone from the export',
  },
  'full-resync': {
    group: STATE,
    type: 'boolean',
    default: false,
    describe: "diff/mirror: send every customer whatever the state says and rebuild it (repairs changes made behind the job's back)",
  },
  'recheck-not-found': {
    group: STATE,
    type: 'boolean',
    default: false,
    describe: 'diff/mirror: send again the customers the endpoint answered not found (they are skipped while unchanged)',
  },
  'state-dir': {
    group: STATE,
    type: 'string',
    default: DEFAULTS.stateDir,
    describe:
      'Where the run state lives: the lock, the resume journal (full), the segments the endpoint acknowledged (diff, mirror). A local disk: never a network filesystem shared between writers',
  },
  fresh: { group: STATE, type: 'boolean', default: false, describe: '--mode full: ignore the resume journal and send everything again' },
  shard: {
    group: STATE,
    type: 'string',
    describe: 'Process only shard i of n (format i/n): customers whose id hash mod n = i; takes 1/n of --rate',
  },
  'shard-count': {
    group: STATE,
    type: 'number',
    describe: 'Number of shards, with the index from JOB_COMPLETION_INDEX (Kubernetes Indexed Job)',
  },
  pushgateway: { group: OUTPUT, type: 'string', describe: 'Prometheus Pushgateway URL to push run metrics to at the end' },
  'job-name': { group: OUTPUT, type: 'string', default: DEFAULTS.jobName, describe: 'Job label for metrics' },
} as const satisfies Record<string, Options>;

/** The order the groups appear in --help: where to send, what to read, what protects, how to send. */
const HELP_ORDER = [TARGET, INPUT, SAFETY, SENDING, STATE, OUTPUT];

/** Within a group, these come first and in this order (the rest keep their order): rehearse, confirm, then the limits. */
const FIRST_IN_GROUP = ['dry-run', 'yes', 'max-invalid', 'max-clear', 'max-not-found'];

/** The options re-ordered so that --help lists their groups in HELP_ORDER (yargs shows groups as first met). */
export function inHelpOrder<T extends Record<string, Options>>(options: T): T {
  const rank = ([name, option]: [string, Options]): number => {
    const first = FIRST_IN_GROUP.indexOf(name);
    return HELP_ORDER.indexOf(String(option.group)) * 1000 + (first === -1 ? FIRST_IN_GROUP.length : first);
  };
  return Object.fromEntries(Object.entries(options).sort((a, b) => rank(a) - rank(b))) as T;
}

/** The defaults of a set of option definitions, keyed as yargs hands them over (camelCase). */
export function defaultsOf(options: Record<string, Options>): RawArgs {
  const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.fromEntries(
    Object.entries(options)
      .filter(([, o]) => o.default !== undefined)
      .map(([name, o]) => [camel(name), o.default]),
  );
}

/** Arguments as yargs hands them over (camelCase keys; kebab-case aliases also present). */
export interface RawArgs {
  files?: string[];
  [key: string]: unknown;
}

export interface InputConfig {
  files: string[];
  idColumn: string;
  delimiter?: string;
  layout?: Layout;
  /** Undefined: UTF-8, or UTF-16 when the file starts with a UTF-16 byte order mark. */
  encoding?: Encoding;
  /** wide: only these columns are segment types (header name → type sent). */
  segmentColumns?: ColumnSelection[];
  /** wide: these columns are not segment types. */
  ignoreColumns?: string[];
  skipEmpty: boolean;
  maxInvalid: Threshold;
  maxClear: Threshold;
  maxRecordBytes: number;
  /** Decoded bytes one input file may hold (--max-input-bytes). */
  maxInputBytes: number;
  /** gzip expansion refused as a likely bomb (--max-compression-ratio); 0 = no check. */
  maxCompressionRatio: number;
  reportDir: string;
  logLevel: string;
  logFormat: 'auto' | 'json' | 'text';
  progressIntervalMs: number;
}

/** One entry of --segment-columns: the header name to read and the segment type to send. */
export interface ColumnSelection {
  header: string;
  type: string;
}

/**
 * A run's config: a dry run (`validate`, `run --dry-run`), which sends nothing and reads no token,
 * or a send, which has an endpoint and the sources of its token. resolveRunConfig decides which.
 * The job does less in a dry run (no lock, the state only read) and stops before sending:
 * run-job.ts decideAndSend is where the send's endpoint and token are needed.
 */
export type RunConfig = ValidateConfig | SendConfig;

export interface ValidateConfig extends RunOptions {
  dryRun: true;
  /** Given (--endpoint, --env): diff and mirror consult that endpoint's state, read-only. */
  endpoint?: string;
  /** A dry run reads no token. */
  token?: never;
}

export interface SendConfig extends RunOptions {
  dryRun: false;
  endpoint: string;
  /** Where the token comes from (resolveToken reads it when the run starts). */
  token: { file?: string; value?: string };
}

/** What dry runs and sends share: besides the input, how a send would go (the plan estimates it). */
interface RunOptions extends InputConfig {
  maxNotFound: Threshold;
  /** Skip the confirmation before sending to production on a terminal. */
  yes: boolean;
  batchSize: number;
  maxBatchBytes: number;
  /** Requests per second for this process (already divided among shards); 0 = unlimited. */
  rate: number;
  concurrency: number;
  maxAttempts: number;
  /** --max-retry-wait in ms: a longer Retry-After stops sending. */
  maxRetryWaitMs: number;
  /** --max-outage in ms: an outage that lasts longer stops sending. */
  maxOutageMs: number;
  timeoutMs: number;
  graceMs: number;
  /** full: send every customer; diff/mirror: consult and keep the incremental state (see src/pipeline/incremental.ts). */
  mode: Mode;
  /** diff/mirror: send every customer whatever the state says, and rebuild it. */
  fullResync: boolean;
  /** diff/mirror: customers remembered as not found are sent again. */
  recheckNotFound: boolean;
  stateDir: string;
  /** full: ignore the resume journal. */
  fresh: boolean;
  shard?: Shard;
  pushgateway?: string;
  jobName: string;
}

/** The input file name that means stdin. */
export const STDIN_ARG = '-';
/**
 * yargs drops a bare `-` from a variadic positional (it re-parses `files` as `--files -` and takes
 * `-` for a flag), so `run a.csv - b.csv` would silently skip stdin. main.ts swaps it for this
 * placeholder, which no real argument can be (argv strings cannot hold NUL), and the files are
 * swapped back here.
 */
export const STDIN_ARG_PLACEHOLDER = '\u0000stdin';

/** --delimiter's accepted spellings, to the character (the delimiters detection tries: DELIMITERS, src/pipeline/input/options.ts). */
const DELIMITER_SPELLINGS: Record<string, string> = { ',': ',', ';': ';', '|': '|', '\t': '\t', tab: '\t', '\\t': '\t' };

/** `now` and `runId` name the default report dir. */
export function resolveInputConfig(args: RawArgs, now = new Date(), runId: string = randomUUID()): InputConfig {
  const files = (args.files ?? []).map((file) => (file === STDIN_ARG_PLACEHOLDER ? STDIN_ARG : file));
  if (files.length === 0) throw new UsageError('Give at least one input file (or - for stdin).');
  if (files.filter((file) => file === STDIN_ARG).length > 1) throw new UsageError("'-' (stdin) can be given only once", 'STDIN_TWICE');
  return {
    files,
    idColumn: nonEmpty('--id-column', args.idColumn),
    delimiter: args.delimiter === undefined ? undefined : delimiterOf(String(args.delimiter)),
    layout: args.layout as Layout | undefined,
    encoding: optionalString(args.encoding) as Encoding | undefined,
    ...columnChoice(args),
    skipEmpty: Boolean(args.skipEmpty),
    maxInvalid: parseThreshold('--max-invalid', String(args.maxInvalid)),
    maxClear: parseThreshold('--max-clear', String(args.maxClear)),
    maxRecordBytes: positiveInt('--max-record-bytes', args.maxRecordBytes),
    maxInputBytes: positiveInt('--max-input-bytes', args.maxInputBytes),
    maxCompressionRatio: nonNegative('--max-compression-ratio', args.maxCompressionRatio),
    reportDir: optionalString(args.reportDir) ?? defaultReportDir(now, runId),
    logLevel: String(args.logLevel),
    logFormat: args.logFormat as InputConfig['logFormat'],
    progressIntervalMs: positiveNumber('--progress-interval', args.progressInterval) * 1000,
  };
}

export function resolveRunConfig(
  args: RawArgs,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
  runId: string = randomUUID(),
): RunConfig {
  const input = resolveInputConfig(args, now, runId);
  const target = resolveTarget(args);
  const shard = resolveShard(args, env);
  const rate = nonNegative('--rate', args.rate);
  const jobName = nonEmpty('--job-name', args.jobName);
  const pushgateway = optionalString(args.pushgateway);
  if (pushgateway !== undefined) {
    // Checked now, so a typo fails the run before it starts rather than after it is done.
    const push = resolvePushTarget({ url: pushgateway, jobName, shard });
    if (!push.ok) throw new UsageError(push.error);
  }
  // Once, here: the environment must not expose the token (TLS checks off, a proxy on plain http).
  const sendsTo = target.dryRun ? undefined : target.endpoint;
  checkTransportEnv(sendsTo, env, sendsTo !== undefined || pushgateway !== undefined);
  const maxNotFound = parseThreshold('--max-not-found', String(args.maxNotFound));
  const yes = Boolean(args.yes);
  const options = {
    batchSize: positiveInt('--batch-size', args.batchSize),
    maxBatchBytes: minimumInt('--max-batch-bytes', args.maxBatchBytes, 256),
    rate: shard ? rate / shard.count : rate,
    concurrency: positiveInt('--concurrency', args.concurrency),
    maxAttempts: positiveInt('--max-attempts', args.maxAttempts),
    maxRetryWaitMs: positiveNumber('--max-retry-wait', args.maxRetryWait) * 1000,
    maxOutageMs: positiveNumber('--max-outage', args.maxOutage) * 1000,
    timeoutMs: positiveNumber('--timeout', args.timeout) * 1000,
    graceMs: nonNegative('--grace', args.grace) * 1000,
    ...incremental(args),
    stateDir: nonEmpty('--state-dir', args.stateDir),
    shard,
    pushgateway,
    jobName,
  };
  // The keys in the order summary.json has always listed the options.
  return target.dryRun
    ? { ...input, dryRun: true, maxNotFound, yes, endpoint: target.endpoint, ...options }
    : { ...input, dryRun: false, maxNotFound, yes, endpoint: target.endpoint, token: target.token, ...options };
}

/** --mode and the options that only mean something with one of its values. */
function incremental(args: RawArgs): Pick<RunConfig, 'mode' | 'fullResync' | 'recheckNotFound' | 'fresh'> {
  const mode = String(args.mode) as Mode;
  if (!(MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(args.mode)}`);
  const fullResync = Boolean(args.fullResync);
  const recheckNotFound = Boolean(args.recheckNotFound);
  const fresh = Boolean(args.fresh);
  if (mode === 'full' && fullResync)
    throw new UsageError('--full-resync needs --mode diff or mirror (--mode full sends every customer anyway).');
  if (mode === 'full' && recheckNotFound)
    throw new UsageError('--recheck-not-found needs --mode diff or mirror (--mode full sends every customer anyway).');
  // The journal is how --mode full resumes; diff and mirror resume from the state itself.
  if (mode !== 'full' && fresh)
    throw new UsageError(`--fresh is for --mode full (its resume journal); with --mode ${mode}, --full-resync sends everything again.`);
  return { mode, fullResync, recheckNotFound, fresh };
}

/** A dry run, with the endpoint if one is given; or a send: the endpoint (required) and the token's sources. */
function resolveTarget(args: RawArgs): Pick<ValidateConfig, 'dryRun' | 'endpoint'> | Pick<SendConfig, 'dryRun' | 'endpoint' | 'token'> {
  const explicit = optionalString(args.endpoint);
  const envName = optionalString(args.env) as EnvName | undefined;
  if (explicit && envName) throw new UsageError('Give --endpoint or --env, not both.');
  const url = explicit ?? (envName ? ENDPOINTS[envName] : undefined);
  if (url) checkEndpointUrl(url, Boolean(args.allowInsecureHttp));
  if (args.dryRun) return { dryRun: true, endpoint: url || undefined };
  if (!url) throw new UsageError('Say where to send: --endpoint <url> or --env staging|production (or use --dry-run).');
  return { dryRun: false, endpoint: url, token: { file: optionalString(args.tokenFile), value: optionalString(args.token) } };
}

/** The documented environment an endpoint URL belongs to, if any (also when given with --endpoint). */
function envOf(endpoint: string | undefined): EnvName | undefined {
  return (Object.keys(ENDPOINTS) as EnvName[]).find((name) => ENDPOINTS[name] === endpoint);
}

/** TLS is mandatory off this machine: the request carries the token. */
export function checkEndpointUrl(url: string, allowInsecureHttp: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--endpoint is not a valid URL: ${JSON.stringify(url)}`);
  }
  // Refused, but hidden from here on: the error line must not be the one place it shows.
  registerUrlPassword(parsed);
  if (parsed.username || parsed.password) throw new UsageError('--endpoint must not contain credentials; use --token-file.');
  if (parsed.protocol === 'https:') return;
  if (parsed.protocol !== 'http:') throw new UsageError(`--endpoint must be an https:// URL, got ${JSON.stringify(url)}`);
  if (isLoopbackHost(parsed.hostname) || allowInsecureHttp) return;
  throw new UsageError(
    `--endpoint ${parsed.origin} uses plain http to another machine: the token would travel in clear. Use https, or --allow-insecure-http if you really mean it.`,
  );
}

function resolveShard(args: RawArgs, env: NodeJS.ProcessEnv): Shard | undefined {
  const spec = optionalString(args.shard);
  const count = args.shardCount;
  if (spec !== undefined && count !== undefined) throw new UsageError('Give --shard i/n or --shard-count n, not both.');
  if (spec !== undefined) return parseShard('--shard', spec);
  if (count === undefined) return undefined;
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined)
    throw new UsageError('--shard-count needs the shard index in JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job).');
  return parseShard('--shard-count with JOB_COMPLETION_INDEX', `${index}/${String(count)}`);
}

/**
 * ./reports/20261121T213705.123Z-6f1c2d3e: the UTC time to the millisecond, then the first 8
 * characters of the run id, so two runs started in the same second (or millisecond) never share a
 * directory. Fixed width, so names sort in start order; no colons (they break some file systems
 * and tools).
 */
export function defaultReportDir(now: Date, runId: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  const suffix =
    runId
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 8)
      .toLowerCase() || 'run';
  return path.join(DEFAULTS.reportRoot, `${stamp}-${suffix}`);
}

/** Where a run sends, for the log and the confirmation: an environment's name, `custom`, or `none` (dry run). */
export function environmentOf(
  config: Pick<ValidateConfig, 'dryRun'> | Pick<SendConfig, 'dryRun' | 'endpoint'>,
): EnvName | 'custom' | 'none' {
  if (config.dryRun) return 'none';
  return envOf(config.endpoint) ?? 'custom';
}

/** The endpoint given (and its documented environment's name), as summary.json and the plan record it. */
export function targetOf(config: Pick<RunConfig, 'endpoint'>): { endpoint: string; env?: EnvName } | undefined {
  if (config.endpoint === undefined) return undefined;
  const env = envOf(config.endpoint);
  return env === undefined ? { endpoint: config.endpoint } : { endpoint: config.endpoint, env };
}

/** --segment-columns / --ignore-columns: a comma-separated string (flag, env) or a list (config file). */
function columnChoice(args: RawArgs): Pick<InputConfig, 'segmentColumns' | 'ignoreColumns'> {
  const selected = listOption('--segment-columns', args.segmentColumns);
  const ignored = listOption('--ignore-columns', args.ignoreColumns);
  if (selected && ignored) throw new UsageError('Give --segment-columns or --ignore-columns, not both.');
  if (ignored) return { ignoreColumns: ignored };
  if (!selected) return {};
  const segmentColumns = selected.map((entry) => {
    const at = entry.lastIndexOf('=');
    const header = (at === -1 ? entry : entry.slice(0, at)).trim();
    const type = (at === -1 ? entry : entry.slice(at + 1)).trim();
    if (header === '' || type === '')
      throw new UsageError(`--segment-columns entries are Header or Header=type, got ${JSON.stringify(entry)}`);
    return { header, type };
  });
  const types = new Set<string>();
  for (const { type } of segmentColumns) {
    if (types.has(type)) throw new UsageError(`--segment-columns sends the segment type ${JSON.stringify(type)} twice`);
    types.add(type);
  }
  return { segmentColumns };
}

/** A list option: undefined when not given; entries trimmed; an empty entry is an error. */
function listOption(name: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const entries = Array.isArray(value) ? value.map((v) => String(v)) : String(value).split(',');
  const trimmed = entries.map((e) => e.trim());
  if (trimmed.length === 0 || trimmed.some((e) => e === ''))
    throw new UsageError(`${name} must be a comma-separated list of column names, got ${JSON.stringify(value)}`);
  return trimmed;
}

function delimiterOf(value: string): string {
  // Own keys only: `--delimiter constructor` must not find Object.prototype.constructor.
  const delimiter = Object.hasOwn(DELIMITER_SPELLINGS, value) ? DELIMITER_SPELLINGS[value] : undefined;
  if (!delimiter) throw new UsageError(`--delimiter must be one of , ; tab |, got ${JSON.stringify(value)}`);
  return delimiter;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string option that must hold something: trimmed, or a UsageError naming the option. */
export function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${name} must not be empty`);
  return value.trim();
}

function toNumber(name: string, value: unknown): number {
  // Number('') is 0, which would turn an empty SEGMENT_SYNC_RATE= into "unlimited".
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

function positiveNumber(name: string, value: unknown): number {
  const n = toNumber(name, value);
  if (n <= 0) throw new UsageError(`${name} must be greater than 0, got ${n}`);
  return n;
}

function nonNegative(name: string, value: unknown): number {
  const n = toNumber(name, value);
  if (n < 0) throw new UsageError(`${name} must be 0 or more, got ${n}`);
  return n;
}

function minimumInt(name: string, value: unknown, min: number): number {
  const n = toNumber(name, value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number of at least ${min}, got ${n}`);
  return n;
}

function positiveInt(name: string, value: unknown): number {
  return minimumInt(name, value, 1);
}

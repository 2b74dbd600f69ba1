/**
 * The emulator's options: their shapes, every default (in this one place), and the checks that turn
 * untrusted input (library callers, CLI flags, `POST /__faults` bodies) into resolved options.
 * Problems are returned as values, each naming the option path and the bad value, so each caller
 * can present them its own way (a RangeError, a UsageError naming the flag, a 400 body).
 */
import { isRecord } from '../core/is-record.js';
import { err, ok, type Result } from '../core/result.js';
import { checkValue, describeValue, type Rule, rules } from './rules.js';

/** Faults to inject; every one is off by default. */
export interface Faults {
  /**
   * Requests/s allowed; above it → 429 with Retry-After. 0 = off. A sliding 1 s window (any
   * second holds at most rateLimit), or with `burst` > 0 a token bucket.
   */
  rateLimit: number;
  /** > 0: the rate limit is a token bucket of this many tokens refilled at rateLimit/s (a small burst). */
  burst: number;
  /** Format of Retry-After on 429. */
  retryAfter: 'seconds' | 'http-date';
  /** Value advertised in Retry-After by the rate limit. */
  retryAfterSeconds: number;
  /** The next `count` requests get 429 regardless of the rate. */
  storm: { count: number; retryAfterSeconds: number } | null;
  /**
   * An outage: from `afterSeconds` after the first request that arrives once it is set, for
   * `forSeconds`, every request is answered `status` (default 503), with `Retry-After:
   * retryAfterSeconds` when given. Checked after auth, before the rate limit.
   */
  outage: Outage | null;
  /** Share of requests answered 500/502/503/504. */
  errorRate: number;
  /** Share of requests whose socket is destroyed before answering. */
  resetRate: number;
  /** Share of successful requests answered only after `slowMs`. */
  slowRate: number;
  slowMs: number;
  /** Share of 200 answers sent one byte every `dripMs` (headers first). */
  dripRate: number;
  dripMs: number;
  /** Share of 200 answers whose body is not JSON or has the wrong shape. */
  malformedRate: number;
  /** A request listing any of these ids is answered 400 and nothing in it is applied. */
  rejectIds: string[];
  /**
   * Every request with a valid body is answered 400 with the same {type, code, details}, as after
   * an API change that refuses the payload itself: no customer is at fault.
   */
  rejectAll: boolean;
  /**
   * A request listing any of `ids` is answered 503 (nothing in it applied), the first `times` such
   * requests: a batch that fails while the ones around it succeed (no outage), then recovers.
   */
  failIds: { ids: string[]; times: number } | null;
  /** Fixed extra latency on every answer. */
  latencyMs: number;
}

export interface Outage {
  afterSeconds: number;
  forSeconds: number;
  status?: 500 | 502 | 503 | 504;
  retryAfterSeconds?: number;
}

export interface EmulatorOptions {
  /** Interface to listen on; default '127.0.0.1'. */
  host?: string;
  /** Port; default 0 (a free port chosen by the OS). */
  port?: number;
  /** Accepted Bearer tokens; default ['dev-token']. */
  tokens?: string[];
  /** Customers that exist; 'all' (the default) means every id exists. */
  known?: Iterable<string> | 'all';
  faults?: Partial<Faults>;
  /** Seed of the fault randomness, so a run's faults can be replayed. */
  seed?: number;
  /** Request bodies above this are answered 413; default 10 MiB. */
  maxBodyBytes?: number;
}

export interface ResolvedEmulatorOptions {
  host: string;
  port: number;
  tokens: string[];
  known: ReadonlySet<string> | 'all';
  faults: Faults;
  seed: number;
  maxBodyBytes: number;
}

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  rateLimit: 0,
  burst: 0,
  retryAfter: 'seconds',
  retryAfterSeconds: 1,
  storm: null,
  outage: null,
  errorRate: 0,
  resetRate: 0,
  slowRate: 0,
  slowMs: 0,
  dripRate: 0,
  // Slow enough that an answer of a few hundred bytes outlasts any sane request deadline.
  dripMs: 100,
  malformedRate: 0,
  rejectIds: [],
  rejectAll: false,
  failIds: null,
  latencyMs: 0,
});

export const EMULATOR_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  /** The CLI listens on a fixed port so users can point `run --endpoint` at it. */
  cliPort: 8787,
  tokens: ['dev-token'] as readonly string[],
  known: 'all' as const,
  seed: 1,
  maxBodyBytes: 10 * 1024 * 1024,
});

/** The one path of the bulk endpoint the emulator serves. */
export const ENDPOINT_PATH = '/api/v3/customers/segments';

export interface OptionProblem {
  /** Dotted path of the option, e.g. 'faults.errorRate'. */
  path: string;
  /** What the value must be, e.g. 'a number between 0 and 1'. */
  expected: string;
  /** The bad value as shown to the user; absent for secrets. */
  got?: string;
}

/** The checked value, or every problem found (src/core/result.ts). */
export type Checked<T> = Result<T, OptionProblem[]>;

const FAULT_RULES: { [K in keyof Faults]: Rule } = {
  rateLimit: rules.wholeNumber,
  burst: rules.wholeNumber,
  retryAfter: rules.oneOf('seconds', 'http-date'),
  retryAfterSeconds: rules.wholeNumber,
  storm: rules.storm,
  outage: rules.outage,
  errorRate: rules.share,
  resetRate: rules.share,
  slowRate: rules.share,
  slowMs: rules.wholeNumber,
  dripRate: rules.share,
  dripMs: rules.positiveWholeNumber,
  malformedRate: rules.share,
  rejectIds: rules.stringList,
  rejectAll: rules.boolean,
  failIds: rules.failIds,
  latencyMs: rules.wholeNumber,
};

const OPTION_RULES = {
  host: rules.nonEmptyString,
  port: rules.port,
  tokens: rules.tokenList,
  seed: rules.integer,
  maxBodyBytes: rules.positiveWholeNumber,
} satisfies Record<Exclude<keyof EmulatorOptions, 'faults' | 'known'>, Rule>;

function checkFields(input: Record<string, unknown>, fieldRules: Record<string, Rule>, prefix: string): OptionProblem[] {
  const problems: OptionProblem[] = [];
  for (const [key, value] of Object.entries(input)) {
    const path = prefix + key;
    const rule = fieldRules[key];
    if (rule === undefined) {
      // A typo in a fault name would otherwise silently inject nothing.
      const expected = `made of known fields (${Object.keys(fieldRules).join(', ')})`;
      problems.push({ path: prefix.slice(0, -1) || 'options', expected, got: `'${key}'` });
      continue;
    }
    if (value === undefined) continue;
    const problem = checkValue(value, rule);
    if (problem !== undefined) problems.push({ path, ...problem });
  }
  return problems;
}

/** Checks a partial set of faults (from code or a JSON body) without applying it. */
export function checkFaults(input: unknown): Checked<Partial<Faults>> {
  if (!isRecord(input)) {
    return err([{ path: 'faults', expected: 'an object', got: describeValue(input) }]);
  }
  const problems = checkFields(input, FAULT_RULES, 'faults.');
  if (problems.length > 0) return err(problems);
  return ok(withoutUndefined(input) as Partial<Faults>);
}

/** Checks every option and fills in the defaults. */
export function resolveEmulatorOptions(input: EmulatorOptions = {}): Checked<ResolvedEmulatorOptions> {
  const { faults = {}, known, ...rest } = input;
  const checkedFaults = checkFaults(faults);
  const checkedKnown = resolveKnown(known);
  const problems = [
    ...checkFields(rest, OPTION_RULES, ''),
    ...(checkedKnown.ok ? [] : checkedKnown.error),
    ...(checkedFaults.ok ? [] : checkedFaults.error),
  ];
  if (problems.length > 0 || !checkedKnown.ok || !checkedFaults.ok) return err(problems);
  return ok({
    host: input.host ?? EMULATOR_DEFAULTS.host,
    port: input.port ?? EMULATOR_DEFAULTS.port,
    tokens: [...(input.tokens ?? EMULATOR_DEFAULTS.tokens)],
    known: checkedKnown.value,
    faults: { ...DEFAULT_FAULTS, ...checkedFaults.value },
    seed: input.seed ?? EMULATOR_DEFAULTS.seed,
    maxBodyBytes: input.maxBodyBytes ?? EMULATOR_DEFAULTS.maxBodyBytes,
  });
}

/** Reads `known` once (it may be a generator) and checks what it yielded. */
function resolveKnown(known: unknown): Checked<ReadonlySet<string> | 'all'> {
  if (known === undefined || known === 'all') return ok(known ?? EMULATOR_DEFAULTS.known);
  const problem = (got: string): Checked<never> => err([{ path: 'known', expected: "'all' or an iterable of ids (strings)", got }]);
  if (typeof known !== 'object' || known === null || !(Symbol.iterator in known)) return problem(describeValue(known));
  const ids = new Set<unknown>(known as Iterable<unknown>);
  for (const id of ids) {
    if (typeof id !== 'string') return problem(`an element ${describeValue(id)}`);
  }
  return ok(ids as Set<string>);
}

/** All problems in one message, e.g. "faults.errorRate must be a number between 0 and 1 (got 1.5); …". */
export function formatProblems(problems: OptionProblem[]): string {
  return problems.map(({ path, expected, got }) => `${path} must be ${expected}${got === undefined ? '' : ` (got ${got})`}`).join('; ');
}

function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

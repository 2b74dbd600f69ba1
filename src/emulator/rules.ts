/** Small value rules for checking options that arrive untyped (JSON bodies, CLI flags). */
import { isRecord } from '../core/is-record.js';

export interface Rule {
  /** What a valid value is, phrased to follow "must be". */
  expected: string;
  test(value: unknown): boolean;
  /** The value must never be shown back (tokens). */
  secret?: true;
}

const MAX_SHOWN_CHARS = 60;

/** A short, printable rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? typeof value);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}

export function checkValue(value: unknown, rule: Rule): { expected: string; got?: string } | undefined {
  if (rule.test(value)) return undefined;
  return rule.secret ? { expected: rule.expected } : { expected: rule.expected, got: describeValue(value) };
}

const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';

export const rules = {
  boolean: { expected: 'true or false', test: (v) => typeof v === 'boolean' },
  share: { expected: 'a number between 0 and 1', test: (v) => typeof v === 'number' && v >= 0 && v <= 1 },
  wholeNumber: { expected: 'a whole number ≥ 0', test: isWhole },
  positiveWholeNumber: { expected: 'a whole number ≥ 1', test: (v) => isWhole(v) && v >= 1 },
  integer: { expected: 'an integer', test: (v) => Number.isSafeInteger(v) },
  port: { expected: 'a port number between 0 and 65535', test: (v) => isWhole(v) && v <= 65535 },
  nonEmptyString: { expected: 'a non-empty string', test: (v) => isString(v) && v.length > 0 },
  stringList: { expected: 'a list of strings', test: (v) => Array.isArray(v) && v.every(isString) },
  tokenList: {
    expected: 'a non-empty list of non-empty strings without spaces',
    test: (v) => Array.isArray(v) && v.length > 0 && v.every((t) => isString(t) && /^\S+$/.test(t)),
    secret: true,
  },
  failIds: {
    expected: 'null or {ids: a list of strings, times: a whole number ≥ 0}',
    test: (v) => v === null || (isRecord(v) && Array.isArray(v.ids) && v.ids.every(isString) && isWhole(v.times)),
  },
  storm: {
    expected: 'null or {count, retryAfterSeconds} with whole numbers ≥ 0',
    test: (v) => v === null || (isRecord(v) && isWhole(v.count) && isWhole(v.retryAfterSeconds)),
  },
  outage: {
    expected: 'null or {afterSeconds, forSeconds, status?, retryAfterSeconds?}: seconds ≥ 0, status 500/502/503/504',
    test: (v) => {
      if (v === null) return true;
      if (!isRecord(v)) return false;
      const known = ['afterSeconds', 'forSeconds', 'status', 'retryAfterSeconds'];
      const seconds = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;
      return (
        Object.keys(v).every((k) => known.includes(k)) &&
        seconds(v.afterSeconds) &&
        seconds(v.forSeconds) &&
        (v.status === undefined || [500, 502, 503, 504].includes(v.status as number)) &&
        (v.retryAfterSeconds === undefined || isWhole(v.retryAfterSeconds))
      );
    },
  },
  oneOf: (...choices: string[]): Rule => ({
    expected: `one of ${choices.map((c) => `'${c}'`).join(', ')}`,
    test: (v) => isString(v) && choices.includes(v),
  }),
} satisfies Record<string, Rule | ((...args: string[]) => Rule)>;

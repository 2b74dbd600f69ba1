/**
 * Invariant checks of the state layer's arguments. Every value a user gives (--state-dir, the run
 * id, the fingerprint of the options) is checked once, by src/config/ with a message naming the
 * flag; here a bad one can only come from code, so it is a bug: a TypeError for a value of the
 * wrong type, a RangeError for one outside what is allowed (exit 70, src/cli/main.ts). Each message
 * names the argument and the bad value.
 */

export function requireNonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${option} must be a non-empty string, got ${JSON.stringify(value)}`);
  if (value.trim() === '') throw new RangeError(`${option} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

export function requirePositiveMs(option: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${option} must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${option} must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireSha256Hex(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${option} must be 64 lower-case hex digits (a sha256), got ${JSON.stringify(value)}`);
  if (!/^[0-9a-f]{64}$/.test(value))
    throw new RangeError(`${option} must be 64 lower-case hex digits (a sha256), got ${JSON.stringify(value)}`);
  return value;
}

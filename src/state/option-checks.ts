/** Up-front checks of the state layer's options; each message names the option and the bad value. */
import { UsageError } from '../errors.js';

export function requireNonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`${option} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requirePositiveMs(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${option} must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireSha256Hex(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new UsageError(`${option} must be 64 lower-case hex digits (a sha256), got ${JSON.stringify(value)}`);
  }
  return value;
}

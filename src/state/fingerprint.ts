/**
 * The identity of a run's work: a journal may be applied only to a run that would send exactly the
 * same customers with exactly the same segments in the same order (ordinals must mean the same ids).
 * So it covers the input contents (by hash, in order: first occurrence across files depends on it)
 * and every option that changes what is sent or how ordinals are assigned. Options that only change
 * how it is sent (batch size, rate, concurrency, timeouts) are left out on purpose, so a resumed run
 * may use different ones.
 */
import { createHash } from 'node:crypto';

export interface FingerprintInput {
  inputs: { sha256: string }[];
  endpoint: string;
  idColumn: string;
  /** Unset means "detect", which is itself deterministic from the content. */
  layout?: string;
  delimiter?: string;
  skipEmpty: boolean;
  shard?: { index: number; count: number };
  /** How the bytes are decoded and which columns are segments change what is sent. */
  encoding?: string;
  segmentColumns?: readonly { header: string; type: string }[];
  ignoreColumns?: readonly string[];
}

/** Bump when the meaning of ordinals or of the journal changes, so old journals stop matching. */
/** 2: long-layout records of an id form one customer wherever they are (ordinals changed). */
const FINGERPRINT_VERSION = 2;

/** Hex sha256 of a canonical JSON of the run's identity. */
export function runFingerprint(input: FingerprintInput): string {
  return createHash('sha256').update(canonicalIdentity(input)).digest('hex');
}

/**
 * Built field by field in a fixed order with explicit nulls, so the text never depends on the
 * caller's key order or on whether an unset option was omitted or passed as undefined.
 */
function canonicalIdentity(input: FingerprintInput): string {
  return JSON.stringify([
    FINGERPRINT_VERSION,
    input.inputs.map((file) => file.sha256.toLowerCase()),
    input.endpoint,
    input.idColumn,
    input.layout ?? null,
    input.delimiter ?? null,
    input.skipEmpty,
    input.shard ? [input.shard.index, input.shard.count] : null,
    input.encoding ?? null,
    input.segmentColumns?.map((c) => [c.header, c.type]) ?? null,
    input.ignoreColumns ?? null,
  ]);
}

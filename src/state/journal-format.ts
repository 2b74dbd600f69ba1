/**
 * The journal's line format (pure). Every line is `<json>\t<crc32 hex>`; a line counts only when
 * its checksum matches and its newline is on disk, so a line torn by kill -9 is recognised.
 *
 *   header:  {"journal":"segment-sync","version":1,"fingerprint":"<64 hex>","createdAt":"<ISO>"}
 *   record:  {"u":[gap,length,gap,length,...],"n":[...]}
 *
 * A record lists the ordinals acknowledged by one 200 answer, as runs of consecutive ordinals:
 * `gap` is the distance from the end of the previous run (from 0 for the first). Batches are
 * mostly contiguous, so a 1,000-customer batch is usually a handful of bytes.
 */
import { crc32Hex } from './checksum.js';
import { err, ok, type Result } from '../core/result.js';

export interface JournalHeader {
  fingerprint: string;
  createdAt: string;
}

/** Absolute runs, flattened: [start, length, start, length, ...] (no per-run objects for big journals). */
export type Runs = number[];

export interface JournalRecord {
  updated: Runs;
  notFound: Runs;
}

/** A decoded line, or why it is not one (src/core/result.ts). */
export type Decoded<T> = Result<T>;

const MAGIC = 'segment-sync';
const FORMAT_VERSION = 1;

export function encodeHeader(header: JournalHeader): string {
  return sealed(JSON.stringify({ journal: MAGIC, version: FORMAT_VERSION, ...header }));
}

export function decodeHeader(line: string): Decoded<JournalHeader> {
  const body = unsealed(line);
  if (!body.ok) return body;
  const value = body.value as Record<string, unknown>;
  if (value.journal !== MAGIC || value.version !== FORMAT_VERSION) {
    return err('not a segment-sync journal of this version');
  }
  if (typeof value.fingerprint !== 'string' || typeof value.createdAt !== 'string') {
    return err('header lacks fingerprint or createdAt');
  }
  return ok({ fingerprint: value.fingerprint, createdAt: value.createdAt });
}

/** One line for one acknowledged request. Ordinals may come in any order; repeats are collapsed. */
export function encodeRecord(updated: readonly number[], notFound: readonly number[]): string {
  return sealed(JSON.stringify({ u: toGapRuns(updated), n: toGapRuns(notFound) }));
}

export function decodeRecord(line: string): Decoded<JournalRecord> {
  const body = unsealed(line);
  if (!body.ok) return body;
  const value = body.value as Record<string, unknown>;
  const updated = fromGapRuns(value.u);
  const notFound = fromGapRuns(value.n);
  if (!updated || !notFound) return err('record is not a pair of run lists');
  return ok({ updated, notFound });
}

function sealed(json: string): string {
  return `${json}\t${crc32Hex(json)}`;
}

function unsealed(line: string): Decoded<unknown> {
  const tab = line.lastIndexOf('\t');
  if (tab < 0) return err('no checksum');
  const json = line.slice(0, tab);
  if (crc32Hex(json) !== line.slice(tab + 1)) return err('checksum mismatch');
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return err('not a JSON object');
    return ok(value);
  } catch {
    return err('not JSON');
  }
}

function toGapRuns(ordinals: readonly number[]): number[] {
  // Float64Array sorts numerically and fast, without a comparator call per element.
  const sorted = Float64Array.from(ordinals).sort();
  const runs: number[] = [];
  let previousEnd = 0;
  let i = 0;
  // `as number`: every read is at an i the loop conditions just checked is < sorted.length.
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start + 1;
    while (++i < sorted.length && (sorted[i] as number) <= end) end = Math.max(end, (sorted[i] as number) + 1);
    runs.push(start - previousEnd, end - start);
    previousEnd = end;
  }
  return runs;
}

/** Absolute runs, or undefined when the list is not well formed. */
function fromGapRuns(value: unknown): Runs | undefined {
  if (!Array.isArray(value) || value.length % 2 !== 0) return undefined;
  const runs: Runs = new Array<number>(value.length);
  let previousEnd = 0;
  for (let i = 0; i < value.length; i += 2) {
    const gap: unknown = value[i];
    const length: unknown = value[i + 1];
    if (!isCount(gap) || !isCount(length) || length === 0) return undefined;
    runs[i] = previousEnd + gap;
    runs[i + 1] = length;
    previousEnd += gap + length;
  }
  return runs;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

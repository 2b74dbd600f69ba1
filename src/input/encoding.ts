/**
 * The encoding checks csv-parse does not do: it would silently turn invalid UTF-8 into U+FFFD
 * (corrupting ids and values that then replace production data) and would switch itself to
 * UTF-16 on a UTF-16 BOM. Every decoded byte passes through `check` before the parser sees it.
 */
import { isUtf8 } from 'node:buffer';
import { LineBreakCounter } from './lines.js';
import { inputProblem, type InputProblem } from './problem.js';

const UTF16_HINT = 'the file looks like UTF-16; re-export it as UTF-8';

export class EncodingChecker {
  private readonly lines = new LineBreakCounter();
  /** The start of a multi-byte character cut by the end of the previous chunk. */
  private carry: Buffer | undefined;
  private started = false;

  /** Checks the next chunk of the file; returns the first problem found. */
  check(chunk: Buffer): InputProblem | undefined {
    const data = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    if (!this.started && data.length > 0) {
      this.started = true;
      if (hasUtf16Bom(data)) return inputProblem('UNSUPPORTED_ENCODING', 1, `the file starts with a UTF-16 byte order mark: ${UTF16_HINT}`);
    }
    const nul = data.indexOf(0);
    if (nul !== -1) return this.nulProblem(data, nul);
    const complete = data.length - incompleteTail(data);
    if (!isUtf8(data.subarray(0, complete))) {
      const at = firstInvalidUtf8(data, complete);
      return this.problemAt(data, at, 'INVALID_UTF8', `invalid UTF-8 (byte 0x${hex(data[at])}; Latin-1/Windows-1252 exports look like this); re-export the file as UTF-8`);
    }
    this.lines.add(data, complete);
    this.carry = complete < data.length ? Buffer.from(data.subarray(complete)) : undefined;
    return undefined;
  }

  /** Call at the end of the file: a character cut off by the end of the file is invalid. */
  finish(): InputProblem | undefined {
    if (this.carry === undefined) return undefined;
    return this.problemAt(this.carry, 0, 'INVALID_UTF8', 'the file ends in the middle of a UTF-8 character (truncated file?); re-export it');
  }

  private nulProblem(data: Buffer, at: number): InputProblem {
    if (looksLikeUtf16(data)) return this.problemAt(data, at, 'UNSUPPORTED_ENCODING', `NUL bytes between characters: ${UTF16_HINT}`);
    return this.problemAt(data, at, 'BINARY_FILE', 'NUL byte found: this looks like a binary file, not CSV text; check that the right file was given');
  }

  /** The problem at byte `offset` of `data`, on the line of that byte (checking stops here). */
  private problemAt(data: Buffer, offset: number, code: string, message: string): InputProblem {
    this.lines.add(data, offset);
    return inputProblem(code, this.lines.count + 1, message);
  }
}

function hasUtf16Bom(data: Buffer): boolean {
  return (data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff);
}

/** UTF-16 text of mostly ASCII has a NUL in every other byte; binary files have them anywhere. */
function looksLikeUtf16(data: Buffer): boolean {
  const sample = Math.min(data.length, 512) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < sample; i += 2) {
    if (data[i] === 0) even++;
    if (data[i + 1] === 0) odd++;
  }
  const pairs = sample / 2;
  return pairs > 0 && Math.max(even, odd) >= pairs * 0.4 && Math.min(even, odd) <= pairs * 0.05;
}

/**
 * Bytes at the end that start a multi-byte character not complete in this chunk (0..3). Only a
 * well-formed prefix is carried; anything else is left for isUtf8 to reject.
 */
export function incompleteTail(data: Buffer): number {
  const len = data.length;
  for (let back = 1; back <= 3 && back <= len; back++) {
    const byte = data[len - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const needed = sequenceLength(byte);
    return needed > back ? back : 0;
  }
  return 0;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/** Offset of the first byte that is not valid UTF-8 (only called once isUtf8 said there is one). */
export function firstInvalidUtf8(data: Buffer, end = data.length): number {
  let i = 0;
  while (i < end) {
    const length = validSequenceAt(data, i, end);
    if (length === 0) return i;
    i += length;
  }
  return end;
}

/** Length of the valid UTF-8 sequence at `i`, or 0 (rules of RFC 3629: no overlongs, no surrogates). */
function validSequenceAt(data: Buffer, i: number, end: number): number {
  const lead = data[i] as number;
  if (lead < 0x80) return 1;
  const length = sequenceLength(lead);
  if (length === 1 || i + length > end) return 0;
  const second = data[i + 1] as number;
  const secondMin = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const secondMax = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  if (second < secondMin || second > secondMax) return 0;
  for (let k = 2; k < length; k++) {
    if (((data[i + k] as number) & 0xc0) !== 0x80) return 0;
  }
  return length;
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0').toUpperCase();
}

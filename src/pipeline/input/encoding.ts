/**
 * Text encodings. Files are read as UTF-8 unless --encoding says otherwise (or a UTF-16 byte
 * order mark does); other encodings are decoded with iconv-lite, a well-kept decoder (Node's
 * TextDecoder lacks windows-1252 in small-icu builds), and re-encoded to UTF-8, which the rest of
 * the pipeline works on.
 *
 * The checks csv-parse does not do: it would silently turn invalid UTF-8 into U+FFFD (corrupting
 * ids and values that then replace production data) and would switch itself to UTF-16 on a
 * UTF-16 BOM. Every decoded byte passes through `EncodingChecker.check` before the parser sees it.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type iconv from 'iconv-lite';
import { LineBreakCounter } from './lines.js';
import type { Encoding } from './options.js';
import { inputProblem, type InputProblem } from './problem.js';

const EMPTY = Buffer.alloc(0);
/** U+FFFD in UTF-8. */
const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

/**
 * Raw file bytes → UTF-8 bytes. `requested` undefined: UTF-8, unless the file starts with a UTF-16
 * byte order mark (FF FE little-endian, FE FF big-endian), which no UTF-8 or Latin-1 text starts
 * with. `encoding` is the one used, known once the first two bytes (or the end) have been seen.
 */
export class InputDecoder {
  encoding: Encoding | undefined;
  private decoder: iconv.DecoderStream | undefined;
  /** The first byte, held while a byte order mark is still possible. */
  private head: Buffer | undefined;
  /** A high surrogate ending the last decoded text: encoded alone it would become U+FFFD. */
  private surrogate = '';

  constructor(private readonly requested: Encoding | undefined) {
    if (requested !== undefined) this.use(requested);
  }

  write(chunk: Buffer): Buffer {
    if (this.encoding === undefined) {
      const data = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
      if (data.length < 2) {
        this.head = data;
        return EMPTY;
      }
      this.head = undefined;
      this.use(bomEncoding(data) ?? 'utf-8');
      return this.decode(data);
    }
    return this.decode(chunk);
  }

  /** The end of the file: what the decoder still holds. */
  end(): Buffer {
    if (this.encoding === undefined) {
      this.use('utf-8');
      const head = this.head ?? EMPTY;
      this.head = undefined;
      return head;
    }
    if (this.decoder === undefined) return EMPTY;
    const text = this.surrogate + (this.decoder.end() ?? '');
    this.surrogate = '';
    return text === '' ? EMPTY : Buffer.from(text, 'utf8');
  }

  private use(encoding: Encoding): void {
    this.encoding = encoding;
    // UTF-8 is passed through as bytes: the checker below validates it, and decoding would hide
    // invalid bytes behind U+FFFD. iconv-lite strips a UTF-16 BOM itself.
    // Required on first use: most files are UTF-8, and they need not load iconv-lite's tables.
    if (encoding !== 'utf-8') this.decoder = (createRequire(import.meta.url)('iconv-lite') as typeof iconv).getDecoder(encoding);
  }

  private decode(chunk: Buffer): Buffer {
    if (this.decoder === undefined) return chunk;
    let text = this.surrogate + this.decoder.write(chunk);
    this.surrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.surrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return text === '' ? EMPTY : Buffer.from(text, 'utf8');
  }
}

function bomEncoding(data: Buffer): Encoding | undefined {
  if (data[0] === 0xff && data[1] === 0xfe) return 'utf-16le';
  if (data[0] === 0xfe && data[1] === 0xff) return 'utf-16be';
  return undefined;
}

export function utf16Hint(littleEndian: boolean): string {
  const name = littleEndian ? 'utf-16le' : 'utf-16be';
  return `the file looks like UTF-16; read it with --encoding ${name}, or re-export it as UTF-8`;
}

export class EncodingChecker {
  private readonly lines = new LineBreakCounter();
  /** The start of a multi-byte character cut by the end of the previous chunk. */
  private carry: Buffer | undefined;
  private started = false;

  /**
   * `validateUtf8` false: the bytes come from a decoder (always valid UTF-8); only binary data
   * (NUL bytes, which no CSV export writes) and the line count are checked.
   */
  constructor(
    private readonly validateUtf8 = true,
    /**
     * Decoded windows-1252: U+FFFD can only come from a byte the encoding leaves undefined (0x81,
     * 0x8D, 0x8F, 0x90, 0x9D), which iconv-lite replaces silently; a file holding one is not
     * Windows-1252, and a replaced character would corrupt an id or a value.
     */
    private readonly rejectReplacement = false,
  ) {}

  /** Checks the next chunk of the file; returns the first problem found. */
  check(chunk: Buffer): InputProblem | undefined {
    const data = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    if (!this.started && data.length > 0) {
      this.started = true;
      // Only reached with --encoding utf-8: without it the mark selects UTF-16 by itself.
      if (hasUtf16Bom(data))
        return inputProblem('UNSUPPORTED_ENCODING', 1, `the file starts with a UTF-16 byte order mark: ${utf16Hint(data[0] === 0xff)}`);
    }
    const nul = data.indexOf(0);
    if (nul !== -1) return this.nulProblem(data, nul);
    if (!this.validateUtf8) {
      const bad = this.rejectReplacement ? data.indexOf(REPLACEMENT) : -1;
      if (bad !== -1) {
        return this.problemAt(
          data,
          bad,
          'INVALID_ENCODING',
          'a byte that Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90 or 0x9D); check the encoding of the export, or read it with --encoding latin1',
        );
      }
      this.lines.add(data);
      return undefined;
    }
    const complete = data.length - incompleteTail(data);
    if (!isUtf8(data.subarray(0, complete))) {
      const at = firstInvalidUtf8(data, complete);
      return this.problemAt(
        data,
        at,
        'INVALID_UTF8',
        `invalid UTF-8 (byte 0x${hex(data[at])}; Latin-1/Windows-1252 exports look like this); re-export the file as UTF-8, or read it with --encoding windows-1252 (or latin1)`,
      );
    }
    this.lines.add(data, complete);
    this.carry = complete < data.length ? Buffer.from(data.subarray(complete)) : undefined;
    return undefined;
  }

  /** Call at the end of the file: a character cut off by the end of the file is invalid. */
  finish(): InputProblem | undefined {
    if (this.carry === undefined) return undefined;
    return this.problemAt(
      this.carry,
      0,
      'INVALID_UTF8',
      'the file ends in the middle of a UTF-8 character (truncated file?); re-export it',
    );
  }

  private nulProblem(data: Buffer, at: number): InputProblem {
    const utf16 = looksLikeUtf16(data);
    if (utf16 !== undefined)
      return this.problemAt(data, at, 'UNSUPPORTED_ENCODING', `NUL bytes between characters: ${utf16Hint(utf16 === 'le')}`);
    return this.problemAt(
      data,
      at,
      'BINARY_FILE',
      'NUL byte found: this looks like a binary file, not CSV text; check that the right file was given',
    );
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

/**
 * UTF-16 text of mostly ASCII has a NUL in every other byte (odd bytes: little-endian; even:
 * big-endian); binary files have them anywhere.
 */
function looksLikeUtf16(data: Buffer): 'le' | 'be' | undefined {
  const sample = Math.min(data.length, 512) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < sample; i += 2) {
    if (data[i] === 0) even++;
    if (data[i + 1] === 0) odd++;
  }
  const pairs = sample / 2;
  if (!(pairs > 0 && Math.max(even, odd) >= pairs * 0.4 && Math.min(even, odd) <= pairs * 0.05)) return undefined;
  return odd > even ? 'le' : 'be';
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

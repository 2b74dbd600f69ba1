/**
 * What a "physical line" is, in one place: CRLF, LF and a lone CR each end one line. The record
 * parser is configured with the same three record delimiters, so line numbers from the encoding
 * check and from the records agree.
 */
export const LF = 10;
export const CR = 13;

/** Line breaks inside a text (a field that was quoted may hold some). */
export function lineBreaksInText(text: string): number {
  let breaks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) breaks++;
  }
  return breaks;
}

/** Line breaks inside the fields of one record. */
export function lineBreaksInRecord(record: readonly string[]): number {
  let breaks = 0;
  for (const field of record) {
    // indexOf is native: the character loop runs only for the rare field that holds a break.
    if (field.indexOf('\n') !== -1 || field.indexOf('\r') !== -1) breaks += lineBreaksInText(field);
  }
  return breaks;
}

/**
 * Counts line breaks over a stream of byte chunks. A CRLF split across two chunks is one break:
 * a CR at the end of a chunk is decided by the first byte of the next one.
 */
export class LineBreakCounter {
  private crPending = false;

  /** `before`: breaks already counted elsewhere (the lines before the first byte added here). */
  constructor(private breaks = 0) {}

  /** Line breaks seen in all bytes added so far. */
  get count(): number {
    return this.breaks + (this.crPending ? 1 : 0);
  }

  add(bytes: Buffer, end = bytes.length): void {
    if (end === 0) return;
    if (this.crPending) {
      this.crPending = false;
      if (bytes[0] !== LF) this.breaks++;
    }
    this.breaks += countByte(bytes, LF, end);
    for (let i = bytes.indexOf(CR); i !== -1 && i < end; i = bytes.indexOf(CR, i + 1)) {
      if (i + 1 === end) this.crPending = true;
      else if (bytes[i + 1] !== LF) this.breaks++;
    }
  }
}

function countByte(bytes: Buffer, byte: number, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte); i !== -1 && i < end; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}

/**
 * Streams a file's newline-terminated lines with their byte offsets, so the journal can cut a torn
 * tail off at an exact byte without holding the whole file in memory. Bytes after the last newline
 * are never yielded: an unterminated line is by definition incomplete.
 */
import { createReadStream } from 'node:fs';

export interface FileLine {
  text: string;
  /** Byte offset just past this line's newline. */
  end: number;
}

const NEWLINE = 0x0a;

export async function* readLines(file: string): AsyncGenerator<FileLine> {
  let pending: Buffer[] = [];
  let offset = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      const line = Buffer.concat([...pending, chunk.subarray(from, at)]);
      offset += line.length + 1;
      pending = [];
      from = at + 1;
      yield { text: line.toString('utf8'), end: offset };
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
}

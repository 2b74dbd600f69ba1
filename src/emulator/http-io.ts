/** The HTTP edge: reading request bodies under a size cap, and sending decided answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './answers.js';

export type BodyRead = { kind: 'complete'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Collects the body, or stops collecting as soon as it passes `maxBytes` (a chunked body announces
 * no length). The rest of an oversized body is still drained and dropped, so the connection stays
 * usable for keep-alive clients instead of being reset under them.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (read: BodyRead): void => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      resolve(read);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) settle({ kind: 'too-large' });
      else chunks.push(chunk);
    });
    req.once('end', () => settle({ kind: 'complete', text: Buffer.concat(chunks, size).toString('utf8') }));
    req.once('error', () => settle({ kind: 'aborted' }));
    req.once('close', () => settle({ kind: 'aborted' }));
  });
}

/** Sends `answer` after its delay; gives up quietly if the client has gone meanwhile. */
export function sendAnswer(res: ServerResponse, answer: Answer): void {
  if (answer.delayMs <= 0) return writeAnswer(res, answer);
  const timer = setTimeout(() => writeAnswer(res, answer), answer.delayMs);
  res.once('close', () => clearTimeout(timer));
}

/** Destroys the connection without answering, as a crashed server or a broken proxy would. */
export function resetConnection(req: IncomingMessage): void {
  req.socket.destroy();
}

function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  const body = Buffer.from(answer.body, 'utf8');
  res.writeHead(answer.status, { ...answer.headers, 'content-length': body.length });
  if (answer.dripMs === undefined || body.length === 0) res.end(body);
  else drip(res, body, answer.dripMs);
}

/** Headers at once, then one byte every `everyMs`: an idle timeout never fires, only a total deadline. */
function drip(res: ServerResponse, body: Buffer, everyMs: number): void {
  res.flushHeaders();
  let sent = 0;
  const timer = setInterval(() => {
    res.write(body.subarray(sent, sent + 1));
    sent++;
    if (sent < body.length) return;
    clearInterval(timer);
    res.end();
  }, everyMs);
  res.once('close', () => clearInterval(timer));
}

/**
 * Answers as values: the core decides what to answer, and the HTTP layer (http-io.ts) only sends
 * it. Error bodies follow the {type, code, details} shape of the platform's other segment API.
 */
import type { Faults } from './options.js';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Wait this long before sending anything (latency, slow answers). */
  delayMs: number;
  /** Send the body one byte every `dripMs`, after the headers. */
  dripMs?: number;
}

/** Instead of an answer: the connection must be destroyed without one. */
export const RESET = Symbol('reset');
export type AnswerOrReset = Answer | typeof RESET;

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(body), delayMs: 0 };
}

export function errorAnswer(status: number, code: string, details: string, headers?: Record<string, string>): Answer {
  return jsonAnswer(status, { type: 'error', code, details }, headers);
}

export function updatedAnswer(updatedCustomers: string[]): Answer {
  return jsonAnswer(200, { updatedCustomers });
}

export function emptyAnswer(status: number): Answer {
  return { status, headers: {}, body: '', delayMs: 0 };
}

export const SERVER_ERROR_STATUSES = [500, 502, 503, 504] as const;
export type ServerErrorStatus = (typeof SERVER_ERROR_STATUSES)[number];

const GATEWAY_TEXT: Record<ServerErrorStatus, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * A 500 comes from the service as JSON; 502–504 come from a gateway in front of it, as HTML, so a
 * client must cope with error bodies that are not JSON.
 */
export function serverErrorAnswer(status: ServerErrorStatus): Answer {
  if (status === 500) return errorAnswer(500, 'internalError', 'The server failed to process the request');
  const title = `${status} ${GATEWAY_TEXT[status]}`;
  const body = `<html><body><h1>${title}</h1></body></html>`;
  return { status, headers: { 'content-type': 'text/html' }, body, delayMs: 0 };
}

/** Retry-After as delta-seconds, or as an HTTP date that is never earlier than `seconds` from now. */
export function retryAfterValue(seconds: number, format: Faults['retryAfter'], nowMs: number): string {
  if (format === 'seconds') return String(seconds);
  // An HTTP date has whole seconds: round up, or a client honouring it would come back too early.
  return new Date(Math.ceil((nowMs + seconds * 1000) / 1000) * 1000).toUTCString();
}

export function tooManyRequestsAnswer(retryAfter: string): Answer {
  return errorAnswer(429, 'tooManyRequests', 'Rate limit exceeded; retry later', { 'retry-after': retryAfter });
}

export const MALFORMED_KINDS = ['truncated', 'html', 'wrong-key', 'wrong-type', 'non-string-ids'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** A 200 whose body a client must not take as a success: not JSON, or not {updatedCustomers: string[]}. */
export function malformedAnswer(kind: MalformedKind, updated: string[]): Answer {
  const whole = JSON.stringify({ updatedCustomers: updated });
  const bodies: Record<MalformedKind, string> = {
    truncated: whole.slice(0, -2),
    html: '<html><body>OK</body></html>',
    'wrong-key': JSON.stringify({ updated }),
    'wrong-type': JSON.stringify({ updatedCustomers: updated.join(',') }),
    // Valid-looking ids followed by one that is not a string: only an element-wise check catches it.
    'non-string-ids': JSON.stringify({ updatedCustomers: [...updated, null] }),
  };
  const answer = jsonAnswer(200, null);
  if (kind === 'html') answer.headers['content-type'] = 'text/html';
  return { ...answer, body: bodies[kind] };
}

/**
 * Pure interpretation of an HTTP answer: status, the headers that matter and the body text become
 * an HttpOutcome. Kept apart from the axios code so every shape of answer is unit-testable.
 */
import type { HttpOutcome } from './outcome.js';
import { isRecord } from '../is-record.js';
import { redactText } from '../secrets.js';
import { stripBom } from '../text.js';
import { excerpt } from './redact.js';
import { parseRetryAfter } from './retry-after.js';

/** Long enough for an error's details, short enough for a log line and a CSV cell. */
const MAX_MESSAGE_CHARS = 300;

export interface RawResponse {
  status: number;
  retryAfter?: string;
  location?: string;
  /** The body as text; undefined when it was larger than the cap and was not read. */
  body: string | undefined;
}

export interface InterpretContext {
  /** Values scrubbed from any text taken from the answer. */
  secrets: readonly string[];
  nowMs: number;
  maxResponseBytes: number;
}

export function interpretResponse(response: RawResponse, context: InterpretContext): HttpOutcome {
  const { status, body } = response;
  const tooLarge = `body larger than ${context.maxResponseBytes} bytes`;
  if (status >= 200 && status < 300) {
    if (body === undefined) return { kind: 'malformed', status, reason: tooLarge };
    return parseUpdated(status, body);
  }
  const outcome: HttpOutcome = {
    kind: 'http',
    status,
    message: body === undefined ? `(${tooLarge})` : errorMessage(response, body, context.secrets),
  };
  if (status >= 300 && status < 400 && response.location !== undefined) {
    outcome.location = excerpt(redactText(response.location, context.secrets), MAX_MESSAGE_CHARS);
  }
  const retryAfterMs = parseRetryAfter(response.retryAfter, context.nowMs);
  if (retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs;
  return outcome;
}

function parseUpdated(status: number, body: string): HttpOutcome {
  const parsed = parseJson(body);
  if (parsed === NOT_JSON) return { kind: 'malformed', status, reason: 'body is not JSON' };
  const updated = isRecord(parsed) ? parsed.updatedCustomers : undefined;
  if (!Array.isArray(updated)) return { kind: 'malformed', status, reason: 'no updatedCustomers array' };
  if (!updated.every((id) => typeof id === 'string')) {
    return { kind: 'malformed', status, reason: 'updatedCustomers holds a value that is not a string' };
  }
  return { kind: 'ok', updated };
}

function errorMessage(response: RawResponse, body: string, secrets: readonly string[]): string {
  const isRedirect = response.status >= 300 && response.status < 400;
  const redirect = isRedirect ? `redirect to ${response.location ?? '(no Location)'} not followed` : '';
  const text = [redirect, errorFields(body) ?? body].filter((part) => part.trim()).join('; ');
  return excerpt(redactText(text, secrets), MAX_MESSAGE_CHARS) || '(empty body)';
}

/**
 * Error bodies of the platform's APIs look like {type, code, details}; when they do, those fields
 * are what a person needs to see. Undefined when the body is not such an object.
 */
function errorFields(body: string): string | undefined {
  const parsed = parseJson(body);
  if (!isRecord(parsed)) return undefined;
  const fields = (['type', 'code', 'details', 'message'] as const)
    .filter((name) => parsed[name] !== undefined && parsed[name] !== null)
    .map((name) => `${name}=${asText(parsed[name])}`);
  return fields.length > 0 ? fields.join(', ') : undefined;
}

const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(stripBom(text));
  } catch {
    return NOT_JSON;
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

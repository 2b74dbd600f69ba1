/**
 * Secrets: every value this process must never show, and every way one is hidden. Auditable here
 * alone: logs (src/core/log.ts), texts that came from the endpoint or the Pushgateway, URLs shown in
 * messages and the options recorded in summary.json all go through these functions.
 *
 * The registry holds the access token (and every token a rotation brought: the old one may still
 * be echoed by a request in flight) and the passwords of URLs (a Pushgateway's basic auth). Each
 * is registered where it is learnt (src/config/token.ts, src/config/push-target.ts), so a line
 * written before any logger exists, or by a module that never saw the token, is covered too.
 *
 * Hiding is a last line of defence: modules must not put secrets in messages anyway.
 */

import { isRecord } from './is-record.js';

/** What every hidden secret is replaced with, in logs, reports, messages and URLs. */
export const REDACTED = '[REDACTED]';

/** A credential by its shape, known or not (a proxy echoing another client's header). */
const BEARER = /\bBearer\s+(\S+)/gi;

/** Objects nested deeper than this are replaced by a marker: passing them through would skip the redaction. */
const MAX_DEPTH = 6;
const TOO_DEEP = '[nested too deep to log]';

/** Option keys that hold a secret (compared lowercase, without '-' and '_'). A path to a token
 *  file (tokenFile) is not a secret and stays. */
const SECRET_KEYS = new Set(['token', 'tokenvalue', 'tokencontent', 'tokenfilecontent', 'authorization', 'password', 'secret']);

/** Options whose value is a URL that may carry credentials (user:password@host): shown through redactUrl. */
const URL_OPTIONS = new Set(['pushgateway']);

export class SecretRegistry {
  private readonly secrets = new Set<string>();

  /** Registers a secret (an empty one is ignored). */
  add(secret: string): void {
    if (secret !== '') this.secrets.add(secret);
  }

  /** Registers the password of a URL's userinfo, as written (percent-encoded) and decoded. */
  addUrlPassword(url: URL): void {
    if (url.password === '') return;
    this.add(url.password);
    this.add(safeDecode(url.password));
  }

  /** The registered secrets, and `extra`, in every form a text may hold them, longest first. */
  forms(extra: readonly string[] = []): string[] {
    const forms = new Set<string>();
    for (const secret of [...this.secrets, ...extra]) {
      if (secret === '') continue;
      forms.add(secret);
      // Inside JSON text (an echoed body, a JSON log line), in a URL (a redirect's query), or
      // percent-encoded where it was registered (a URL's userinfo).
      forms.add(JSON.stringify(secret).slice(1, -1));
      forms.add(encodeURIComponent(secret));
      forms.add(safeDecode(secret));
    }
    forms.delete('');
    return [...forms].sort((a, b) => b.length - a.length);
  }

  /** `text` with every secret (registered or `extra`) and every `Bearer …` credential replaced by REDACTED. */
  redactText(text: string, extra: readonly string[] = []): string {
    return redactForms(text, this.forms(extra));
  }

  /** A copy of `value` with redactText applied to every string and key, at any depth. */
  redactValue(value: unknown, extra: readonly string[] = []): unknown {
    return redactDeep(value, this.forms(extra), 0);
  }

  /**
   * What summary.json and logs show of the options: keys that hold a secret dropped (at any depth),
   * URLs that may carry credentials through redactUrl, every string redacted.
   */
  publicOptions(options: Record<string, unknown>): Record<string, unknown> {
    return publicObject(options, this.forms());
  }
}

/** The process's registry: the one every module registers into and redacts with. */
export const processSecrets = new SecretRegistry();

export function registerSecret(secret: string): void {
  processSecrets.add(secret);
}

export function registerUrlPassword(url: URL): void {
  processSecrets.addUrlPassword(url);
}

/** See SecretRegistry.redactText; `extra`: secrets known to the caller only. */
export function redactText(text: string, extra: readonly string[] = []): string {
  return processSecrets.redactText(text, extra);
}

/** See SecretRegistry.redactValue. */
export function redactValue(value: unknown, extra: readonly string[] = []): unknown {
  return processSecrets.redactValue(value, extra);
}

/** See SecretRegistry.publicOptions. */
export function publicOptions(options: Record<string, unknown>): Record<string, unknown> {
  return processSecrets.publicOptions(options);
}

/**
 * A URL as it may be shown: its userinfo, query and fragment (places a secret may hide) replaced by
 * REDACTED. A string that is not a URL, or one without an authority ("user:pw@host" parses as the
 * scheme "user:"), is hidden whole: it cannot be redacted reliably.
 */
export function redactUrl(url: URL | string): string {
  let copy: URL;
  try {
    copy = new URL(typeof url === 'string' ? url : url.href);
  } catch {
    return REDACTED;
  }
  if (!copy.href.startsWith(`${copy.protocol}//`)) return REDACTED;
  if (copy.search !== '') copy.search = REDACTED;
  if (copy.hash !== '') copy.hash = REDACTED;
  if (copy.username === '' && copy.password === '') return copy.href;
  // The userinfo setters would percent-encode the marker's brackets: put a plain placeholder in,
  // then the marker in its place (userinfo exists only right after "scheme://").
  copy.username = 'x';
  copy.password = '';
  const prefix = `${copy.protocol}//x@`;
  return `${copy.protocol}//${REDACTED}@${copy.href.slice(prefix.length)}`;
}

/**
 * Every occurrence of every form, and every Bearer credential, replaced by one marker. Matches are
 * found in the original text and overlapping ones merged, so two secrets that overlap (or one
 * inside another) leave no fragment behind, and the marker itself is never searched.
 */
function redactForms(text: string, forms: readonly string[]): string {
  const ranges: Array<[number, number]> = [];
  for (const form of forms) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) ranges.push([at, at + form.length]);
  }
  for (const match of text.matchAll(BEARER)) {
    const [whole, credential] = match;
    if (credential === undefined) throw new TypeError('the Bearer pattern matched without its credential group');
    const end = match.index + whole.length;
    ranges.push([end - credential.length, end]);
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const first = ranges[0];
  if (first === undefined) return text;
  let out = '';
  let done = 0;
  let [start, end] = first;
  for (const [from, to] of ranges) {
    if (from < end) {
      end = Math.max(end, to);
      continue;
    }
    out += text.slice(done, start) + REDACTED;
    done = end;
    [start, end] = [from, to];
  }
  return out + text.slice(done, start) + REDACTED + text.slice(end);
}

/** Copies only what changes: a value with nothing to hide comes back as it was (an Error stays an Error). */
function redactDeep(value: unknown, forms: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redactForms(value, forms);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) {
    const items = value.map((v) => redactDeep(v, forms, depth + 1));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  const out: Record<string, unknown> = {};
  let changed = false;
  for (const [key, v] of Object.entries(value)) {
    const cleanKey = redactForms(key, forms);
    const clean = redactDeep(v, forms, depth + 1);
    changed ||= cleanKey !== key || clean !== v;
    out[cleanKey] = clean;
  }
  return changed ? out : value;
}

function publicObject(options: Record<string, unknown>, forms: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (isSecretKey(key)) continue;
    kept[redactForms(key, forms)] = publicValue(key, value, forms);
  }
  return kept;
}

function publicValue(key: string, value: unknown, forms: readonly string[]): unknown {
  if (typeof value === 'string') return redactForms(URL_OPTIONS.has(key) || hasUserinfo(value) ? redactUrl(value) : value, forms);
  if (Array.isArray(value)) return value.map((v) => publicValue('', v, forms));
  if (isRecord(value)) return publicObject(value, forms);
  return value;
}

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** `scheme://user[:password]@…`: a URL carrying credentials. */
function hasUserinfo(text: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(text)) return false;
  try {
    const url = new URL(text);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

/** Percent-decoding that leaves text that is not valid percent-encoding as it is. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Text that came from the endpoint (error bodies, redirect targets) is shown in logs and in the
 * report, so it is scrubbed of the token first: a misbehaving proxy or server may echo the
 * Authorization header back.
 */

const REDACTED = '[redacted]';
const BEARER = /\bBearer\s+\S+/gi;
/** Control characters would let a body forge extra log lines or break a CSV cell. */
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** Replaces every known secret and any `Bearer …` credential with a marker. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret) clean = clean.split(secret).join(REDACTED);
  }
  return clean.replace(BEARER, `Bearer ${REDACTED}`);
}

/** One line of at most `max` characters: control characters and runs of spaces collapse to one space. */
export function excerpt(text: string, max: number): string {
  const line = text.replace(CONTROL, ' ').replace(/\s{2,}/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

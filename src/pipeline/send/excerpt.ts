/**
 * Text that came from the endpoint (error bodies, redirect targets) is shown in logs and in the
 * report: it is redacted first (redactText, src/core/secrets.ts: a misbehaving proxy or server may echo
 * the Authorization header back), then made one short line here.
 */

/** Control characters would let a body forge extra log lines or break a CSV cell. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** One line of at most `max` characters: control characters and runs of spaces collapse to one space. */
export function excerpt(text: string, max: number): string {
  const line = text
    .replace(CONTROL, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * Retry-After (RFC 9110 §10.2.3) is either delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"). Both become a wait in milliseconds from `nowMs`.
 */

const DELTA_SECONDS = /^\d+$/;
/**
 * All three HTTP-date formats (IMF-fixdate, RFC 850, asctime) start with a day name. Checked
 * before Date.parse, which otherwise reads "-1" or "1.5" as dates in 2001.
 */
const HTTP_DATE = /^[a-z]{3,9},?\s/i;
/** HTTP dates are always in GMT; asctime omits the zone, and Date.parse would read it as local time. */
const HAS_ZONE = /\b(GMT|UTC)\b/i;

/** The wait the header asks for, in ms; 0 for a date in the past; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (DELTA_SECONDS.test(text)) return Number(text) * 1000;
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(HAS_ZONE.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** A leading U+FEFF is a byte order mark (Excel writes one), not content: ids, headers and JSON start after it. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * `n.toLocaleString('en-US')` (1234567 → "1,234,567"), without it for integers: the first
 * toLocaleString of a process loads ICU's number formatting, 20-35 ms of a short run's summary.
 * Anything but a safe integer (fractions, -0, huge numbers) still goes through toLocaleString.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${grouped}` : grouped;
}

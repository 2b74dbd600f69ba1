/** A leading U+FEFF is a byte order mark (Excel writes one), not content: ids, headers and JSON start after it. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A plain object (not null, not an array): what parsed JSON or options are narrowed to before their fields are read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

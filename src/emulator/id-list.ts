import { stripBom } from '../core/text.js';

/** Id lists for --known and --reject-ids: one id a line, trimmed; blank lines are ignored. */
export function parseIdList(text: string): string[] {
  return stripBom(text)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Where the run-state files live inside `--state-dir`. */
import path from 'node:path';
import { STATE_DEFAULTS } from './defaults.js';

export const JOURNAL_PREFIX = 'journal-';
export const JOURNAL_SUFFIX = '.log';

export function journalPath(stateDir: string, fingerprint: string): string {
  return path.join(stateDir, `${JOURNAL_PREFIX}${fingerprint.slice(0, STATE_DEFAULTS.journalNameDigits)}${JOURNAL_SUFFIX}`);
}

export function isJournalFileName(name: string): boolean {
  return name.startsWith(JOURNAL_PREFIX) && name.endsWith(JOURNAL_SUFFIX);
}

export function lockPath(stateDir: string): string {
  return path.join(stateDir, 'lock');
}

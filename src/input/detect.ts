/**
 * Detection of the delimiter and the layout. Pure: a string or a header in, a decision out.
 */
import type { Layout } from '../types.js';
import { DELIMITERS, type Delimiter } from './options.js';

const QUOTE = '"';

/**
 * The first non-blank line of `text` (the header), ending at a line break outside quotes.
 * Returns undefined while the line may still continue, unless `complete` says no more text comes.
 */
export function firstLine(text: string, complete: boolean): string | undefined {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (text.slice(start, i).trim() !== '') return text.slice(start, i);
      start = i + 1;
    }
  }
  const rest = text.slice(start);
  return complete && rest.trim() !== '' ? rest : undefined;
}

/**
 * The most frequent candidate outside quotes in the header line. Ties go to the earlier candidate
 * in `DELIMITERS` (',' first), so a line without any candidate reads as comma-separated.
 */
export function detectDelimiter(headerLine: string): Delimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const c of headerLine) {
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && counts.has(c)) counts.set(c, (counts.get(c) as number) + 1);
  }
  let best: Delimiter = DELIMITERS[0];
  for (const d of DELIMITERS) {
    if ((counts.get(d) as number) > (counts.get(best) as number)) best = d;
  }
  return best;
}

/**
 * Detects the delimiter from the first bytes of a (decoded, valid UTF-8) file, or returns
 * undefined while the header line is not complete yet. `complete`: no more bytes will come.
 */
export function delimiterFromPrefix(chunks: readonly Buffer[], complete: boolean): Delimiter | undefined {
  const text = Buffer.concat(chunks).toString('utf8');
  const line = firstLine(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, complete);
  if (line !== undefined) return detectDelimiter(line);
  return complete ? DELIMITERS[0] : undefined;
}

/**
 * json = exactly the id column and `segments`; long = exactly id, `type`, `value` (in any order);
 * anything else is wide (its other columns are segment types). Names are trimmed, case-sensitive.
 */
export function detectLayout(names: readonly string[], idColumn: string): Layout {
  if (sameNames(names, [idColumn, 'segments'])) return 'json';
  if (sameNames(names, [idColumn, 'type', 'value'])) return 'long';
  return 'wide';
}

export function sameNames(names: readonly string[], expected: readonly string[]): boolean {
  return names.length === expected.length && expected.every((name) => names.includes(name));
}

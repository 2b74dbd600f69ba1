import { EXIT_CODE_MEANINGS, ExitCode, INTERNAL_ERROR_EXIT } from '../../src/core/exit-codes.js';
import { EXIT_CODES_TEXT } from '../../src/cli/help-text.js';
import { readFileSync } from 'node:fs';

/** --help's exit-code lines as [code, meaning], continuation lines joined to their code's. */
function helpEntries(): string[][] {
  const entries: string[][] = [];
  for (const line of EXIT_CODES_TEXT.split('\n').slice(1)) {
    const [, code, meaning] = /^ {2}(\d+) +(.*)$/.exec(line) ?? [];
    if (code !== undefined) entries.push([code, meaning!]);
    else entries.at(-1)![1] += ` ${line.trim()}`;
  }
  return entries;
}

describe('exit codes', () => {
  it('every exit code has a meaning, and --help lists each of them', () => {
    const codes: (keyof typeof EXIT_CODE_MEANINGS)[] = [...Object.values(ExitCode), INTERNAL_ERROR_EXIT];
    expect(
      Object.keys(EXIT_CODE_MEANINGS)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([...codes].sort((a, b) => a - b));
    const entries = helpEntries();
    for (const code of codes) expect(entries).toContainEqual([String(code), EXIT_CODE_MEANINGS[code]]);
    expect(entries).toHaveLength(codes.length);
  });

  it('--help keeps every exit-code line within 80 columns (yargs would re-wrap it without the indent)', () => {
    for (const line of EXIT_CODES_TEXT.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('5 is the not-found guard: neither success nor "retry"', () => {
    expect(ExitCode.NotFoundGuard).toBe(5);
    expect(EXIT_CODE_MEANINGS[ExitCode.NotFoundGuard]).toBe(
      'most customers were not found (wrong environment or id column): fix the target; a retry cannot help',
    );
  });

  it('the README table names every exit code', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'));
    for (const code of [...Object.values(ExitCode), INTERNAL_ERROR_EXIT])
      expect(table).toMatch(new RegExp(`\\| (\\d+ / )?${code}( / \\d+)? \\|`));
  });
});

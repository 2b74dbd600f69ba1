import { EXIT_CODE_MEANINGS, ExitCode, INTERNAL_ERROR_EXIT } from '../../src/exit-codes.js';
import { EXIT_CODES_TEXT } from '../../src/commands/help-text.js';
import { readFileSync } from 'node:fs';

describe('exit codes', () => {
  it('every exit code has a meaning, and --help lists each of them', () => {
    const codes = [...Object.values(ExitCode), INTERNAL_ERROR_EXIT];
    expect(Object.keys(EXIT_CODE_MEANINGS).map(Number).sort((a, b) => a - b)).toEqual([...codes].sort((a, b) => a - b));
    const lines = EXIT_CODES_TEXT.split('\n').map((line) => line.trim().split(/ {2,}/));
    for (const code of codes) expect(lines).toContainEqual([String(code), EXIT_CODE_MEANINGS[code]]);
  });

  it('the README table names every exit code', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'));
    for (const code of [...Object.values(ExitCode), INTERNAL_ERROR_EXIT]) expect(table).toMatch(new RegExp(`\\| (\\d+ / )?${code}( / \\d+)? \\|`));
  });
});

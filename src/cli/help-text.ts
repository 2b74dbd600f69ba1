/** Text shared by several --help screens. */
import { EXIT_CODE_MEANINGS } from '../core/exit-codes.js';

/** Code column (2 spaces, the code, padding); a meaning's continuation lines are indented as far. */
const CODE_INDENT = 7;
/** Lines stay within 80 columns, so yargs (which wraps at the terminal's width, ≥ 80) leaves them alone. */
const MEANING_WIDTH = 80 - CODE_INDENT;

export const EXIT_CODES_TEXT = `Exit codes:\n${Object.entries(EXIT_CODE_MEANINGS)
  .map(([code, meaning]) => `  ${code.padEnd(4)} ${wrap(meaning, MEANING_WIDTH).join(`\n${' '.repeat(CODE_INDENT)}`)}`)
  .join('\n')}`;

export const OPTIONS_EPILOGUE = `Every option can also be set as SEGMENT_SYNC_<OPTION> (e.g. SEGMENT_SYNC_BATCH_SIZE=200) or in the --config file (batch-size: 200). A flag wins over the environment, which wins over the file. More in README.md.`;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** Text shared by several --help screens. */
import { EXIT_CODE_MEANINGS } from '../exit-codes.js';

export const EXIT_CODES_TEXT = `Exit codes:\n${Object.entries(EXIT_CODE_MEANINGS)
  .map(([code, meaning]) => `  ${code.padEnd(4)} ${meaning}`)
  .join('\n')}`;

export const OPTIONS_EPILOGUE = `Every option can also be set as SEGMENT_SYNC_<OPTION> (e.g. SEGMENT_SYNC_BATCH_SIZE=200) or in the --config file (batch-size: 200). A flag wins over the environment, which wins over the file. More in README.md.`;

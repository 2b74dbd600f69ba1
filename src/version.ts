/** The version of segment-sync, from package.json (read once; dist/ and the image ship package.json beside dist/). */
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

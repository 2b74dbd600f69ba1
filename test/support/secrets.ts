/** Tokens unique to a test, and the search for them in everything a run printed or wrote. */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { CliResult } from './cli.js';

/** A token unique to the test, so finding it anywhere is proof of a leak. */
export function uniqueToken(label: string): string {
  return `sk-${label}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Every output and file (recursively under `dirs`) holding `secret`; [] when it leaked nowhere. */
export async function findSecret(secret: string, outputs: CliResult[], dirs: string[]): Promise<string[]> {
  const found: string[] = [];
  outputs.forEach((run, i) => {
    if (run.stdout.includes(secret)) found.push(`stdout of run ${i + 1}`);
    if (run.stderr.includes(secret)) found.push(`stderr of run ${i + 1}`);
  });
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      if ((await fs.readFile(file)).includes(secret)) found.push(file);
    }
  }
  return found;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

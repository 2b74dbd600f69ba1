/** The version of segment-sync, read once from package.json (the one place it is written). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The directory holding segment-sync's package.json: the repository, or /app in the image. Found by
 * walking up from this code, because where the code sits below it differs: src/config/version.ts
 * when the sources run (jest), dist/<chunk>.js in the bundled build.
 */
export function packageRoot(): string {
  if (root === undefined) {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    while (!existsSync(path.join(dir, 'package.json'))) {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
      dir = parent;
    }
    root = dir;
  }
  return root;
}

let cached: string | undefined;

export function version(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
      cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

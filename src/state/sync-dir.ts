/**
 * fsyncs a directory so that a file's creation, rename or removal in it survives a power cut.
 * (src/fs/atomic.ts does the same privately for its renames.)
 */
import { promises as fs } from 'node:fs';

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the metadata change still happened.
  } finally {
    await handle.close();
  }
}

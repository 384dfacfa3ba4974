/**
 * Creating the folder an output file goes into. Node 20's `mkdirSync(path, { recursive: true })`
 * never returns for a path under a pseudo file system that refuses new entries with ENOENT (such as
 * `/proc/nope`): it retries the same mkdir for ever at full CPU, and a process stuck in it ignores
 * SIGTERM. This walks up to the nearest folder that exists and creates each missing level once.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes sure `folder` exists, creating the missing levels one by one, each tried once.
 * @throws Error (a Node `ErrnoException`: ENOTDIR, EACCES, ENOENT, EROFS, …) when a level cannot be
 *   created or an existing level is not a folder; the message names that path.
 */
export function makeFolder(folder: string): void {
  const missing: string[] = [];
  let at = folder;
  for (;;) {
    try {
      const s = statSync(at);
      if (!s.isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: ${at} is not a folder`), { code: 'ENOTDIR', path: at });
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = dirname(at);
      if (parent === at) throw err;
      missing.push(at);
      at = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // made meanwhile: fine
    }
  }
}

import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The repository root (this file is test/helpers/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The field cases and their device inventory: GRAPH_BULK_CASES_DIR if set, else `shared/cases` beside
 * the repository or beside a folder above it (a git worktree such as /work/wt/<branch>).
 */
export const casesDir = process.env.GRAPH_BULK_CASES_DIR
  ? resolve(repoRoot, process.env.GRAPH_BULK_CASES_DIR)
  : findShared(repoRoot, 'shared/cases');
if (!existsSync(casesDir)) {
  throw new Error(`the field cases are not at ${casesDir}: check out shared/ beside the repository, or set GRAPH_BULK_CASES_DIR`);
}

/** `relative` in the nearest folder above `from` that has it; else beside `from`. */
function findShared(from: string, relative: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = resolve(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return resolve(from, '..', relative);
  }
}
/** The cases' device inventory (Graph list shape). */
export const caseDevices = resolve(casesDir, 'devices.json');
/** The built CLI (npm test builds it first). */
export const cliPath = resolve(repoRoot, 'dist/cli/main.js');

import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The repository root (this file is test/helpers/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared/cases beside the repository: the field cases and their device inventory. */
export const casesDir = resolve(repoRoot, process.env.GRAPH_BULK_CASES_DIR ?? '../shared/cases');
if (!existsSync(casesDir)) {
  throw new Error(`the field cases are not at ${casesDir}: check out shared/ beside the repository, or set GRAPH_BULK_CASES_DIR`);
}
/** The cases' device inventory (Graph list shape). */
export const caseDevices = resolve(casesDir, 'devices.json');
/** The built CLI (npm test builds it first). */
export const cliPath = resolve(repoRoot, 'dist/cli/main.js');

import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The repository root (this file is test/helpers/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared/cases beside the repository: the field cases and their device inventory. */
export const casesDir = resolve(repoRoot, '../shared/cases');
/** The cases' device inventory (Graph list shape). */
export const caseDevices = resolve(casesDir, 'devices.json');
/** The built CLI (npm test builds it first). */
export const cliPath = resolve(repoRoot, 'dist/cli/main.js');

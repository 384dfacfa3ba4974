import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The repository root (this file is test/helpers/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The field cases (test/cases: inputs modelled on publicly reported failures, with their expected
 * per-row results in test/cases/README.md) and their device inventory. */
export const casesDir = resolve(repoRoot, 'test/cases');
/** The cases' device inventory (Graph list shape). */
export const caseDevices = resolve(casesDir, 'devices.json');
/** The built CLI (npm test builds it first). */
export const cliPath = resolve(repoRoot, 'dist/cli/main.js');

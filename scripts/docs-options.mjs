// npm run docs:options: regenerates the options tables in README.md and src/emulator/README.md from
// the one declaration of the options (src/job/options.ts JOB_OPTIONS, src/emulator/flags.ts). Runs
// on the build (dist/), from the repository root.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedDocs } from '../dist/cli/options-table.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const changed = writeGeneratedDocs(root);
console.log(changed.length ? `updated ${changed.join(', ')}` : 'options tables already current');

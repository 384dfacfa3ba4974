// Removes build output folders (npm run build starts from an empty dist/, so a renamed or deleted
// module never lingers in the package). Usage: node scripts/clean.mjs <folder>…
import { rmSync } from 'node:fs';

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true });

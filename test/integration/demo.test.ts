/** `graph-bulk demo` runs the packaged demo job from any folder; its results land under that folder. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readResults, tempDir } from '../helpers/results.js';

describe('graph-bulk demo', () => {
  it('plans every row of the demo from a folder outside the repository (dry run), results under that folder', async () => {
    const elsewhere = tempDir('gb-demo-');
    const r = await runCli(['demo', '--dry-run', '--no-progress'], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(elsewhere, 'results')).filter((f) => /^demo-.*\.csv$/.test(f));
    expect(files).toHaveLength(1);
    const rows = readResults(join(elsewhere, 'results', files[0]!));
    expect(rows).toHaveLength(1500);
    expect(new Set(rows.map((x) => x.outcome))).toEqual(new Set(['planned']));
  });
});

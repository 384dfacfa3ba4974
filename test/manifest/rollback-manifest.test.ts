/**
 * Reading a rollback manifest (issue 14): values exactly as written (Excel guard undone, never
 * trimmed), and a last line cut off while it was written is never a value to send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackFile } from '../../src/state/rollback-file.js';
import { tempDir, validateAll } from './helpers.js';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';

const ID1 = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const ID2 = '0b0b3b3c-1111-4e27-9da1-494c73cf256d';

let dirs: Array<{ cleanup: () => void }> = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});

function rollbackWith(values: Array<string>): string {
  const d = tempDir();
  dirs.push(d);
  const path = join(d.dir, 'job.rollback.csv');
  const f = RollbackFile.create(path, ['displayName', 'extensionAttribute1'], '#clear');
  values.forEach((v, i) => {
    f.add(i + 1, i % 2 ? ID2 : ID1, [{ property: 'extensionAttribute1', from: v, to: 'new' }]);
  });
  f.close();
  return path;
}

describe('rollback manifest values', () => {
  it('come back byte for byte: leading apostrophes, formula characters, surrounding spaces, whitespace only', async () => {
    const values = ["'=x", "'+cmd", '=x', '+cmd', '  padded value  ', "'", '   ', '-1', '@me', 'a,"b"\nc'];
    const { results } = await validateAll(rollbackWith(values), { allowDuplicates: true });
    expect(results.map((r) => ('body' in r ? r.body.extensionAttributes?.extensionAttribute1 : r.message))).toEqual(values);
  });

  it('a last line cut off (no line break at the end) is an invalid row naming its line, never sent', async () => {
    const path = rollbackWith(['first value', 'second value']);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, -8)); // cut inside the last value
    const { results } = await validateAll(path);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ body: { extensionAttributes: { extensionAttribute1: 'first value' } } });
    expect(results[1]).not.toHaveProperty('body');
    expect((results[1] as { message: string }).message).toMatch(/row 2: line 3 is cut off .*this row is not sent/);
  });

  it('an ordinary manifest without a final line break is read as before', async () => {
    const d = tempDir();
    dirs.push(d);
    const { results } = await validateAll(d.write('m.csv', `id,extensionAttribute1\n${ID1}, x `));
    expect(results[0]).toMatchObject({ body: { extensionAttributes: { extensionAttribute1: 'x' } } });
  });
});

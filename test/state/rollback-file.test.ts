import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RollbackFile, RollbackWriteError, rollbackColumns, rollbackPathFor } from '../../src/state/rollback-file.js';
import { tempDir } from '../helpers/results.js';

const ID = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';

describe('RollbackFile', () => {
  it("sits beside the results file; columns are the manifest's properties, canonical, keys left out", () => {
    expect(rollbackPathFor('/r/job-2026.csv')).toBe('/r/job-2026.rollback.csv');
    expect(rollbackPathFor('/r/job.jsonl')).toBe('/r/job.rollback.csv');
    expect(rollbackColumns(['ID', ' displayname ', 'ExtensionAttribute3', 'deviceId'])).toEqual(['displayName', 'extensionAttribute3']);
  });

  it('writes previous values (clear token for an empty extension attribute), counts what cannot be put back, 0600, never over a file', () => {
    const path = join(tempDir(), 'r.rollback.csv');
    const f = RollbackFile.create(path, ['displayName', 'accountEnabled', 'extensionAttribute1'], '#clear');
    f.add(3, ID, [
      { property: 'accountEnabled', from: false, to: true },
      { property: 'extensionAttribute1', from: null, to: 'x' },
      { property: 'displayName', from: null, to: 'Named' }, // Graph cannot empty a displayName
    ]);
    f.add(4, ID, []); // nothing changed: no line
    expect(f).toMatchObject({ count: 1, unrestorable: 1, repeatedDevices: 0 });
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(
      `\uFEFFrollbackOfRow,id,displayName,accountEnabled,extensionAttribute1\n3,${ID},,false,#clear\n`,
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => RollbackFile.create(path, [], '#clear')).toThrow(RollbackWriteError);
  });

  it('is removed again when no row was written', () => {
    const path = join(tempDir(), 'empty.rollback.csv');
    RollbackFile.create(path, ['displayName'], '#clear').close();
    expect(existsSync(path)).toBe(false);
  });

  it('write-ahead: each line is on disk before close; rows marked not written are left out at close; earlier lines of the chain are not repeated', () => {
    const path = join(tempDir(), 'w.rollback.csv');
    const f = RollbackFile.create(path, ['extensionAttribute1', 'extensionAttribute2'], '#clear');
    const ID2 = '0b0b3b3c-1111-4e27-9da1-494c73cf256d';
    const ID3 = '1c1c3b3c-1111-4e27-9da1-494c73cf256d';
    f.remember(ID3, ['extensionAttribute1']); // an earlier rollback manifest of the chain holds it
    expect(f.add(1, ID, [{ property: 'extensionAttribute1', from: 'a', to: 'x' }])).toBe(true);
    expect(f.add(2, ID2, [{ property: 'extensionAttribute1', from: 'b', to: 'x' }])).toBe(true);
    expect(f.add(3, ID3, [{ property: 'extensionAttribute1', from: 'x', to: 'y' }])).toBe(false);
    expect(f.add(4, ID3, [{ property: 'extensionAttribute2', from: 'c', to: 'y' }])).toBe(true);
    f.sync();
    const header = '\uFEFFrollbackOfRow,id,extensionAttribute1,extensionAttribute2\n';
    expect(readFileSync(path, 'utf8')).toBe(`${header}1,${ID},a,\n2,${ID2},b,\n4,${ID3},,c\n`);
    f.markNotWritten(2); // Graph refused it
    expect(f.count).toBe(2);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(`${header}1,${ID},a,\n4,${ID3},,c\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('every row marked not written: no file is left', () => {
    const path = join(tempDir(), 'none.rollback.csv');
    const f = RollbackFile.create(path, ['extensionAttribute1'], '#clear');
    f.add(1, ID, [{ property: 'extensionAttribute1', from: 'a', to: 'x' }]);
    f.markNotWritten(1);
    f.close();
    expect(existsSync(path)).toBe(false);
  });

  it('a kept line stays: the file forgets where it lies, and marking it not written later does nothing', () => {
    const path = join(tempDir(), 'kept.rollback.csv');
    const f = RollbackFile.create(path, ['extensionAttribute1'], '#clear');
    const ID2 = '0b0b3b3c-1111-4e27-9da1-494c73cf256d';
    f.add(1, ID, [{ property: 'extensionAttribute1', from: 'a', to: 'x' }]);
    f.add(2, ID2, [{ property: 'extensionAttribute1', from: 'b', to: 'x' }]);
    f.keep(1);
    f.markNotWritten(1);
    f.markNotWritten(2);
    expect(f.count).toBe(1);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(`\uFEFFrollbackOfRow,id,extensionAttribute1\n1,${ID},a\n`);
  });
});

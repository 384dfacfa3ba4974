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
    expect(readFileSync(path, 'utf8')).toBe(`rollbackOfRow,id,displayName,accountEnabled,extensionAttribute1\n3,${ID},,false,#clear\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => RollbackFile.create(path, [], '#clear')).toThrow(RollbackWriteError);
  });

  it('is removed again when no row was written', () => {
    const path = join(tempDir(), 'empty.rollback.csv');
    RollbackFile.create(path, ['displayName'], '#clear').close();
    expect(existsSync(path)).toBe(false);
  });
});

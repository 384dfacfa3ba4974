/**
 * The export cases of test/cases (A01–A07) end to end against the emulator: the result rows, the
 * PATCH requests the emulator saw, and the devices after the run.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allPatches, CASE_ID as ID, patchesFor, runAgainstEmulator as run, stopEmulators } from '../helpers/job.js';
import { casesDir } from '../helpers/paths.js';
import { readResults } from '../helpers/results.js';

const c = (name: string) => resolve(casesDir, name);
afterEach(stopEmulators);

describe('exports as manifests, end to end', () => {
  it('A01: a Windows PowerShell 5.1 Export-Csv file (#TYPE line, every field quoted, CRLF): both rows updated', async () => {
    const r = await run({ manifest: c('A01-ps51-type-line.csv') });
    expect(r.rows.map((x) => [x.row, x.key, x.outcome])).toEqual([
      ['1', ID.pc0, 'updated'],
      ['2', ID.pc1, 'updated'],
    ]);
    for (const id of [ID.pc0, ID.pc1]) expect(r.emu.getDevice(id)!.extensionAttributes.extensionAttribute1).toBe('Finance');
    expect(r.summary.exitCode).toBe(0);
  });

  it('A02: Excel-padded header: rows 1-2 updated; row 3, with a value under an unnamed column, invalid and never sent', async () => {
    const r = await run({ manifest: c('A02-excel-padded-header.csv') });
    expect(r.rows.map((x) => [x.row, x.outcome])).toEqual([
      ['1', 'updated'],
      ['2', 'updated'],
      ['3', 'invalid'],
    ]);
    expect(r.rows[2]!.errorMessage).toContain('column 4 has no name in the header');
    expect(patchesFor(r.emu, ID.pc2)).toHaveLength(0);
    expect(r.emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute3).toBe('Sales');
    expect(r.summary.exitCode).toBe(1);
  });

  it('A05: rows keyed by id and by deviceId in one file; a row with neither is invalid', async () => {
    const r = await run({ manifest: c('A05-mixed-keys.csv') });
    expect(r.rows.map((x) => [x.row, x.keyType, x.outcome])).toEqual([
      ['1', 'id', 'updated'],
      ['2', 'deviceId', 'updated'],
      // both keys filled: id is used, once the device read by id is found to have that deviceId
      ['3', 'id', 'updated'],
      ['4', 'id', 'invalid'],
      ['5', 'id', 'invalid'],
    ]);
    expect(r.rows[3]!.errorMessage).toBe(
      'row 4: deviceId 6822a6b2-4735-4f1c-a7a1-149075139237 does not match the device with id 320094ea-d7a9-4ded-9749-1e2370c6a5b8, ' +
        'whose deviceId is 4b4d8474-a3ea-484d-bbd0-334684e55160: the two keys name different devices; nothing was written (fill only the right one)',
    );
    expect(r.rows[4]!.errorMessage).toContain('both id and deviceId are empty');
    expect(r.emu.getDevice(ID.pc2)!.extensionAttributes.extensionAttribute4).toBe('Wave2');
    // the read asked Graph for the deviceId of the rows that have both keys
    expect(r.emu.requests().some((q) => q.method === 'GET' && q.path.includes(ID.pc7) && q.path.includes('deviceId'))).toBe(true);
    expect(r.emu.getDevice(ID.pc0)!.extensionAttributes.extensionAttribute4).toBe('Wave2');
    expect(r.emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute4).toBe('Wave2');
    expect(patchesFor(r.emu, "deviceId='79cb9e86-830c-41c2-8dcc-69292f45e678'")).toHaveLength(1);
    // row 4's deviceId belongs to another device: nothing may be written to either
    expect(r.emu.getDevice(ID.pc7)!.extensionAttributes.extensionAttribute4).toBeNull();
    expect(r.emu.getDevice(ID.pc8)!.extensionAttributes.extensionAttribute4).toBeNull();
    expect(patchesFor(r.emu, ID.pc7)).toHaveLength(0);
  });

  it('A05 without reading first: rows with both keys cannot be checked, so they are invalid and never sent', async () => {
    const r = await run({ manifest: c('A05-mixed-keys.csv'), readFirst: false });
    expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'invalid', 'invalid', 'invalid']);
    expect(r.rows[2]!.errorMessage).toContain('empty one of them');
    expect(patchesFor(r.emu, ID.pc2)).toHaveLength(0);
  });

  it('A03: the portal export is refused as it is, and runs with --ignore-read-only-columns', async () => {
    await expect(run({ manifest: c('A03-portal-export.csv') })).rejects.toThrow(/--ignore-read-only-columns/);
    const r = await run({ manifest: c('A03-portal-export.csv'), ignoreReadOnlyColumns: true });
    expect(r.rows.map((x) => [x.row, x.key, x.outcome])).toEqual([
      ['1', ID.pc0, 'updated'],
      ['2', ID.pc1, 'updated'],
      ['3', ID.pc2, 'invalid'],
    ]);
    expect(r.rows[2]!.errorMessage).toContain('does not match the device with id');
    expect(patchesFor(r.emu, ID.pc2)).toHaveLength(0);
    expect(r.emu.getDevice(ID.pc1)!.accountEnabled).toBe(false);
    expect(r.emu.getDevice(ID.pc0)!.accountEnabled).toBe(true);
    // only what differs is sent: the export's unchanged values are not
    expect(patchesFor(r.emu, ID.pc0).map((p) => p.body)).toEqual([{ extensionAttributes: { extensionAttribute1: 'Retired' } }]);
    expect(r.stderr).toContain(
      'columns that are not updatable are skipped (--ignore-read-only-columns): joinType (trustType), registrationTime, approximateLastSignInDateTime, isCompliant, isManaged, mdmDisplayName',
    );
    expect(Object.keys(r.rows[0]!)).toContain('objectId');
  });

  it('A04: a Get-MgDevice | Export-Csv file runs with --ignore-read-only-columns: row 1 unchanged, row 2 disabled', async () => {
    const r = await run({ manifest: c('A04-get-mgdevice-export.csv'), ignoreReadOnlyColumns: true });
    expect(r.rows.map((x) => x.outcome)).toEqual(['unchanged', 'updated']);
    expect(r.emu.getDevice(ID.pc1)!.accountEnabled).toBe(false);
    expect(allPatches(r.emu).map((p) => p.body)).toEqual([{ accountEnabled: false }]);
  });

  it("results and rollback CSVs take the manifest's ; and start with a byte-order mark", async () => {
    const r = await run({ manifest: c('A02-excel-padded-header.csv') });
    const text = readFileSync(r.resultsPath, 'utf8');
    expect(text.startsWith('\uFEFFrow;key;keyType;outcome;')).toBe(true);
    const rollback = readFileSync(r.resultsPath.replace(/\.csv$/, '.rollback.csv'), 'utf8');
    expect(rollback.startsWith('\uFEFFrollbackOfRow;id;extensionAttribute3\n')).toBe(true);
    const errors = readResults(r.resultsPath.replace(/\.csv$/, '.errors.csv'));
    expect(errors.map((x) => [x.row, x.outcome])).toEqual([['3', 'invalid']]);
    const comma = await run({ manifest: c('A02-excel-padded-header.csv'), resultsDelimiter: ',' });
    expect(readFileSync(comma.resultsPath, 'utf8').startsWith('\uFEFFrow,key,')).toBe(true);
  });

  it('A06: the all-zero GUID and Excel-mangled GUIDs are invalid with a hint, never sent; the good row is updated', async () => {
    const r = await run({ manifest: c('A06-excel-mangled-guids.csv') });
    expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'invalid', 'invalid', 'invalid']);
    expect(r.rows[1]!.errorMessage).toContain('all-zero GUID');
    expect(r.rows[2]!.errorMessage).toContain('Excel');
    expect(r.rows[3]!.errorMessage).toContain('Excel');
    expect(allPatches(r.emu)).toHaveLength(1);
    expect(r.emu.requests().filter((q) => q.path.includes('00000000-0000'))).toHaveLength(0);
  });

  it('A07: the emulator seeded from a PowerShell ConvertTo-Json export serves a run', async () => {
    const r = await run({ manifest: c('A01-ps51-type-line.csv') }, { devices: c('A07-powershell-devices.json') });
    expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']);
    expect(r.emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute1).toBe('Finance');
  });
});

/**
 * The export cases of test/cases (A01–A07) end to end against the emulator: the result rows, the
 * PATCH requests the emulator saw, and the devices after the run.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allPatches, CASE_ID as ID, patchesFor, runAgainstEmulator as run, stopEmulators } from '../helpers/job.js';
import { casesDir } from '../helpers/paths.js';

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
      // both keys filled: refused until the deviceId can be checked against the device read by id
      ['3', 'id', 'invalid'],
      ['4', 'id', 'invalid'],
      ['5', 'id', 'invalid'],
    ]);
    expect(r.rows[2]!.errorMessage).toContain('empty one of them');
    expect(r.rows[4]!.errorMessage).toContain('both id and deviceId are empty');
    expect(r.emu.getDevice(ID.pc0)!.extensionAttributes.extensionAttribute4).toBe('Wave2');
    expect(r.emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute4).toBe('Wave2');
    expect(patchesFor(r.emu, "deviceId='79cb9e86-830c-41c2-8dcc-69292f45e678'")).toHaveLength(1);
    // row 4's deviceId belongs to another device: nothing may be written to either
    expect(r.emu.getDevice(ID.pc7)!.extensionAttributes.extensionAttribute4).toBeNull();
    expect(r.emu.getDevice(ID.pc8)!.extensionAttributes.extensionAttribute4).toBeNull();
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

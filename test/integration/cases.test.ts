/**
 * The field cases of test/cases (H01–H14), each run end to end against the emulator:
 * the per-row results a user reads, what the emulator saw, and device state after the run.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/job/errors.js';
import { allPatches, CASE_ID, caseInventory, patchesFor, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { casesDir } from '../helpers/paths.js';
import { tempFile } from '../helpers/results.js';

const c = (name: string) => resolve(casesDir, name);
const ID = CASE_ID;
const DEVICE_ID = {
  pc0: '73ab4876-7734-47c1-87fd-e805ec99108d',
  pc1: '79cb9e86-830c-41c2-8dcc-69292f45e678',
  pc2: '244caf9c-4dab-4481-b253-edc618187993',
  pc7: '4b4d8474-a3ea-484d-bbd0-334684e55160',
};

afterEach(stopEmulators);
const run = runAgainstEmulator;
async function refused(...args: Parameters<typeof runAgainstEmulator>): Promise<JobError> {
  try {
    const r = await run(...args);
    throw new Error(`expected the job to stop before sending, got exit ${r.summary.exitCode}`);
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    return err as JobError;
  }
}

for (const mode of ['batch', 'single'] as const) {
  describe(`field cases, ${mode} mode`, () => {
    it('H01: a UTF-8 BOM does not hide the id column; all 3 rows updated', async () => {
      const r = await run({ manifest: c('H01-bom.csv'), mode });
      expect(r.rows.map((x) => [x.row, x.key, x.outcome, x.httpStatus])).toEqual([
        ['1', ID.pc0, 'updated', '204'],
        ['2', ID.pc1, 'updated', '204'],
        ['3', ID.pc2, 'updated', '204'],
      ]);
      expect(Object.keys(r.rows[0]!)).toContain('id');
      for (const id of [ID.pc0, ID.pc1, ID.pc2]) expect(r.emu.getDevice(id)!.extensionAttributes.extensionAttribute1).toBe('Finance');
      expect(r.summary.exitCode).toBe(0);
    });

    it('H02: the sep= line sets the delimiter; "Lab, Floor 2" stays whole; an empty cell is not sent', async () => {
      const r = await run({ manifest: c('H02-semicolon-sep-line.csv'), mode });
      expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']);
      expect(r.emu.getDevice(ID.pc0)!.displayName).toBe('Lab, Floor 2');
      expect(r.emu.getDevice(ID.pc0)!.extensionAttributes.extensionAttribute2).toBe('B-12');
      const [row2] = patchesFor(r.emu, ID.pc1);
      expect(row2!.body).toEqual({ displayName: 'Kiosk 7' });
    });

    it('H02: a ; delimiter is detected from the header and 3,5 is one value', async () => {
      const r = await run({ manifest: c('H02-semicolon-no-sep-line.csv'), mode });
      expect(r.rows.map((x) => [x.keyType, x.outcome])).toEqual([
        ['deviceId', 'updated'],
        ['deviceId', 'updated'],
      ]);
      expect(r.emu.getDevice(ID.pc2)!.extensionAttributes.extensionAttribute2).toBe('3,5');
      expect(r.emu.getDevice(ID.pc7)!.extensionAttributes.extensionAttribute2).toBe('Room 4');
    });

    it('H03: CRLF, whitespace and upper case are fine; a non-GUID and a truncated GUID are invalid and never sent', async () => {
      const r = await run({ manifest: c('H03-crlf-whitespace.csv'), mode });
      expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'invalid', 'invalid']);
      expect(r.rows[1]!.key).toBe(ID.pc1);
      expect(r.rows[2]!.errorMessage).toMatch(/id/);
      expect(r.rows[2]!.errorMessage).toContain('not-a-guid');
      expect(r.rows[3]!.errorMessage).toContain('2fa91425-cb00-4853-9d2c-67eda13ffe7');
      expect(allPatches(r.emu)).toHaveLength(2);
      expect(patchesFor(r.emu, 'not-a-guid')).toHaveLength(0);
      expect(r.emu.getDevice(ID.pc1)!.displayName).toBe('PC B');
      expect(r.summary.exitCode).toBe(1);
    });

    it('H04: deviceId rows use the alternate key; an object id in the deviceId column fails 404 once, with a hint', async () => {
      const r = await run({ manifest: c('H04-device-id.csv'), mode });
      expect(r.rows[0]).toMatchObject({ outcome: 'updated', keyType: 'deviceId' });
      expect(patchesFor(r.emu, `devices(deviceId='${DEVICE_ID.pc0}')`)).toHaveLength(1);
      expect(r.rows[1]).toMatchObject({ outcome: 'failed', httpStatus: '404', errorCode: 'Request_ResourceNotFound', attempts: '1' });
      expect(r.rows[1]!.errorMessage).toMatch(/object id/);
      expect(r.rows[1]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.emu.getDevice(ID.pc0)!.extensionAttributes.extensionAttribute5).toBe('Ring1');
    });

    it('H05: app-only on a non-Windows device: only extension attributes; the iOS row is invalid before sending, quoting the rule', async () => {
      const r = await run({ manifest: c('H05-app-only-non-windows.csv'), mode }, { appOnly: true });
      expect(r.stderr).toMatch(/signed in: app-only \(roles: Device\.ReadWrite\.All\)/);
      expect(r.rows.map((x) => [x.outcome, x.httpStatus, x.errorCode, x.attempts])).toEqual([
        ['invalid', '', '', '0'],
        ['updated', '204', '', '1'],
        ['updated', '204', '', '1'],
      ]);
      expect(r.rows[0]!.errorMessage).toMatch(
        /^row 1: accountEnabled cannot be changed on this device by an app-only caller: its operatingSystem is "iOS"/,
      );
      expect(r.rows[0]!.errorMessage).toContain('"Properties other than ExtendedAttribute1..15 can be modified only on windows devices."');
      expect(patchesFor(r.emu, ID.ios)).toHaveLength(0); // no request for it
      expect(r.emu.getDevice(ID.ios)!.accountEnabled).toBe(true);
      expect(r.emu.getDevice(ID.android)!.extensionAttributes.extensionAttribute3).toBe('BYOD');
      expect(r.emu.getDevice(ID.pc8)!.accountEnabled).toBe(false);
    });

    it('H05 without reads (--no-read-first): Graph refuses the iOS row 400 and it is not retried', async () => {
      const r = await run({ manifest: c('H05-app-only-non-windows.csv'), mode, readFirst: false }, { appOnly: true });
      expect(r.rows.map((x) => [x.outcome, x.httpStatus, x.errorCode, x.attempts])).toEqual([
        ['failed', '400', 'Request_BadRequest', '1'],
        ['updated', '204', '', '1'],
        ['updated', '204', '', '1'],
      ]);
      expect(patchesFor(r.emu, ID.ios)).toHaveLength(1);
      expect(r.emu.getDevice(ID.ios)!.accountEnabled).toBe(true);
    });

    it('H06: every request refused 403: the run stops early, the rest skipped, exit 2, far fewer than 50 requests', async () => {
      const ids = Array.from({ length: 60 }, () => randomUUID());
      const manifest = tempFile('h06.csv', 'id,extensionAttribute1\n' + ids.map((id) => `${id},x`).join('\n') + '\n');
      const r = await run(
        { manifest, mode },
        { forceError: { status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } },
      );
      expect(r.summary.exitCode).toBe(2);
      expect(r.rows).toHaveLength(60);
      const failed = r.rows.filter((x) => x.outcome === 'failed');
      const skipped = r.rows.filter((x) => x.outcome === 'skipped');
      expect(failed.length).toBeGreaterThanOrEqual(20);
      expect(failed.every((x) => x.errorCode === 'Authorization_RequestDenied')).toBe(true);
      expect(skipped.length).toBeGreaterThan(0);
      expect(skipped[0]!.errorMessage).toMatch(/Authorization_RequestDenied/);
      expect(failed.length + skipped.length).toBe(60);
      expect(r.emu.stats().requests.total).toBeLessThan(mode === 'batch' ? 5 : 30);
      expect(r.stderr).toMatch(/Device\.ReadWrite\.All/);
    });

    it('H07: an unknown column and an MDM-owned column stop the run before any request', async () => {
      const err = await refused({ manifest: c('H07-mdm-columns.csv'), mode });
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain('deviceOwnership');
      expect(err.message).toMatch(/extensionAttribute1/); // lists the allowed columns
      const mdmOnly = tempFile('mdm.csv', `id,isCompliant\n${ID.pc0},true\n`);
      const err2 = await refused({ manifest: mdmOnly, mode });
      expect(err2.message).toMatch(/isCompliant/);
      expect(err2.message).toMatch(/Intune|MDM/);
    });

    it('H07: isCompliant is sent only when explicitly allowed, and Graph refuses it unless the app is an MDM', async () => {
      const mdmOnly = tempFile('mdm.csv', `id,isCompliant\n${ID.pc0},true\n`);
      const r = await run({ manifest: mdmOnly, mode, allowMdmProperties: true });
      expect(r.rows[0]).toMatchObject({ outcome: 'failed', httpStatus: '403', errorCode: 'Authorization_RequestDenied', attempts: '1' });
    });

    it('H08: an empty cell leaves a value alone; the clear token sends null and clears it', async () => {
      const devices = caseInventory();
      devices[0]!.extensionAttributes.extensionAttribute1 = 'Old';
      devices[1]!.extensionAttributes.extensionAttribute1 = 'Keep';
      const manifest = tempFile('h08.csv', `id,extensionAttribute1,extensionAttribute2\n${ID.pc0},#clear,a\n${ID.pc1},,b\n`);
      const r = await run({ manifest, mode }, { devices });
      expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']);
      expect(patchesFor(r.emu, ID.pc0)[0]!.body).toEqual({ extensionAttributes: { extensionAttribute1: null, extensionAttribute2: 'a' } });
      expect(patchesFor(r.emu, ID.pc1)[0]!.body).toEqual({ extensionAttributes: { extensionAttribute2: 'b' } });
      expect(r.emu.getDevice(ID.pc0)!.extensionAttributes.extensionAttribute1).toBeNull();
      expect(r.emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute1).toBe('Keep');
    });

    it('H09: booleans in any spelling become JSON booleans; empty sends nothing; "maybe" is invalid', async () => {
      const r = await run({ manifest: c('H09-booleans.csv'), mode, sendAll: true });
      expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'updated', 'invalid', 'invalid']);
      expect(patchesFor(r.emu, ID.pc0)[0]!.body).toEqual({ accountEnabled: true });
      expect(patchesFor(r.emu, ID.pc1)[0]!.body).toEqual({ accountEnabled: false });
      expect(patchesFor(r.emu, ID.pc2)[0]!.body).toEqual({ accountEnabled: false });
      expect(r.rows[3]!.errorMessage).toMatch(/nothing to update/);
      expect(r.rows[4]!.errorMessage).toContain('maybe');
      expect(allPatches(r.emu)).toHaveLength(3);
      // Without sendAll, row 1 (TRUE) is already the device's value: unchanged, not written.
      const again = await run({ manifest: c('H09-booleans.csv'), mode });
      expect(again.rows.map((x) => x.outcome)).toEqual(['unchanged', 'updated', 'updated', 'invalid', 'invalid']);
      expect(patchesFor(again.emu, ID.pc0)).toHaveLength(0);
      expect(allPatches(again.emu)).toHaveLength(2);
    });

    it('H11: a JSON array with nested extensionAttributes and a deviceId row; null clears', async () => {
      const devices = caseInventory();
      devices[0]!.extensionAttributes.extensionAttribute2 = 'Old';
      const r = await run({ manifest: c('H11-nested.json'), mode }, { devices });
      expect(r.rows.map((x) => [x.keyType, x.outcome])).toEqual([
        ['id', 'updated'],
        ['deviceId', 'updated'],
      ]);
      expect(patchesFor(r.emu, ID.pc0)[0]!.body).toEqual({
        extensionAttributes: { extensionAttribute1: 'Sales', extensionAttribute2: null },
      });
      expect(r.emu.getDevice(ID.pc0)!.extensionAttributes).toMatchObject({ extensionAttribute1: 'Sales', extensionAttribute2: null });
      expect(patchesFor(r.emu, `deviceId='${DEVICE_ID.pc1}'`)).toHaveLength(1);
      expect(r.emu.getDevice(ID.pc1)!.displayName).toBe('Reception');
    });

    it('H12: JSON Lines, line by line; a malformed line is invalid with its line number, the others run', async () => {
      const r = await run({ manifest: c('H12-rows.jsonl'), mode });
      expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'updated']);
      const broken = tempFile(
        'h12.jsonl',
        `{"id":"${ID.pc0}","extensionAttribute9":"w"}\n{"id": "${ID.pc1}", "extensionAttribute9": \n{"id":"${ID.pc2}","extensionAttribute9":"w"}\n`,
      );
      const r2 = await run({ manifest: broken, mode });
      expect(r2.rows.map((x) => x.outcome)).toEqual(['updated', 'invalid', 'updated']);
      expect(r2.rows[1]!.errorMessage).toMatch(/line 2/);
    });
  });
}

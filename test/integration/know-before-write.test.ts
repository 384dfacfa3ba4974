/**
 * Issue 7, "know before you write", end to end against the emulator: the plan, skipping unchanged
 * rows (a rerun writes nothing), verify catching a clear Graph acknowledged but dropped, and the
 * rollback manifest restoring the exact prior state. Asserted from the plan/results files, the
 * emulator's request log and the devices' state.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GRAPH_READ_BUDGET as EMULATOR_READ_BUDGET } from '../../src/emulator/index.js';
import { JobError } from '../../src/job/errors.js';
import { GRAPH_READ_BUDGET } from '../../src/job/options.js';
import { allPatches, CASE_ID, caseInventory, emulatorForTest, runOn, stopEmulators } from '../helpers/job.js';
import { repoRoot } from '../helpers/paths.js';
import { tempFile } from '../helpers/results.js';

afterEach(stopEmulators);

const ID = CASE_ID;
const DEVICE_ID_PC7 = '4b4d8474-a3ea-484d-bbd0-334684e55160';
const GHOST = '00000000-0000-4000-8000-0000000000aa';

/** The cases' inventory with a few values set, so that clears and restores have something to do. */
function inventory() {
  const devices = caseInventory();
  const byId = (id: string) => devices.find((d) => d.id === id)!;
  byId(ID.pc1).extensionAttributes.extensionAttribute1 = 'Old';
  byId(ID.pc2).extensionAttributes.extensionAttribute1 = 'Finance';
  byId(ID.pc8).displayName = '=HYPERLINK("http://x")'; // a formula-like value an end user could have set
  return devices;
}

describe('plan', () => {
  it("reads every device with GET in $batch ($select of the row's properties), writes nothing, lists old → new", async () => {
    const emu = await emulatorForTest({ devices: inventory() });
    const before = emu.devices();
    const manifest = tempFile(
      'm.csv',
      'id,displayName,extensionAttribute1\n' +
        `${ID.pc0},Kiosk 1,wave-1\n` + // two changes
        `${ID.pc2},,Finance\n` + // already at target
        `${GHOST},Nobody,x\n` + // no such device
        `${ID.pc1},LAB-PC-001,#clear\n`, // only the clear changes
    );
    const r = await runOn(emu, { manifest }, { plan: true });
    expect(r.rows.map((x) => [x.key, x.outcome, x.httpStatus])).toEqual([
      [ID.pc0, 'planned', '200'],
      [ID.pc2, 'unchanged', '200'],
      [GHOST, 'failed', '404'],
      [ID.pc1, 'planned', '200'],
    ]);
    expect(r.rows[0]!.errorMessage).toBe('would change displayName "LAB-PC-000" → "Kiosk 1"; extensionAttribute1 null → "wave-1"');
    expect(r.rows[3]!.errorMessage).toBe('would change extensionAttribute1 "Old" → null');
    expect(r.rows[2]!.errorCode).toBe('Request_ResourceNotFound');
    expect(r.summary.plan).toEqual({ toChange: 2, unchanged: 1, notFound: 1 });
    expect(r.stderr).toContain('plan: 2 to change, 1 unchanged, 1 not found');
    expect(r.summary.exitCode).toBe(1); // a row whose device does not exist is a failed row
    expect(r.resultsPath.endsWith('.csv')).toBe(true);

    const log = emu.requests();
    expect(log.filter((x) => x.method === 'PATCH')).toEqual([]);
    const gets = log.filter((x) => x.method === 'GET');
    expect(gets.every((g) => g.viaBatch)).toBe(true);
    expect(gets.map((g) => g.path)).toContain(`/devices/${ID.pc0}?$select=id,operatingSystem,displayName,extensionAttributes`);
    expect(emu.devices()).toEqual(before);
  });

  it('addresses deviceId rows as /devices(deviceId=…)', async () => {
    const emu = await emulatorForTest();
    const manifest = tempFile('m.csv', `deviceId,extensionAttribute2\n${DEVICE_ID_PC7},Ring1\n`);
    const r = await runOn(emu, { manifest }, { plan: true });
    expect(r.rows[0]).toMatchObject({ key: DEVICE_ID_PC7, keyType: 'deviceId', outcome: 'planned' });
    expect(
      emu
        .requests()
        .filter((x) => x.method === 'GET')
        .map((g) => g.path),
    ).toEqual([`/devices(deviceId='${DEVICE_ID_PC7}')?$select=id,operatingSystem,extensionAttributes`]);
  });
});

describe('skip unchanged', () => {
  it('sends only the properties that differ; a rerun of the finished job makes no write at all', async () => {
    const emu = await emulatorForTest({ devices: inventory() });
    const manifest = tempFile(
      'm.csv',
      'id,displayName,extensionAttribute1\n' + `${ID.pc0},Kiosk 1,wave-1\n` + `${ID.pc2},Lab 2,Finance\n` + `${ID.pc7},,wave-1\n`,
    );
    const first = await runOn(emu, { manifest });
    expect(first.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'updated']);
    // pc2 already had extensionAttribute1 "Finance": only its displayName went out.
    expect(allPatches(emu).find((p) => p.path.includes(ID.pc2))!.body).toEqual({ displayName: 'Lab 2' });

    emu.resetLog();
    const rerun = await runOn(emu, { manifest, mode: 'single' });
    expect(rerun.rows.map((x) => [x.outcome, x.attempts])).toEqual([
      ['unchanged', '1'],
      ['unchanged', '1'],
      ['unchanged', '1'],
    ]);
    expect(rerun.rows[0]!.errorMessage).toMatch(/already at target/);
    expect(allPatches(emu)).toEqual([]);
    expect(rerun.summary).toMatchObject({ exitCode: 0, writesSent: 0, readsSent: 3 });
    expect(rerun.summary.rollbackPath).toBeUndefined(); // nothing written, nothing to roll back

    // sendAll sends every row as given, unchanged or not.
    emu.resetLog();
    const all = await runOn(emu, { manifest, sendAll: true });
    expect(all.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'updated']);
    expect(allPatches(emu).find((p) => p.path.includes(ID.pc2))!.body).toEqual({
      displayName: 'Lab 2',
      extensionAttributes: { extensionAttribute1: 'Finance' },
    });
  });
});

describe('verify', () => {
  it('catches a clear Graph answered 204 for without applying it: not-applied, with what was found', async () => {
    const emu = await emulatorForTest({ devices: inventory(), dropClear: true });
    const manifest = tempFile('m.csv', `id,extensionAttribute1,extensionAttribute2\n${ID.pc1},#clear,a\n${ID.pc0},,b\n`);

    const unverified = await runOn(emu, { manifest, readFirst: false });
    expect(unverified.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']); // a 204 alone says "done"
    expect(emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute1).toBe('Old');

    const r = await runOn(emu, { manifest, verify: true, sendAll: true });
    expect(r.rows.map((x) => [x.key, x.outcome, x.httpStatus])).toEqual([
      [ID.pc1, 'not-applied', '204'],
      [ID.pc0, 'updated', '204'],
    ]);
    expect(r.rows[0]!.errorMessage).toBe(
      'Graph answered 204 but reading the device back found extensionAttribute1 is "Old", expected null',
    );
    expect(r.rows[1]!.errorMessage).toBe('verified');
    expect(r.summary.exitCode).toBe(1);
    // The read-back is a batched GET of exactly what was sent.
    const readBacks = emu.requests().filter((x) => x.method === 'GET' && x.path.startsWith(`/devices/${ID.pc1}`));
    expect(readBacks.length).toBe(2); // before the write, and after it
    expect(readBacks.every((g) => g.viaBatch && g.path.endsWith('$select=id,operatingSystem,extensionAttributes'))).toBe(true);
  });
});

describe('rollback', () => {
  it('a run leaves a rollback manifest; running it restores every device exactly as before the job', async () => {
    const emu = await emulatorForTest({ devices: inventory() });
    const before = emu.devices();
    const manifest = tempFile(
      'm.csv',
      'id,displayName,accountEnabled,extensionAttribute1,extensionAttribute3\n' +
        `${ID.pc0},Kiosk 1,false,wave-1,\n` + // sets an unset attribute, renames, disables
        `${ID.pc1},,,#clear,x\n` + // clears "Old"
        `${ID.pc2},,,Finance,\n` + // unchanged: not written, nothing to roll back
        `${ID.pc8},Plain name,,,\n` + // the old name is formula-like
        `${ID.android},,,,BYOD\n` +
        `${GHOST},Nobody,,,\n`, // not found: nothing written
    );
    const job = await runOn(emu, { manifest });
    expect(job.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'unchanged', 'updated', 'updated', 'failed']);
    expect(emu.devices()).not.toEqual(before);

    const rollbackPath = job.summary.rollbackPath!;
    expect(rollbackPath).toBe(job.resultsPath.replace(/\.csv$/, '.rollback.csv'));
    expect(job.stderr).toContain(`rollback manifest: ${rollbackPath}`);
    const lines = readFileSync(rollbackPath, 'utf8').trim().split('\n').sort();
    expect(lines).toEqual(
      [
        'rollbackOfRow,id,displayName,accountEnabled,extensionAttribute1,extensionAttribute3',
        `1,${ID.pc0},LAB-PC-000,true,#clear,`,
        `2,${ID.pc1},,,Old,#clear`,
        `4,${ID.pc8},"'=HYPERLINK(""http://x"")",,,`, // Excel guard in the file…
        `5,${ID.android},,,,#clear`,
      ].sort(),
    );

    const undo = await runOn(emu, { manifest: rollbackPath });
    expect(undo.rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'updated', 'updated']);
    expect(emu.devices()).toEqual(before); // …undone when read back: the exact old name is restored
    expect(emu.getDevice(ID.pc8)!.displayName).toBe('=HYPERLINK("http://x")');

    // Rolling back twice changes nothing more: every row is already at its target.
    emu.resetLog();
    const again = await runOn(emu, { manifest: rollbackPath });
    expect(again.rows.every((x) => x.outcome === 'unchanged')).toBe(true);
    expect(allPatches(emu)).toEqual([]);
  });
});

describe('rollback with several rows for one device (allowDuplicates)', () => {
  it('a later row is read after the earlier one is final; the rollback keeps the values from before the first', async () => {
    const emu = await emulatorForTest({ devices: inventory() });
    const before = emu.devices();
    const manifest = tempFile('m.csv', `id,displayName,extensionAttribute1,extensionAttribute2\n${ID.pc0},Kiosk 1,a,\n${ID.pc0},,b,c\n`);
    const job = await runOn(emu, { manifest, allowDuplicates: true, mode: 'single' });
    expect(job.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']);
    // row 2 was compared with the state row 1 left: extensionAttribute1 "a" → "b"
    expect(allPatches(emu).map((p) => p.body)).toEqual([
      { displayName: 'Kiosk 1', extensionAttributes: { extensionAttribute1: 'a' } },
      { extensionAttributes: { extensionAttribute1: 'b', extensionAttribute2: 'c' } },
    ]);
    expect(readFileSync(job.summary.rollbackPath!, 'utf8').trim().split('\n')).toEqual([
      'rollbackOfRow,id,displayName,extensionAttribute1,extensionAttribute2',
      `1,${ID.pc0},LAB-PC-000,#clear,`,
      `2,${ID.pc0},,,#clear`, // extensionAttribute1 is already restored by line 1
    ]);
    expect(job.stderr).toMatch(/several lines for 1 device\(s\).*--allow-duplicates/);
    await runOn(emu, { manifest: job.summary.rollbackPath!, allowDuplicates: true });
    expect(emu.devices()).toEqual(before);
  });
});

describe('read budget (resource units, docs/graph-behaviour.md §3)', () => {
  const fixture = (
    JSON.parse(readFileSync(resolve(repoRoot, 'fixtures/devices-5000.json'), 'utf8')) as { value: Array<{ id: string }> }
  ).value.slice(0, 60);
  const manifest = () => tempFile('m.csv', 'id,extensionAttribute4\n' + fixture.map((d) => `${d.id},tagged`).join('\n') + '\n');

  it("is Graph's small-tenant quota, 3,500 units per 10 s, in the job and in the emulator", () => {
    for (const budget of [GRAPH_READ_BUDGET, EMULATOR_READ_BUDGET]) {
      expect(budget.burst).toBe(3500);
      expect(budget.refillPerSecond * 10).toBe(3500);
    }
  });

  it("reads throttled by the emulator's unit budget are retried after their Retry-After; the client budget avoids the 429s", async () => {
    const unpaced = await emulatorForTest({ devices: fixture, readBudget: { burst: 20, refillPerSecond: 200 } });
    const r = await runOn(unpaced, { manifest: manifest(), readBudget: false, concurrency: 4 }, { plan: true });
    expect(r.rows.filter((x) => x.outcome === 'planned')).toHaveLength(60);
    const gets = unpaced.requests().filter((x) => x.method === 'GET');
    const throttled = gets.filter((g) => g.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(unpaced.stats().writeBudget!.tokens).toBe(3000); // reads never touch the write budget
    for (const t of throttled) {
      const next = gets.find((g) => g.seq > t.seq && g.path === t.path)!;
      expect(next.at - t.at).toBeGreaterThanOrEqual((t.retryAfter ?? 0) * 1000 - 25);
    }

    const paced = await emulatorForTest({ devices: fixture, readBudget: { burst: 20, refillPerSecond: 200 } });
    // The client paces reads at half Graph's rate here: room for the requests' own timing jitter.
    const p = await runOn(paced, { manifest: manifest(), readBudget: { burst: 10, refillPerSecond: 100 }, concurrency: 4 }, { plan: true });
    expect(p.rows.filter((x) => x.outcome === 'planned')).toHaveLength(60);
    expect(paced.stats().throttled.total).toBe(0);
    // batches no larger than the client budget's burst
    const perBatch = new Map<string, number>();
    for (const x of paced.requests().filter((x) => x.viaBatch)) perBatch.set(x.batchRequestId!, (perBatch.get(x.batchRequestId!) ?? 0) + 1);
    expect(Math.max(...perBatch.values())).toBe(10);
  });
});

describe('preflight: what the token can do, before any request', () => {
  const H05 = () => tempFile('h05.csv', `id,accountEnabled,extensionAttribute3\n${ID.ios},false,\n${ID.android},,BYOD\n`);

  it('an app-only token without Device.ReadWrite.All / Directory.ReadWrite.All stops the run (exit 3) before a single request, saying what to grant', async () => {
    const emu = await emulatorForTest({ tokenClaims: { roles: ['Device.Read.All'] } });
    const err = await runOn(emu, { manifest: H05() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).exitCode).toBe(3);
    expect((err as JobError).message).toBe(
      'permission missing, nothing sent: the token is app-only and its roles hold neither Device.ReadWrite.All nor Directory.ReadWrite.All (it has: Device.Read.All): ' +
        'grant the app registration the Microsoft Graph application permission Device.ReadWrite.All (or Directory.ReadWrite.All) with admin consent, then sign in again',
    );
    expect(emu.requests()).toEqual([]);

    // A plan writes nothing: it runs, and warns that the run would stop.
    const plan = await runOn(emu, { manifest: H05() }, { plan: true });
    expect(plan.stderr).toMatch(/warn: a run with this token would stop before writing: the token is app-only/);
    expect(plan.rows.map((x) => x.outcome)).toEqual(['invalid', 'planned']);
  });

  it('a delegated token needs Directory.AccessAsUser.All; with it the app-only non-Windows rule does not apply', async () => {
    const denied = await emulatorForTest({ tokenClaims: { scp: 'User.Read Device.Read.All' } });
    await expect(runOn(denied, { manifest: H05() })).rejects.toThrow(
      /the token is delegated and its scp does not hold Directory\.AccessAsUser\.All \(it has: User\.Read, Device\.Read\.All\)/,
    );
    expect(denied.requests()).toEqual([]);

    const emu = await emulatorForTest({ tokenClaims: { scp: 'Directory.AccessAsUser.All User.Read' } });
    const r = await runOn(emu, { manifest: H05() });
    expect(r.stderr).toMatch(/signed in: delegated \(scp: Directory\.AccessAsUser\.All, User\.Read\)/);
    expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']);
    expect(emu.getDevice(ID.ios)!.accountEnabled).toBe(false);
  });

  it('an opaque token is a warning, not a stop: Graph then judges each row (H05 fails 400 there)', async () => {
    const emu = await emulatorForTest({ token: 'opaque-token-not-a-jwt' });
    const r = await runOn(emu, { manifest: H05() });
    expect(r.stderr).toMatch(/warn: the token is not a readable JWT: its permissions cannot be checked before sending/);
    expect(r.rows.map((x) => [x.outcome, x.httpStatus])).toEqual([
      ['failed', '400'],
      ['updated', '204'],
    ]);
  });
});

/**
 * The stale-device lifecycle end to end against the emulator: a first run over an inventory with every
 * kind that must never be touched, then runs days later (one clock for the job and the emulator) that
 * delete exactly the devices they should and nothing else.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runStale, type StaleLine } from '../../src/stale/lifecycle.js';
import { Capture } from '../helpers/job.js';
import { tempDir } from '../helpers/results.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 6);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ext = (values: Record<string, string> = {}) => ({
  ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`extensionAttribute${i + 1}`, null])),
  ...values,
});

/** Named test devices: each kind the lifecycle must handle. */
const KINDS = {
  stale: { lastSignIn: T0 - 200 * DAY },
  staleToo: { lastSignIn: T0 - 120 * DAY },
  reEnabled: { lastSignIn: T0 - 150 * DAY },
  autopilot: { lastSignIn: T0 - 300 * DAY, physicalIds: ['[HWID]:h:1', '[ZTDID]:5ab5c1f1-0000-4000-8000-00000000a001'] },
  hybrid: { lastSignIn: T0 - 300 * DAY, onPremisesSyncEnabled: true, trustType: 'ServerAd' },
  noStamp: { lastSignIn: null },
  managed: { lastSignIn: T0 - 300 * DAY, isManaged: true },
  excluded: { lastSignIn: T0 - 300 * DAY },
  disabledElsewhere: { lastSignIn: T0 - 300 * DAY, accountEnabled: false },
  active: { lastSignIn: T0 - 5 * DAY },
  soonStale: { lastSignIn: T0 - 60 * DAY },
} as const;
type Kind = keyof typeof KINDS;
const NAMES = Object.keys(KINDS) as Kind[];
const idOf = (k: Kind) => `44444444-4444-4444-8444-${String(NAMES.indexOf(k) + 1).padStart(12, '0')}`;

function inventory() {
  return NAMES.map((k, i) => {
    const spec = KINDS[k] as Record<string, unknown>;
    return {
      id: idOf(k),
      deviceId: `55555555-5555-4555-8555-${String(i + 1).padStart(12, '0')}`,
      displayName: `WKS-${k}`,
      operatingSystem: 'Windows',
      operatingSystemVersion: '10.0.22631.4890',
      accountEnabled: spec.accountEnabled ?? true,
      isManaged: spec.isManaged ?? false,
      isCompliant: false,
      trustType: spec.trustType ?? 'AzureAd',
      onPremisesSyncEnabled: spec.onPremisesSyncEnabled ?? null,
      physicalIds: spec.physicalIds ?? ['[HWID]:h:2'],
      approximateLastSignInDateTime: spec.lastSignIn === null ? null : iso(spec.lastSignIn as number),
      extensionAttributes: ext({ extensionAttribute2: 'Corporate' }),
    };
  });
}

describe('graph-bulk stale', () => {
  let emu: Emulator;
  let clock = T0;
  const dir = tempDir();
  const exclude = join(dir, 'exclude.txt');
  beforeAll(async () => {
    writeFileSync(exclude, '# never touch\nWKS-excluded\n');
    emu = await startEmulator({ devices: inventory(), writeBudget: false, clock: () => clock });
  });
  afterAll(() => emu.stop());

  const run = (name: string, over: Record<string, unknown> = {}, plan = false) =>
    runStale(
      {
        graphUrl: emu.url,
        staleDays: 90,
        stampAttribute: 'extensionAttribute15',
        name: 'stale',
        exclude,
        results: join(dir, `${name}.csv`),
        progress: false,
        readBudget: false,
        writeBudget: false,
        ...over,
      },
      { tokenSource: staticTokenSource(emu.token, 'test'), stderr: new Capture(), now: () => new Date(clock) },
      plan,
    );
  const lines = (name: string) =>
    new Map(
      (parse(readFileSync(join(dir, `${name}.csv`), 'utf8'), { columns: true }) as StaleLine[]).map((l) => [l.displayName.slice(4), l]),
    );
  const writes = () => emu.requests().filter((r) => r.method === 'PATCH' || r.method === 'DELETE');

  it('refuses a threshold under 21 days and a missing stamp attribute', async () => {
    await expect(run('bad', { staleDays: 20 })).rejects.toThrow(/at least 21/);
    await expect(run('bad2', { stampAttribute: undefined })).rejects.toThrow(/stampAttribute/);
  });

  it('plan and dry run show the whole lifecycle and write nothing', async () => {
    emu.resetLog();
    const plan = await run('plan', {}, true);
    expect(plan).toMatchObject({
      exitCode: 0,
      toDisable: 3,
      toDelete: 0,
      kept: { excluded: 1, autopilot: 1, 'on-premises-synced': 1, 'intune-managed': 1, 'no-sign-in-timestamp': 1, 'disabled-elsewhere': 1 },
    });
    const l = lines('plan');
    expect(l.get('stale')).toMatchObject({ action: 'disable', outcome: 'planned' });
    expect(l.get('autopilot')).toMatchObject({ action: 'keep', reason: 'autopilot', outcome: 'kept' });
    expect(l.has('active')).toBe(false); // not a candidate: the query asks for stale, unstamped-null and stamped devices only
    expect(writes()).toHaveLength(0);
    const dry = await run('dry', { dryRun: true });
    expect(dry.toDisable).toBe(3);
    expect(writes()).toHaveLength(0);
  });

  it('--max-changes: more than allowed stops before any write (exit 3), the lifecycle written', async () => {
    emu.resetLog();
    await expect(run('limited', { maxChanges: 2 })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/^3 devices would be disabled or deleted/),
    });
    expect(writes()).toHaveLength(0);
    expect(lines('limited').get('stale')).toMatchObject({ outcome: 'planned' });
  });

  it('day 0: disables and stamps the stale devices only; every excluded kind is kept with its reason', async () => {
    emu.resetLog();
    const s = await run('day0');
    expect(s.exitCode).toBe(0);
    const l = lines('day0');
    for (const k of ['stale', 'staleToo', 'reEnabled'] as const) {
      expect(l.get(k)).toMatchObject({ action: 'disable', outcome: 'updated' });
      expect(emu.getDevice(idOf(k))).toMatchObject({
        accountEnabled: false,
        extensionAttributes: { extensionAttribute15: 'stale disabled 2026-01-10' },
      });
    }
    const reasons = Object.fromEntries([...l.values()].filter((x) => x.action === 'keep').map((x) => [x.displayName.slice(4), x.reason]));
    expect(reasons).toEqual({
      autopilot: 'autopilot',
      hybrid: 'on-premises-synced',
      noStamp: 'no-sign-in-timestamp',
      managed: 'intune-managed',
      excluded: 'excluded',
      disabledElsewhere: 'disabled-elsewhere',
    });
    expect(new Set(writes().map((w) => w.path.split('/').pop()))).toEqual(
      new Set(['stale', 'staleToo', 'reEnabled'].map((k) => idOf(k as Kind))),
    );
    expect(writes().every((w) => w.method === 'PATCH')).toBe(true);
    for (const k of ['autopilot', 'hybrid', 'noStamp', 'managed', 'excluded', 'disabledElsewhere', 'active', 'soonStale'] as const) {
      const d = emu.getDevice(idOf(k))!;
      expect(d.extensionAttributes.extensionAttribute15).toBeNull();
      expect(d.accountEnabled).toBe(k !== 'disabledElsewhere');
    }
  });

  it('day 20: an admin re-enables one and it signs in; with --delete nothing is due yet', async () => {
    clock = T0 + 20 * DAY;
    // the admin, in the portal
    const r = await fetch(`${emu.url}/v1.0/devices/${idOf('reEnabled')}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountEnabled: true }),
    });
    expect(r.status).toBe(204);
    expect(emu.signIn(idOf('reEnabled'))).toBe(true);
    emu.resetLog();
    const s = await run('day20', { delete: true });
    expect(s.toDelete).toBe(0);
    expect(lines('day20').get('stale')).toMatchObject({ action: 'keep', reason: 'waiting-to-delete' });
    expect(writes()).toHaveLength(0);
  });

  it('day 31 with --delete: deletes exactly the devices this job disabled 30+ days ago and still disabled, with what they were', async () => {
    clock = T0 + 31 * DAY;
    const before = new Map(emu.devices().map((d) => [d.id, d]));
    emu.resetLog();
    const s = await run('day31', { delete: true });
    expect(s.exitCode).toBe(0);
    expect(s.toDelete).toBe(2);
    const l = lines('day31');
    for (const k of ['stale', 'staleToo'] as const) {
      expect(l.get(k)).toMatchObject({ action: 'delete', outcome: 'deleted', httpStatus: '204' });
      expect(JSON.parse(l.get(k)!.device)).toMatchObject({
        id: idOf(k),
        displayName: `WKS-${k}`,
        accountEnabled: false,
        physicalIds: ['[HWID]:h:2'],
      });
      expect(emu.getDevice(idOf(k))).toBeUndefined();
    }
    // stamped by this job but enabled again since (and signed in): left alone, never deleted
    expect(l.get('reEnabled')).toMatchObject({ action: 'keep', reason: 're-enabled' });
    expect(emu.getDevice(idOf('reEnabled'))).toMatchObject({ accountEnabled: true });
    // 60 days before day 0 is 91 days before day 31: disabled now, deleted in 30 days
    expect(l.get('soonStale')).toMatchObject({ action: 'disable', outcome: 'updated' });
    expect(emu.getDevice(idOf('soonStale'))).toMatchObject({
      accountEnabled: false,
      extensionAttributes: { extensionAttribute15: 'stale disabled 2026-02-10' },
    });
    const deletes = writes().filter((w) => w.method === 'DELETE');
    expect(new Set(deletes.map((d) => d.path.split('/').pop()))).toEqual(new Set([idOf('stale'), idOf('staleToo')]));
    expect(
      writes()
        .filter((w) => w.method === 'PATCH')
        .map((w) => w.path.split('/').pop()),
    ).toEqual([idOf('soonStale')]);
    // every device not deleted is still there, untouched unless disabled today
    for (const d of emu.devices()) {
      if (d.id === idOf('soonStale')) continue;
      expect(d).toEqual(before.get(d.id));
    }
    expect(emu.devices()).toHaveLength(NAMES.length - 2);
  });

  it('without --delete, a device due is kept ("deletion is not turned on")', async () => {
    clock = T0 + 70 * DAY;
    emu.resetLog();
    const s = await run('day70');
    expect(s.toDelete).toBe(0);
    expect(lines('day70').get('soonStale')).toMatchObject({
      action: 'keep',
      reason: 'waiting-to-delete',
      message: expect.stringContaining('not turned on'),
    });
    expect(writes().filter((w) => w.method === 'DELETE')).toHaveLength(0);
  });
});

describe('graph-bulk stale --bitlocker-check', () => {
  const stamped = (n: number) => ({
    id: `66666666-6666-4666-8666-00000000000${n}`,
    deviceId: `77777777-7777-4777-8777-00000000000${n}`,
    displayName: `WKS-bl${n}`,
    operatingSystem: 'Windows',
    accountEnabled: false,
    isManaged: false,
    physicalIds: ['[HWID]:h:3'],
    approximateLastSignInDateTime: iso(T0 - 200 * DAY),
    extensionAttributes: ext({ extensionAttribute15: 'stale disabled 2025-12-01' }),
  });

  it('a device due for deletion with recovery keys in Entra is kept; one without is deleted; without BitlockerKey.ReadBasic.All both are kept', async () => {
    const emu = await startEmulator({
      devices: [stamped(1), stamped(2)],
      writeBudget: false,
      recoveryKeys: { [stamped(1).deviceId]: 2 },
    });
    try {
      const dir = tempDir();
      const run = (name: string, roles: string[]) =>
        runStale(
          {
            graphUrl: emu.url,
            staleDays: 90,
            stampAttribute: 'extensionAttribute15',
            name: 'stale',
            delete: true,
            bitlockerCheck: true,
            results: join(dir, `${name}.csv`),
            progress: false,
            readBudget: false,
            writeBudget: false,
          },
          { tokenSource: staticTokenSource(emu.issueToken(undefined, { roles }), 'test'), stderr: new Capture(), now: () => new Date(T0) },
        );
      const noRole = await run('no-role', ['Device.ReadWrite.All']);
      expect(noRole).toMatchObject({ toDelete: 0, kept: { 'bitlocker-keys': 2 } });
      expect(emu.devices()).toHaveLength(2);
      const s = await run('with-role', ['Device.ReadWrite.All', 'BitlockerKey.ReadBasic.All']);
      expect(s).toMatchObject({ toDelete: 1, kept: { 'bitlocker-keys': 1 } });
      const lines = parse(readFileSync(join(dir, 'with-role.csv'), 'utf8'), { columns: true }) as StaleLine[];
      expect(lines.find((l) => l.displayName === 'WKS-bl1')).toMatchObject({
        action: 'keep',
        reason: 'bitlocker-keys',
        message: expect.stringContaining('2 BitLocker recovery key(s)'),
      });
      expect(lines.find((l) => l.displayName === 'WKS-bl2')).toMatchObject({ action: 'delete', outcome: 'deleted' });
      expect(emu.devices().map((d) => d.displayName)).toEqual(['WKS-bl1']);
      const keyReads = emu.requests().filter((r) => r.path.startsWith('/informationProtection/bitlocker/recoveryKeys'));
      expect(keyReads.length).toBe(4);
      expect(keyReads[0]!.path).toBe(
        `/informationProtection/bitlocker/recoveryKeys?$filter=${encodeURIComponent(`deviceId eq '${stamped(1).deviceId}'`)}`,
      );
    } finally {
      await emu.stop();
    }
  });
});

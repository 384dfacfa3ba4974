/**
 * The budgets beside the app+tenant one, over HTTP (docs/graph-behaviour.md §3): per user (delegated
 * tokens), per tenant (all apps), per app (all tenants), each 429 with its real `x-ms-throttle-scope`;
 * 429s below the limits and repeated 429s after a correct wait; base64 inner bodies that are not
 * JSON (§2). Assertions are on what a client sees and on what the emulator counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { batch, graphError, innerPatch, patch, sleep, start, testDevices } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const APP = '3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d';
const OTHER_APP = '5d0e2f63-7a3b-4d2f-8b66-1f2e3c4b5d6e';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TENANTS = ['11111111-aaaa-4aaa-8aaa-000000000001', '11111111-aaaa-4aaa-8aaa-000000000002', '11111111-aaaa-4aaa-8aaa-000000000003'];
const USER_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const USER_B = 'bbbbbbbb-0000-4000-8000-00000000000b';
const device = (i: number) => `22222222-2222-4222-8222-${String(i + 100).padStart(12, '0')}`;
const write = (e: Emulator, i: number, token: string) =>
  patch(e, device(i), { extensionAttributes: { extensionAttribute1: 'x' } }, { token });
const ROLES = ['Device.ReadWrite.All'];
const SCP = 'Directory.AccessAsUser.All';
/** Budgets that refill so slowly that no token comes back during a test. */
const slow = (burst: number) => ({ burst, refillPerSecond: 0.01 });

describe('per-user budget (delegated tokens)', () => {
  it('25 writes per user, then 429 Tenant_User/Write/<appId>/<userId>; another user and an app-only token of the same app are not held', async () => {
    emu = await start({
      devices: testDevices(60),
      writeBudget: { burst: 1000, refillPerSecond: 1 },
      userWriteBudget: { burst: 25, refillPerSecond: 0.01 },
    });
    const a = emu.issueToken(undefined, { scp: SCP, userId: USER_A });
    const b = emu.issueToken(undefined, { scp: SCP, userId: USER_B });
    const app = emu.issueToken(undefined, { roles: ROLES });
    for (let i = 0; i < 25; i++) expect((await write(emu, i, a)).status).toBe(204);
    const refused = await write(emu, 25, a);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ms-throttle-scope')).toBe(`Tenant_User/Write/${APP}/${USER_A}`);
    expect(refused.headers.get('x-ms-throttle-information')).toBe('WriteLimitExceeded');
    expect(refused.headers.get('x-ms-throttle-limit-percentage')).toBeNull();
    expect(graphError(refused).code).toBe('TooManyRequests');
    expect((await write(emu, 26, b)).status).toBe(204);
    expect((await write(emu, 27, app)).status).toBe(204);
    const stats = emu.stats();
    expect(stats.throttled.byScope).toEqual({ 'Tenant_User/Write': 1 });
    expect(stats.writesApplied).toBe(27);
    const userBucket = stats.writeBudgets.find((s) => s.scope === 'Tenant_User' && s.key.endsWith(USER_A));
    expect(userBucket).toMatchObject({ burst: 25 });
  });

  it("Graph's default per-user budget is on for delegated tokens: the 26th write at once is refused", async () => {
    emu = await start({ devices: testDevices(40), writeBudget: undefined, appOnly: false });
    const statuses: number[] = [];
    for (let i = 0; i < 26; i++) statuses.push((await write(emu, i, emu.token)).status);
    expect(statuses.slice(0, 25).every((s) => s === 204)).toBe(true);
    expect(statuses[25]).toBe(429);
    expect(emu.stats().throttled.byScope).toEqual({ 'Tenant_User/Write': 1 });
  });
});

describe('tenant-wide and application-wide budgets', () => {
  it('two apps of one tenant share the tenant budget: 429 Tenant/Write/<appId>/<tenantId>; another tenant is not held', async () => {
    emu = await start({ devices: testDevices(20), writeBudget: slow(100), tenantWriteBudget: slow(5), appWriteBudget: false });
    const one = emu.issueToken(undefined, { roles: ROLES });
    const two = emu.issueToken(undefined, { roles: ROLES, appId: OTHER_APP });
    const elsewhere = emu.issueToken(undefined, { roles: ROLES, tenantId: TENANTS[0] });
    for (let i = 0; i < 3; i++) expect((await write(emu, i, one)).status).toBe(204);
    for (let i = 3; i < 5; i++) expect((await write(emu, i, two)).status).toBe(204);
    const refused = await write(emu, 5, two);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ms-throttle-scope')).toBe(`Tenant/Write/${OTHER_APP}/${TENANT}`);
    expect((await write(emu, 6, one)).headers.get('x-ms-throttle-scope')).toBe(`Tenant/Write/${APP}/${TENANT}`);
    expect((await write(emu, 7, elsewhere)).status).toBe(204);
    expect(emu.stats().throttled.byScope).toEqual({ 'Tenant/Write': 2 });
  });

  it('one app across three tenants shares the application budget: 429 Application/Write/<appId>/<tenantId> in every tenant', async () => {
    emu = await start({ devices: testDevices(20), writeBudget: slow(100), appWriteBudget: slow(6) });
    const tokens = TENANTS.map((tenantId) => emu!.issueToken(undefined, { roles: ROLES, tenantId }));
    let n = 0;
    for (const t of tokens) for (let k = 0; k < 2; k++) expect((await write(emu, n++, t)).status).toBe(204);
    for (const [i, t] of tokens.entries()) {
      const r = await write(emu, n++, t);
      expect(r.status).toBe(429);
      expect(r.headers.get('x-ms-throttle-scope')).toBe(`Application/Write/${APP}/${TENANTS[i]}`);
    }
    const stats = emu.stats();
    expect(stats.throttled.byScope).toEqual({ 'Application/Write': 3 });
    // one app+tenant bucket per tenant, one application bucket
    expect(stats.writeBudgets.filter((s) => s.scope === 'Tenant_Application')).toHaveLength(3);
    expect(stats.writeBudgets.filter((s) => s.scope === 'Application')).toHaveLength(1);
  });

  it('a refusal by one level takes nothing from the others', async () => {
    emu = await start({ devices: testDevices(20), writeBudget: slow(3), tenantWriteBudget: slow(50), appWriteBudget: false });
    for (let i = 0; i < 3; i++) expect((await write(emu, i, emu.token)).status).toBe(204);
    for (let i = 3; i < 8; i++)
      expect((await write(emu, i, emu.token)).headers.get('x-ms-throttle-scope')).toMatch(/^Tenant_Application\//);
    const tenant = emu.stats().writeBudgets.find((s) => s.scope === 'Tenant');
    expect(Math.round(tenant!.tokens)).toBe(47);
  });
});

describe('Graph is not kinder than its documentation', () => {
  it('rate429BelowLimit: 429s although every budget has room, counted apart', async () => {
    emu = await start({ devices: testDevices(120), writeBudget: { burst: 1000, refillPerSecond: 100 }, rate429BelowLimit: 0.2, seed: 7 });
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      const r = await write(emu, i, emu.token);
      if (r.status === 429) {
        refused++;
        expect(r.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/Write/${APP}/${TENANT}`);
        const wait = Number(r.headers.get('retry-after'));
        expect(wait).toBeGreaterThanOrEqual(0.1);
        expect(wait).toBeLessThanOrEqual(2);
      } else expect(r.status).toBe(204);
    }
    expect(refused).toBeGreaterThan(8);
    expect(refused).toBeLessThan(35);
    expect(emu.stats().throttled).toMatchObject({ belowLimit: refused, total: refused });
  });

  it('rateRepeat429: a retry after the full Retry-After is refused again with the same wait, then succeeds', async () => {
    emu = await start({ devices: testDevices(5), writeBudget: { burst: 1, refillPerSecond: 5 }, rateRepeat429: 1 });
    expect((await write(emu, 0, emu.token)).status).toBe(204);
    const first = await write(emu, 1, emu.token);
    expect(first.status).toBe(429);
    const wait = Number(first.headers.get('retry-after'));
    await sleep(wait * 1000 + 5);
    const again = await write(emu, 1, emu.token);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBe(wait);
    emu.configure({ rateRepeat429: 0 });
    await sleep(wait * 1000 + 5);
    expect((await write(emu, 1, emu.token)).status).toBe(204);
    expect(emu.stats()).toMatchObject({ earlyRetries: 0, throttled: { repeated: 1, total: 2 } });
  });
});

describe('$batch inner responses as Graph sends them (docs/graph-behaviour.md §2)', () => {
  it('a body that is not JSON comes base64-encoded, its Content-Type in the inner headers; no inner ids', async () => {
    emu = await start({ devices: testDevices(3), rateInner503Html: 1 });
    const r = await batch(emu, [innerPatch('1', device(0), { displayName: 'x' })]);
    const inner = r.json.responses[0];
    expect(inner.status).toBe(503);
    expect(inner.headers['Content-Type']).toBe('text/html');
    expect(inner.headers).not.toHaveProperty('request-id');
    expect(typeof inner.body).toBe('string');
    expect(Buffer.from(inner.body, 'base64').toString('utf8')).toMatch(/^<html>.*Service Unavailable/);
    expect(emu.getDevice(device(0))?.displayName).not.toBe('x');
    expect(emu.stats().faults.inner503).toBe(1);
  });
});

/** GET /devices with $filter / $count / $orderby over HTTP, DELETE, on-premises synced devices, the clock
 * (docs/graph-behaviour.md §5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInventory, INVENTORY_REFERENCE_MS, type Emulator } from '../../src/emulator/index.js';
import { ANDROID, IOS, UNKNOWN, WIN, WIN_LOWER, batch, call, graphError, innerPatch, patch, start, testDevices } from './helpers.js';

const EVENTUAL = { headers: { ConsistencyLevel: 'eventual' } };
const q = (filter: string, extra = '') => `/v1.0/devices?$filter=${encodeURIComponent(filter)}${extra}`;
const ids = (r: { json: { value: Array<{ id: string }> } }) => r.json.value.map((d) => d.id);

describe('$filter, $count and paging over HTTP', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start({ devices: testDevices(1200) });
  });
  afterAll(() => emu.stop());

  it("a basic filter needs no header; ne / not / endsWith without ConsistencyLevel: eventual get Graph's 400", async () => {
    expect(ids(await call(emu, 'GET', q("accountEnabled eq true and startswith(displayName,'IPH')")))).toEqual([IOS.id]);
    for (const [filter, op] of [
      ["operatingSystem ne 'Windows'", 'ne'],
      ["not(startswith(displayName,'WKS'))", 'not'],
      ["endswith(displayName,'00003')", 'endsWith'],
    ] as const) {
      const bare = await call(emu, 'GET', q(filter));
      expect(bare.status).toBe(400);
      expect(graphError(bare)).toMatchObject({ code: 'Request_UnsupportedQuery' });
      expect(graphError(bare).message).toBe(
        `Operator '${op}' is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
      );
      const headerOnly = await call(emu, 'GET', q(filter), EVENTUAL);
      expect(headerOnly.status).toBe(400);
      expect(graphError(headerOnly).message).toContain('Try adding $count=true query parameter and ConsistencyLevel:eventual header');
      const ok = await call(emu, 'GET', q(filter, '&$count=true'), EVENTUAL);
      expect(ok.status).toBe(200);
    }
    const android = await call(emu, 'GET', q("endswith(displayName,'BER-00004')", '&$count=true'), EVENTUAL);
    expect(ids(android)).toEqual([ANDROID.id]);
  });

  it('$count=true gives @odata.count (all pages), needs the header; $top 999 pages follow with every option kept', async () => {
    expect((await call(emu, 'GET', '/v1.0/devices?$count=true')).status).toBe(400);
    const first = await call(emu, 'GET', `${q("operatingSystem ne 'iOS'", '&$count=true')}&$top=999&$select=id`, EVENTUAL);
    expect(first.status).toBe(200);
    expect(first.json['@odata.count']).toBe(1204);
    expect(first.json.value).toHaveLength(999);
    const next = new URL(first.json['@odata.nextLink']);
    expect(next.searchParams.get('$filter')).toBe("operatingSystem ne 'iOS'");
    expect(next.searchParams.get('$count')).toBe('true');
    expect(next.searchParams.get('$top')).toBe('999');
    // Each page's request must carry the header again.
    expect((await call(emu, 'GET', next.pathname + next.search)).status).toBe(400);
    const second = await call(emu, 'GET', next.pathname + next.search, EVENTUAL);
    expect(second.json.value).toHaveLength(205);
    expect(second.json['@odata.nextLink']).toBeUndefined();
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(1204);
  });

  it('$orderby alone is basic; with $filter it is an advanced query ("Sorting not supported for current query.")', async () => {
    const sorted = await call(emu, 'GET', '/v1.0/devices?$orderby=displayName desc&$top=2&$select=displayName');
    expect(sorted.json.value.map((d: { displayName: string }) => d.displayName)).toEqual(['WKS-LON-00002', 'WKS-LON-00001']);
    const refused = await call(emu, 'GET', `${q("startswith(displayName,'WKS-LON')")}&$orderby=displayName`);
    expect(refused.status).toBe(400);
    expect(graphError(refused).message).toBe('Sorting not supported for current query.');
    const ok = await call(emu, 'GET', `${q("startswith(displayName,'WKS-LON')")}&$orderby=displayName desc&$count=true`, EVENTUAL);
    expect(ids(ok)).toEqual([WIN_LOWER.id, WIN.id]);
    expect((await call(emu, 'GET', '/v1.0/devices?$orderby=model')).status).toBe(400);
  });

  it('inside $batch the ConsistencyLevel header goes in the inner request', async () => {
    const url = `/devices?$filter=${encodeURIComponent("operatingSystem ne 'Windows'")}&$count=true&$select=id`;
    const r = await batch(emu, [
      { id: '1', method: 'GET', url },
      { id: '2', method: 'GET', url, headers: { ConsistencyLevel: 'eventual' } },
    ]);
    const byId = new Map(r.json.responses.map((x: { id: string }) => [x.id, x]));
    expect((byId.get('1') as { status: number }).status).toBe(400);
    const ok = byId.get('2') as { status: number; body: { value: Array<{ id: string }>; '@odata.count': number } };
    expect(ok.status).toBe(200);
    // operatingSystem 'windows' (lower case) equals 'Windows': strings compare case-insensitively
    expect(ok.body['@odata.count']).toBe(3);
  });
});

describe('DELETE /devices', () => {
  let emu: Emulator;
  beforeAll(async () => {
    const devices = testDevices();
    devices.push({
      id: '33333333-3333-4333-8333-000000000001',
      deviceId: 'ffffffff-ffff-4fff-8fff-000000000001',
      displayName: 'HYB-LON-00001',
      operatingSystem: 'Windows',
      accountEnabled: true,
      trustType: 'ServerAd',
      onPremisesSyncEnabled: true,
      extensionAttributes: {},
    });
    emu = await start({ devices });
  });
  afterAll(() => emu.stop());

  it('204 by object id and by deviceId; gone afterwards (GET 404, not listed); a second DELETE 404', async () => {
    const first = await call(emu, 'DELETE', `/v1.0/devices/${IOS.id}`);
    expect(first.status).toBe(204);
    expect(first.text).toBe('');
    expect(emu.getDevice(IOS.id)).toBeUndefined();
    expect((await call(emu, 'GET', `/v1.0/devices/${IOS.id}`)).status).toBe(404);
    expect((await call(emu, 'DELETE', `/v1.0/devices/${IOS.id}`)).status).toBe(404);
    expect((await call(emu, 'DELETE', `/v1.0/devices(deviceId='${ANDROID.deviceId}')`)).status).toBe(204);
    const list = await call(emu, 'GET', '/v1.0/devices?$select=id');
    expect(ids(list)).not.toContain(ANDROID.id);
    expect(list.json.value).toHaveLength(4);
    expect((await call(emu, 'DELETE', `/v1.0/devices/${UNKNOWN}`)).status).toBe(404);
  });

  it('in $batch; a device synced from on-premises refuses DELETE and writes to its synced properties, not its extension attributes', async () => {
    const hybrid = '33333333-3333-4333-8333-000000000001';
    const r = await batch(emu, [
      { id: '1', method: 'DELETE', url: `/devices/${WIN_LOWER.id}` },
      { id: '2', method: 'DELETE', url: `/devices/${hybrid}` },
    ]);
    const byId = new Map(r.json.responses.map((x: { id: string; status: number }) => [x.id, x]));
    expect((byId.get('1') as { status: number }).status).toBe(204);
    const refused = byId.get('2') as { status: number; body: { error: { code: string; message: string } } };
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(
      /^Unable to update the specified properties for on-premises mastered Directory Sync objects/,
    );
    expect(emu.getDevice(hybrid)).toBeDefined();
    for (const body of [{ accountEnabled: false }, { displayName: 'x' }]) {
      const p = await patch(emu, hybrid, body);
      expect(p.status).toBe(400);
      expect(graphError(p).code).toBe('Request_BadRequest');
    }
    expect((await patch(emu, hybrid, { extensionAttributes: { extensionAttribute1: 'tag' } })).status).toBe(204);
    expect(emu.getDevice(hybrid)).toMatchObject({ accountEnabled: true, extensionAttributes: { extensionAttribute1: 'tag' } });
    const inner = await batch(emu, [innerPatch('1', hybrid, { accountEnabled: false })]);
    expect(inner.json.responses[0].status).toBe(400);
  });

  it('a DELETE is a write: charged to the write budget (429 when it is empty), and needs a device-write permission', async () => {
    emu.configure({ writeBudget: { burst: 1, refillPerSecond: 0.01 } });
    expect((await patch(emu, WIN.id, { extensionAttributes: { extensionAttribute9: 'a' } })).status).toBe(204);
    const throttled = await call(emu, 'DELETE', `/v1.0/devices/${WIN.id}`);
    expect(throttled.status).toBe(429);
    expect(emu.getDevice(WIN.id)).toBeDefined();
    emu.configure({ writeBudget: false });
    const readOnly = emu.issueToken(undefined, { roles: ['Device.Read.All'] });
    expect((await call(emu, 'DELETE', `/v1.0/devices/${WIN.id}`, { token: readOnly })).status).toBe(403);
    expect(emu.getDevice(WIN.id)).toBeDefined();
  });
});

describe('clock, sign-ins and the generated inventory', () => {
  it('signIn stamps the emulator clock; a disabled device cannot sign in', async () => {
    let now = Date.UTC(2026, 0, 15, 8, 30, 0, 123);
    const emu = await start({ clock: () => now });
    try {
      expect(emu.signIn(WIN.id)).toBe(true);
      expect(emu.getDevice(WIN.id)!.approximateLastSignInDateTime).toBe('2026-01-15T08:30:00Z');
      now += 86_400_000;
      expect(emu.signIn(WIN.deviceId)).toBe(true);
      expect(emu.getDevice(WIN.id)!.approximateLastSignInDateTime).toBe('2026-01-16T08:30:00Z');
      await patch(emu, WIN.id, { accountEnabled: false });
      expect(emu.signIn(WIN.id)).toBe(false);
      expect(emu.signIn(UNKNOWN)).toBe(false);
    } finally {
      await emu.stop();
    }
  });

  it('inventory: Autopilot [ZTDID] on Windows only, some devices without a timestamp, stale ones, hybridSynced on request', () => {
    const devices = generateInventory(2000, 3);
    const autopilot = devices.filter((d) => d.physicalIds?.some((p) => p.startsWith('[ZTDID]:')));
    expect(autopilot.length).toBeGreaterThan(100);
    expect(autopilot.every((d) => d.operatingSystem === 'Windows')).toBe(true);
    const noStamp = devices.filter((d) => d.approximateLastSignInDateTime === null).length;
    expect(noStamp).toBeGreaterThan(20);
    const stale = devices.filter(
      (d) => d.approximateLastSignInDateTime && Date.parse(d.approximateLastSignInDateTime) < INVENTORY_REFERENCE_MS - 120 * 86_400_000,
    ).length;
    expect(stale).toBeGreaterThan(100);
    expect(devices.every((d) => d.onPremisesSyncEnabled === null)).toBe(true);
    const hybrid = generateInventory(2000, 3, { hybridSynced: true });
    expect(hybrid.filter((d) => d.onPremisesSyncEnabled === true).every((d) => d.trustType === 'ServerAd')).toBe(true);
    expect(hybrid.filter((d) => d.trustType === 'ServerAd').every((d) => d.onPremisesSyncEnabled === true)).toBe(true);
    expect(hybrid.map((d) => d.id)).toEqual(devices.map((d) => d.id));
  });
});

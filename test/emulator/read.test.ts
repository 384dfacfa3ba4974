/** GET /devices/{id}, devices(deviceId=…) and the paged list. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { IOS, UNKNOWN, WIN, call, graphError, start, testDevices } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ devices: testDevices(245) }); // 250 devices
});
afterAll(() => emu.stop());

describe('GET one device', () => {
  it('object-id form: Graph entity shape with @odata.context', async () => {
    const r = await call(emu, 'GET', `/v1.0/devices/${WIN.id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json['@odata.context']).toBe(`${emu.url}/v1.0/$metadata#devices/$entity`);
    expect(r.json).toMatchObject({ id: WIN.id, deviceId: WIN.deviceId, operatingSystem: 'Windows' });
    expect(Object.keys(r.json.extensionAttributes)).toHaveLength(15);
  });

  it('alternate-key form and $select (comma list, unknown-but-real property → null)', async () => {
    const r = await call(
      emu,
      'GET',
      `/v1.0/devices(deviceId='${IOS.deviceId.toUpperCase()}')?$select=id,displayName,extensionAttributes,model`,
    );
    expect(r.status).toBe(200);
    expect(r.json['@odata.context']).toBe(`${emu.url}/v1.0/$metadata#devices(id,displayName,extensionAttributes,model)/$entity`);
    expect(Object.keys(r.json).sort()).toEqual(['@odata.context', 'displayName', 'extensionAttributes', 'id', 'model']);
    expect(r.json.id).toBe(IOS.id);
    expect(r.json.model).toBeNull();
  });

  it('$select of an unknown property: 400', async () => {
    const r = await call(emu, 'GET', `/v1.0/devices/${WIN.id}?$select=displayName,colour`);
    expect(r.status).toBe(400);
    expect(graphError(r).code).toBe('Request_BadRequest');
  });

  it('unknown device: 404 Request_ResourceNotFound; bad id: 400', async () => {
    const r = await call(emu, 'GET', `/v1.0/devices/${UNKNOWN}`);
    expect(r.status).toBe(404);
    expect(graphError(r).code).toBe('Request_ResourceNotFound');
    expect((await call(emu, 'GET', '/v1.0/devices/xyz')).status).toBe(400);
  });
});

describe('GET /devices (list)', () => {
  it('default page of 100 with an absolute @odata.nextLink carrying $skiptoken; following it visits every device once', async () => {
    const first = await call(emu, 'GET', '/v1.0/devices');
    expect(first.status).toBe(200);
    expect(first.json['@odata.context']).toBe(`${emu.url}/v1.0/$metadata#devices`);
    expect(first.json.value).toHaveLength(100);
    const seen = new Set<string>(first.json.value.map((d: { id: string }) => d.id));
    let next: string | undefined = first.json['@odata.nextLink'];
    expect(next).toMatch(new RegExp(`^${emu.url}/v1\\.0/devices\\?.*\\$skiptoken=`));
    let pages = 1;
    while (next) {
      const page = await call(emu, 'GET', next.slice(emu.url.length));
      expect(page.status).toBe(200);
      for (const d of page.json.value) seen.add(d.id);
      next = page.json['@odata.nextLink'];
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(250);
  });

  it('$top (max 999) and $select are kept in the next link', async () => {
    const r = await call(emu, 'GET', '/v1.0/devices?$top=999&$select=id,deviceId');
    expect(r.json.value).toHaveLength(250);
    expect(r.json['@odata.nextLink']).toBeUndefined();
    const small = await call(emu, 'GET', '/v1.0/devices?$top=7&$select=id');
    expect(small.json.value).toHaveLength(7);
    expect(Object.keys(small.json.value[0])).toEqual(['id']);
    const next = new URL(small.json['@odata.nextLink']);
    expect(next.searchParams.get('$top')).toBe('7');
    expect(next.searchParams.get('$select')).toBe('id');
  });

  it('$top outside 1..999 or not a number: 400', async () => {
    for (const top of ['0', '1000', 'abc', '-1']) {
      const r = await call(emu, 'GET', `/v1.0/devices?$top=${top}`);
      expect(r.status).toBe(400);
    }
    expect((await call(emu, 'GET', '/v1.0/devices?$skiptoken=garbage')).status).toBe(400);
  });

  it('$filter <property> eq <literal> (case-insensitive for GUID keys)', async () => {
    const r = await call(emu, 'GET', `/v1.0/devices?$filter=deviceId eq '${WIN.deviceId.toUpperCase()}'`);
    expect(r.json.value.map((d: { id: string }) => d.id)).toEqual([WIN.id]);
    const os = await call(emu, 'GET', "/v1.0/devices?$filter=operatingSystem eq 'iOS'&$select=id");
    expect(os.json.value).toEqual([{ id: IOS.id }]);
    // Graph refuses what the device page does not list: gt on any property, ge on accountEnabled.
    expect((await call(emu, 'GET', "/v1.0/devices?$filter=displayName gt 'W'")).status).toBe(400);
    expect((await call(emu, 'GET', '/v1.0/devices?$filter=accountEnabled ge true')).status).toBe(400);
  });

  it('reads are not limited by the write budget', async () => {
    emu.configure({ writeBudget: { burst: 1, refillPerSecond: 1 } });
    const statuses = await Promise.all(Array.from({ length: 10 }, () => call(emu, 'GET', `/v1.0/devices/${WIN.id}`).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    emu.configure({ writeBudget: false });
  });

  it('optional read budget throttles GETs with their own scope', async () => {
    emu.configure({ readBudget: { burst: 2, refillPerSecond: 1 } });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await call(emu, 'GET', `/v1.0/devices/${WIN.id}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last?.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    emu.configure({ readBudget: false });
  });
});

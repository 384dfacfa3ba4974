/** Counters (`stats()`, GET /_emulator/stats) and the request log (`requests()`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorStats } from '../../src/emulator/index.js';
import { IOS, UNKNOWN, WIN, batch, call, innerPatch, patch, start } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ writeBudget: undefined }); // Graph's default budget
});
afterAll(() => emu.stop());

describe('stats', () => {
  it('counts requests by route and status, inner requests by status, writes applied', async () => {
    await patch(emu, WIN.id, { displayName: 's1' });
    await patch(emu, UNKNOWN, { displayName: 's2' });
    await call(emu, 'PATCH', `/v1.0/devices(deviceId='${WIN.deviceId}')`, { body: { displayName: 's3' } });
    await call(emu, 'GET', `/v1.0/devices/${IOS.id}`);
    await call(emu, 'GET', '/v1.0/devices?$top=2');
    await batch(emu, [innerPatch('1', WIN.id, { displayName: 's4' }), innerPatch('2', UNKNOWN, { displayName: 'x' })]);
    await call(emu, 'GET', '/v1.0/users');
    const s = emu.stats();
    expect(s.requests.byRoute).toEqual({
      'PATCH /devices/{id}': { '204': 1, '404': 1 },
      "PATCH /devices(deviceId='{deviceId}')": { '204': 1 },
      'GET /devices/{id}': { '200': 1 },
      'GET /devices': { '200': 1 },
      'POST /$batch': { '200': 1 },
      'GET (unrouted)': { '400': 1 },
    });
    expect(s.requests.total).toBe(7);
    expect(s.innerRequests).toEqual({ total: 2, byStatus: { '204': 1, '404': 1 } });
    expect(s.writesApplied).toBe(3);
    expect(s.writeBudget).toMatchObject({ burst: 3000, refillPerSecond: 20 });
    const http = (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as EmulatorStats;
    expect(http.requests.byRoute).toEqual(s.requests.byRoute);
    expect(http.writesApplied).toBe(3);
  });
});

describe('request log', () => {
  it('every Graph request in arrival order, decoded path, parsed body, lower-case headers, authorization redacted', async () => {
    emu.resetLog();
    await call(emu, 'PATCH', `/v1.0/devices(deviceId=%27${WIN.deviceId}%27)`, {
      body: { extensionAttributes: { extensionAttribute1: null } },
      headers: { 'Client-Request-Id': 'corr-9' },
    });
    await call(emu, 'PATCH', `/v1.0/devices/${WIN.id}`, { rawBody: 'not json', headers: { 'content-type': 'application/json' } });
    const log = emu.requests();
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      method: 'PATCH',
      path: `/v1.0/devices(deviceId='${WIN.deviceId}')`,
      viaBatch: false,
      status: 204,
      outcome: 'answered',
      body: { extensionAttributes: { extensionAttribute1: null } },
    });
    expect(log[0]?.headers.authorization).toBe('Bearer <redacted>');
    expect(log[0]?.headers['client-request-id']).toBe('corr-9');
    expect(typeof log[0]?.at).toBe('number');
    expect(log[1]).toMatchObject({ status: 400, body: undefined, rawBody: 'not json' });
    expect(JSON.stringify(log)).not.toContain(emu.token);
  });

  it('lets tests assert that no request reached a device', async () => {
    emu.resetLog();
    await patch(emu, WIN.id, { displayName: 'only-this' });
    const touched = (id: string) => emu.requests().some((e) => e.path.toLowerCase().includes(id.toLowerCase()));
    expect(touched(WIN.id)).toBe(true);
    expect(touched(IOS.id)).toBe(false);
  });

  it('requests() returns copies; resetLog() clears the log but not the counters', async () => {
    const copy = emu.requests();
    copy.length = 0;
    expect(emu.requests().length).toBeGreaterThan(0);
    const before = emu.stats().requests.total;
    emu.resetLog();
    expect(emu.requests()).toEqual([]);
    expect(emu.stats().requests.total).toBe(before);
  });

  it('429 entries carry the Retry-After sent; the log is served at /_emulator/requests', async () => {
    emu.configure({ writeBudget: { burst: 1, refillPerSecond: 1 } });
    emu.resetLog();
    await patch(emu, WIN.id, { displayName: 'a' });
    await patch(emu, IOS.id, { extensionAttributes: { extensionAttribute1: 'b' } });
    const log = emu.requests();
    expect(log[1]?.status).toBe(429);
    expect(log[1]?.retryAfter).toBeGreaterThan(0);
    const served = await (await fetch(`${emu.url}/_emulator/requests`)).json();
    expect(served).toHaveLength(2);
    emu.configure({ writeBudget: false });
  });

  it('getDevice / devices return deep copies', () => {
    const d = emu.getDevice(WIN.id);
    if (!d) throw new Error('missing');
    d.extensionAttributes.extensionAttribute1 = 'mutated';
    expect(emu.getDevice(WIN.id)?.extensionAttributes.extensionAttribute1).not.toBe('mutated');
    expect(emu.devices()).toHaveLength(5);
    expect(emu.getDevice(WIN.deviceId)?.id).toBe(WIN.id);
    expect(emu.getDevice(UNKNOWN)).toBeUndefined();
  });
});

/** POST /$batch conformance (docs/graph-behaviour.md §2). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { IOS, UNKNOWN, WIN, WIN_LOWER, batch, call, graphError, innerPatch, start, testDevices } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ devices: testDevices(40), seed: 7 });
});
afterAll(() => emu.stop());
beforeEach(() => {
  emu.configure({ writeBudget: false, rateInner500: 0 });
  emu.resetLog();
});

const extraId = (i: number) => `22222222-2222-4222-8222-${String(i + 100).padStart(12, '0')}`;
const byId = (responses: { id: string }[]) => new Map(responses.map((r) => [r.id, r]));

describe('$batch envelope', () => {
  it('outer 200 {"responses":[…]} with one {id,status,headers,body?} per request; writes applied', async () => {
    const r = await batch(emu, [
      innerPatch('1', WIN.id, { displayName: 'batched-1' }),
      {
        id: '2',
        method: 'PATCH',
        url: `/devices(deviceId='${WIN_LOWER.deviceId}')`,
        headers: { 'Content-Type': 'application/json' },
        body: { displayName: 'batched-2' },
      },
      { id: '3', method: 'GET', url: `/devices/${IOS.id}?$select=displayName` },
      innerPatch('4', UNKNOWN, { displayName: 'x' }),
    ]);
    expect(r.status).toBe(200);
    expect(r.headers.get('request-id')).toBeTruthy();
    const responses = byId(r.json.responses);
    expect(responses.size).toBe(4);
    expect(responses.get('1')).toMatchObject({ status: 204 });
    expect(responses.get('1')).not.toHaveProperty('body');
    expect(responses.get('2')).toMatchObject({ status: 204 });
    expect(responses.get('3')).toMatchObject({ status: 200, body: { displayName: 'IPH-PAR-00003' } });
    expect(responses.get('4')).toMatchObject({ status: 404, body: { error: { code: 'Request_ResourceNotFound' } } });
    // Graph sends few inner headers and no ids (docs/graph-behaviour.md §2): ids only in an error body's innerError
    for (const inner of r.json.responses) {
      expect(Object.keys(inner.headers).map((h) => h.toLowerCase())).not.toContain('request-id');
      expect(Object.keys(inner.headers).map((h) => h.toLowerCase())).not.toContain('client-request-id');
    }
    expect(r.json.responses.find((x: { id: string }) => x.id === '4').body.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.getDevice(WIN.id)?.displayName).toBe('batched-1');
    expect(emu.getDevice(WIN_LOWER.id)?.displayName).toBe('batched-2');
  });

  it('outer status is 200 even when every inner request failed', async () => {
    const r = await batch(emu, [innerPatch('a', UNKNOWN, { displayName: 'x' }), innerPatch('b', WIN.id, { bogus: 1 })]);
    expect(r.status).toBe(200);
    expect(r.json.responses.map((x: { status: number }) => x.status).sort()).toEqual([400, 404]);
  });

  it('responses come back shuffled (seeded), matched by id', async () => {
    const requests = Array.from({ length: 20 }, (_, i) =>
      innerPatch(String(i + 1), extraId(i), { extensionAttributes: { extensionAttribute1: `v${i}` } }),
    );
    const r = await batch(emu, requests);
    const ids = r.json.responses.map((x: { id: string }) => x.id);
    expect(ids.slice().sort((a: string, b: string) => Number(a) - Number(b))).toEqual(requests.map((q) => q.id));
    expect(ids).not.toEqual(requests.map((q) => q.id));
  });

  it('more than 20 requests: whole batch 400, nothing applied', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => innerPatch(String(i), extraId(i), { displayName: 'too-many' }));
    const r = await batch(emu, requests);
    expect(r.status).toBe(400);
    expect(graphError(r).message).toContain('Number of requests inside batch exceeds the limit');
    expect(emu.getDevice(extraId(0))?.displayName).not.toBe('too-many');
  });

  it('duplicate ids (case-insensitive): whole batch 400', async () => {
    const r = await batch(emu, [
      innerPatch('row-A', WIN.id, { displayName: 'dup' }),
      innerPatch('ROW-a', WIN_LOWER.id, { displayName: 'dup' }),
    ]);
    expect(r.status).toBe(400);
    expect(graphError(r).message).toMatch(/has to be unique/);
    expect(emu.getDevice(WIN.id)?.displayName).not.toBe('dup');
  });

  it('ids must be strings: a numeric id is a whole-batch 400', async () => {
    const r = await batch(emu, [{ ...innerPatch('1', WIN.id, { displayName: 'x' }), id: 1 }]);
    expect(r.status).toBe(400);
  });

  it('a body without a Content-Type header: whole batch 400 (Graph: "does not contain Content-Type header or body")', async () => {
    const r = await batch(emu, [
      innerPatch('1', WIN.id, { displayName: 'never-applied' }),
      { id: '2', method: 'PATCH', url: `/devices/${WIN_LOWER.id}`, body: { displayName: 'x' } },
    ]);
    expect(r.status).toBe(400);
    expect(graphError(r)).toMatchObject({
      code: 'BadRequest',
      message: 'Write request id : 2 does not contain Content-Type header or body.',
    });
    expect(emu.getDevice(WIN.id)?.displayName).not.toBe('never-applied');
    // a PATCH without body is rejected the same way
    const nobody = await batch(emu, [
      { id: '1', method: 'PATCH', url: `/devices/${WIN.id}`, headers: { 'Content-Type': 'application/json' } },
    ]);
    expect(nobody.status).toBe(400);
  });

  it('header names are case-insensitive; a non-JSON Content-Type value is an inner 400', async () => {
    const r = await batch(emu, [
      {
        id: '1',
        method: 'PATCH',
        url: `/devices/${WIN.id}`,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: { displayName: 'lc-header' },
      },
      { id: '2', method: 'PATCH', url: `/devices/${WIN_LOWER.id}`, headers: { 'Content-Type': 'text/plain' }, body: { displayName: 'x' } },
    ]);
    const res = byId(r.json.responses);
    expect(res.get('1')).toMatchObject({ status: 204 });
    expect(res.get('2')).toMatchObject({ status: 400 });
  });

  it('an inner url starting /v1.0/ or absolute: inner 400 "Resource not found for the segment \'v1.0\'"', async () => {
    const r = await batch(emu, [
      innerPatch('1', WIN.id, { displayName: 'ok-relative' }),
      { ...innerPatch('2', WIN.id, { displayName: 'x' }), url: `/v1.0/devices/${WIN.id}` },
      { ...innerPatch('3', WIN.id, { displayName: 'x' }), url: `https://graph.microsoft.com/v1.0/devices/${WIN.id}` },
      { ...innerPatch('4', WIN.id, { displayName: 'no-leading-slash' }), url: `devices/${WIN_LOWER.id}` },
    ]);
    expect(r.status).toBe(200);
    const res = byId(r.json.responses);
    expect(res.get('1')).toMatchObject({ status: 204 });
    for (const id of ['2', '3']) {
      expect(res.get(id)).toMatchObject({ status: 400, body: { error: { message: "Resource not found for the segment 'v1.0'." } } });
    }
    expect(res.get('4')).toMatchObject({ status: 204 });
    expect(emu.getDevice(WIN.id)?.displayName).toBe('ok-relative');
  });

  it('inner rules are the single-request rules (app-only non-Windows, MDM properties)', async () => {
    const r = await batch(emu, [innerPatch('1', IOS.id, { accountEnabled: false }), innerPatch('2', WIN.id, { isCompliant: true })]);
    const res = byId(r.json.responses);
    expect(res.get('1')).toMatchObject({ status: 400, body: { error: { code: 'Request_BadRequest' } } });
    expect(res.get('2')).toMatchObject({ status: 403, body: { error: { code: 'Authorization_RequestDenied' } } });
  });

  it('dependsOn: a dependent of a failed request gets 424; unknown dependency is a whole-batch 400', async () => {
    const r = await batch(emu, [
      innerPatch('1', UNKNOWN, { displayName: 'x' }),
      { ...innerPatch('2', WIN.id, { displayName: 'dep' }), dependsOn: ['1'] },
    ]);
    expect(byId(r.json.responses).get('2')).toMatchObject({ status: 424 });
    const bad = await batch(emu, [{ ...innerPatch('1', WIN.id, { displayName: 'x' }), dependsOn: ['9'] }]);
    expect(bad.status).toBe(400);
  });

  it('not JSON / no requests array: 400', async () => {
    expect((await call(emu, 'POST', '/v1.0/$batch', { rawBody: 'nope', headers: { 'content-type': 'application/json' } })).status).toBe(
      400,
    );
    expect((await call(emu, 'POST', '/v1.0/$batch', { body: { value: [] } })).status).toBe(400);
    expect((await call(emu, 'GET', '/v1.0/$batch')).status).toBe(405);
  });

  it('each inner request is throttled on its own: inner 429 with its own Retry-After inside inner headers', async () => {
    emu.configure({ writeBudget: { burst: 3, refillPerSecond: 10 } });
    const requests = Array.from({ length: 6 }, (_, i) =>
      innerPatch(String(i + 1), extraId(10 + i), { extensionAttributes: { extensionAttribute3: 'x' } }),
    );
    const r = await batch(emu, requests);
    expect(r.status).toBe(200);
    const throttled = r.json.responses.filter((x: { status: number }) => x.status === 429);
    expect(throttled).toHaveLength(3);
    const waits = throttled.map((x: { headers: Record<string, string>; body: { error: { code: string } } }) => {
      expect(x.body.error.code).toBe('TooManyRequests');
      const key = Object.keys(x.headers).find((k) => k.toLowerCase() === 'retry-after');
      expect(key).toBeDefined();
      expect(x.headers['x-ms-throttle-information']).toBe('WriteLimitExceeded');
      return Number(x.headers[key as string]);
    });
    expect(waits.every((w: number) => w > 0 && w <= 0.3)).toBe(true);
    expect(new Set(waits).size).toBe(3); // each its own wait
    expect(emu.stats().throttled.inner).toBeGreaterThanOrEqual(3);
    // re-sending exactly the throttled requests after the longest inner Retry-After: all pass
    await new Promise((res) => setTimeout(res, Math.max(...waits) * 1000));
    const again = await batch(
      emu,
      throttled.map((x: { id: string }) => requests[Number(x.id) - 1]),
    );
    expect(again.json.responses.map((x: { status: number }) => x.status)).toEqual([204, 204, 204]);
  });

  it('rateInner500: inner 500 InternalServerError/UnknownError, write not applied', async () => {
    emu.configure({ rateInner500: 1 });
    const r = await batch(emu, [innerPatch('1', WIN.id, { displayName: 'never-500' })]);
    const inner = r.json.responses[0];
    expect(inner.status).toBe(500);
    expect(['InternalServerError', 'UnknownError']).toContain(inner.body.error.code);
    expect(emu.getDevice(WIN.id)?.displayName).not.toBe('never-500');
  });

  it('inner requests are logged flattened after their batch, with batchId and body', async () => {
    const r = await batch(emu, [
      innerPatch('r7', WIN.id, { displayName: 'logged' }),
      { id: 'r8', method: 'GET', url: `/devices/${IOS.id}` },
    ]);
    const log = emu.requests();
    expect(log.map((e) => [e.method, e.viaBatch, e.batchId])).toEqual([
      ['POST', false, undefined],
      ['PATCH', true, 'r7'],
      ['GET', true, 'r8'],
    ]);
    expect(log[1]).toMatchObject({
      path: `/devices/${WIN.id}`,
      status: 204,
      body: { displayName: 'logged' },
      batchRequestId: r.headers.get('request-id'),
    });
    expect(log[1]?.headers['content-type']).toBe('application/json');
  });

  it('auth is checked on the outer request only', async () => {
    const r = await batch(
      emu,
      [{ ...innerPatch('1', WIN.id, { displayName: 'x' }), headers: { 'Content-Type': 'application/json', Authorization: 'Bearer junk' } }],
      { token: null },
    );
    expect(r.status).toBe(401);
    const ok = await batch(emu, [
      {
        ...innerPatch('1', WIN.id, { displayName: 'inner-auth-ignored' }),
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer junk' },
      },
    ]);
    expect(ok.json.responses[0].status).toBe(204);
  });
});

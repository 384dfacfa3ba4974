/** Pure rules: routes, PATCH validation/authorization, batch envelope, query, PRNG, fault plans. */
import { describe, expect, it } from 'vitest';
import { parseBatchEnvelope } from '../../src/emulator/batch.js';
import { normalizeDevice } from '../../src/emulator/device-model.js';
import { planInnerFault, planOuterFaults } from '../../src/emulator/faults.js';
import { applyPatch, authorizePatch, validatePatchBody } from '../../src/emulator/patch-rules.js';
import { createPrng } from '../../src/emulator/prng.js';
import { decodeSkipToken, encodeSkipToken, parseDeviceQuery } from '../../src/emulator/query.js';
import { parseResourcePath, splitVersion } from '../../src/emulator/routes.js';

const G = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('routes', () => {
  it('parses both addressing forms, case-insensitively, and the collection and $batch', () => {
    expect(parseResourcePath(`/devices/${G.toUpperCase()}`)).toEqual({ kind: 'device', keyType: 'id', key: G });
    expect(parseResourcePath(`devices(deviceId='${G}')`)).toEqual({ kind: 'device', keyType: 'deviceId', key: G });
    expect(parseResourcePath(`/devices('${G}')`)).toEqual({ kind: 'device', keyType: 'id', key: G });
    expect(parseResourcePath('/devices')).toEqual({ kind: 'devices' });
    expect(parseResourcePath('/$batch')).toEqual({ kind: 'batch' });
  });

  it('errors: segment not found, invalid object identifier, key syntax', () => {
    expect(parseResourcePath(`/v1.0/devices/${G}`)).toMatchObject({
      kind: 'error',
      error: { status: 400, message: "Resource not found for the segment 'v1.0'." },
    });
    expect(parseResourcePath('/devices/abc')).toMatchObject({
      error: { code: 'Request_BadRequest', message: "Invalid object identifier 'abc'." },
    });
    expect(parseResourcePath(`/devices(deviceId=${G})`)).toMatchObject({ error: { code: 'Request_BadRequest' } });
    expect(splitVersion('/v1.0/devices')).toEqual({ version: 'v1.0', rest: '/devices' });
    expect(splitVersion('/beta/devices')).toEqual({ version: 'beta', rest: '/devices' });
    expect(splitVersion('/v2/devices')).toHaveProperty('error');
  });
});

describe('PATCH rules', () => {
  const win = normalizeDevice({ id: G, deviceId: G.replace('0f8f', '1f8f'), operatingSystem: 'WINDOWS' }, 0);
  const ios = normalizeDevice({ id: G, deviceId: G.replace('0f8f', '1f8f'), operatingSystem: 'iOS' }, 0);

  it('validates types and names', () => {
    expect(
      validatePatchBody({ displayName: 'a', accountEnabled: true, extensionAttributes: { extensionAttribute15: null } }),
    ).toMatchObject({ ok: true });
    expect(validatePatchBody({ '@odata.type': '#microsoft.graph.device', displayName: 'a' })).toMatchObject({
      ok: true,
      value: { displayName: 'a' },
    });
    expect(validatePatchBody(null)).toMatchObject({ ok: false, error: { status: 400 } });
    expect(validatePatchBody({ nope: 1 })).toMatchObject({ ok: false, error: { message: "Invalid property 'nope'." } });
    expect(validatePatchBody({ extensionAttributes: { extensionattribute1: 'x' } })).toMatchObject({ ok: false, error: { status: 400 } });
    expect(validatePatchBody({ extensionAttributes: { extensionAttribute1: 'x'.repeat(1025) } })).toMatchObject({ ok: false });
    expect(validatePatchBody({ deviceOwnership: 'Company' })).toMatchObject({ ok: false, error: { status: 403 } });
    expect(validatePatchBody({ id: G })).toMatchObject({ ok: false, error: { status: 400 } });
  });

  it('authorizes per caller and device (operatingSystem compared case-insensitively)', () => {
    const p = (b: object) => {
      const v = validatePatchBody(b);
      if (!v.ok) throw new Error('invalid');
      return v.value;
    };
    expect(authorizePatch(p({ accountEnabled: false }), win, { appOnly: true, mdmApp: false })).toBeUndefined();
    expect(authorizePatch(p({ accountEnabled: false }), ios, { appOnly: true, mdmApp: false })).toMatchObject({ status: 400 });
    expect(authorizePatch(p({ extensionAttributes: {} }), ios, { appOnly: true, mdmApp: false })).toBeUndefined();
    expect(authorizePatch(p({ accountEnabled: false }), ios, { appOnly: false, mdmApp: false })).toBeUndefined();
    expect(authorizePatch(p({ isManaged: true }), win, { appOnly: true, mdmApp: false })).toMatchObject({ status: 403 });
    expect(authorizePatch(p({ isManaged: true }), win, { appOnly: true, mdmApp: true })).toBeUndefined();
    expect(authorizePatch(p({ isManaged: true }), ios, { appOnly: false, mdmApp: true })).toMatchObject({ status: 403 });
  });

  it('applies: null clears, absent keys kept, input untouched; dropClear keeps the value', () => {
    const d = { ...win, extensionAttributes: { ...win.extensionAttributes, extensionAttribute1: 'a', extensionAttribute2: 'b' } };
    const { device } = applyPatch(d, { extensionAttributes: { extensionAttribute1: null } });
    expect(device.extensionAttributes).toMatchObject({ extensionAttribute1: null, extensionAttribute2: 'b' });
    expect(d.extensionAttributes.extensionAttribute1).toBe('a');
    const dropped = applyPatch(d, { extensionAttributes: { extensionAttribute1: null } }, true);
    expect(dropped.device.extensionAttributes.extensionAttribute1).toBe('a');
    expect(dropped.droppedClears).toEqual(['extensionAttribute1']);
  });
});

describe('batch envelope', () => {
  const req = (id: string, extra: object = {}) => ({
    id,
    method: 'PATCH',
    url: `/devices/${G}`,
    headers: { 'Content-Type': 'application/json' },
    body: {},
    ...extra,
  });
  it('accepts up to 20, rejects 21, duplicates (case-insensitive), missing content type', () => {
    expect(parseBatchEnvelope({ requests: Array.from({ length: 20 }, (_, i) => req(String(i))) })).toMatchObject({ ok: true });
    expect(parseBatchEnvelope({ requests: Array.from({ length: 21 }, (_, i) => req(String(i))) })).toMatchObject({
      ok: false,
      error: { status: 400 },
    });
    expect(parseBatchEnvelope({ requests: [req('a'), req('A')] })).toMatchObject({
      ok: false,
      error: { message: 'Request Id A has to be unique in a batch.' },
    });
    expect(parseBatchEnvelope({ requests: [req('a', { headers: {} })] })).toMatchObject({ ok: false });
    expect(parseBatchEnvelope({ requests: [req('a', { headers: { 'content-type': 'application/json' } })] })).toMatchObject({ ok: true });
    expect(parseBatchEnvelope({ requests: [{ id: '1', method: 'GET', url: '/devices' }] })).toMatchObject({ ok: true });
    expect(parseBatchEnvelope({ requests: [{ id: '1', method: 'FETCH', url: '/devices' }] })).toMatchObject({ ok: false });
    expect(parseBatchEnvelope([])).toMatchObject({ ok: false });
  });
});

describe('query', () => {
  it('skip tokens round-trip; $select canonicalises names', () => {
    expect(decodeSkipToken(encodeSkipToken(4242))).toBe(4242);
    expect(decodeSkipToken('abc')).toBeUndefined();
    const q = parseDeviceQuery(new URLSearchParams('$select=DisplayName,id'), false);
    expect(q).toMatchObject({ ok: true, query: { select: ['displayName', 'id'] } });
    // $orderby alone is a basic query; with $filter it needs ConsistencyLevel: eventual and $count=true (§5).
    expect(parseDeviceQuery(new URLSearchParams('$orderby=displayName'), true)).toMatchObject({ ok: true });
    expect(parseDeviceQuery(new URLSearchParams("$orderby=displayName&$filter=displayName eq 'x'"), true)).toMatchObject({ ok: false });
    expect(
      parseDeviceQuery(new URLSearchParams("$orderby=displayName&$filter=displayName eq 'x'&$count=true"), true, {
        consistencyLevel: 'eventual',
      }),
    ).toMatchObject({ ok: true, query: { count: true, orderBy: { property: 'displayName', descending: false } } });
    expect(parseDeviceQuery(new URLSearchParams('$search="x"'), true)).toMatchObject({ ok: false });
  });
});

describe('seeded randomness', () => {
  it('createPrng is deterministic and uniform enough; uuid is a v4 GUID', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(createPrng('s').uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(createPrng(1).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('fault plans follow the configured rates and the seed', () => {
    const prng = createPrng(9);
    const kinds = Array.from({ length: 4000 }, () => planOuterFaults(prng, { rate503: 0.1, rateDrop: 0.05, rate504: 0.05 }).kind);
    const share = (k: string) => kinds.filter((x) => x === k).length / kinds.length;
    expect(share('503')).toBeGreaterThan(0.08);
    expect(share('503')).toBeLessThan(0.12);
    expect(share('drop')).toBeGreaterThan(0.03);
    expect(share('none')).toBeGreaterThan(0.77);
    expect(planOuterFaults(createPrng(1), {}).kind).toBe('none');
    expect(planInnerFault(createPrng(1), { rateInner500: 1 })).toMatch(/InternalServerError|UnknownError/);
    expect(planOuterFaults(createPrng(1), { latencyMs: { min: 10, max: 20 } }).latencyMs).toBeGreaterThanOrEqual(10);
  });
});

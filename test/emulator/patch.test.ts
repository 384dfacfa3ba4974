/** PATCH /devices conformance (docs/graph-behaviour.md §1), over real HTTP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { ANDROID, IOS, MAC, UNKNOWN, WIN, WIN_LOWER, call, graphError, patch, start } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await start();
});
afterAll(() => emu.stop());
beforeEach(() => emu.configure({ appOnly: true, mdmApp: false, forceError: undefined }));

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('PATCH success', () => {
  it('object-id form: 204, empty body, state kept (read back with GET)', async () => {
    const r = await patch(emu, WIN.id, { displayName: 'WKS-LON-RENAMED', accountEnabled: false });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('request-id')).toMatch(GUID_RE);
    expect(r.headers.get('x-ms-resource-unit')).toBe('1');
    const back = await call(emu, 'GET', `/v1.0/devices/${WIN.id}?$select=displayName,accountEnabled,operatingSystem`);
    expect(back.json).toMatchObject({ displayName: 'WKS-LON-RENAMED', accountEnabled: false, operatingSystem: 'Windows' });
  });

  it("alternate-key form devices(deviceId='…') and /beta/ work; properties not sent keep their values", async () => {
    const r = await call(emu, 'PATCH', `/beta/devices(deviceId='${WIN.deviceId}')`, { body: { operatingSystemVersion: '10.0.26100.1' } });
    expect(r.status).toBe(204);
    const d = emu.getDevice(WIN.id);
    expect(d?.operatingSystemVersion).toBe('10.0.26100.1');
    expect(d?.displayName).toBe('WKS-LON-RENAMED');
  });

  it('GUIDs match case-insensitively (both forms)', async () => {
    expect((await patch(emu, WIN.id.toUpperCase(), { extensionAttributes: { extensionAttribute5: 'upper' } })).status).toBe(204);
    const r = await call(emu, 'PATCH', `/v1.0/devices(deviceId='${WIN.deviceId.toUpperCase()}')`, {
      body: { extensionAttributes: { extensionAttribute6: 'upper2' } },
    });
    expect(r.status).toBe(204);
    expect(emu.getDevice(WIN.deviceId.toUpperCase())?.extensionAttributes).toMatchObject({
      extensionAttribute5: 'upper',
      extensionAttribute6: 'upper2',
    });
  });

  it('extensionAttributes: null clears a key, keys not sent keep their values', async () => {
    expect((await patch(emu, WIN_LOWER.id, { extensionAttributes: { extensionAttribute1: 'CC-1010' } })).status).toBe(204);
    expect((await patch(emu, WIN_LOWER.id, { extensionAttributes: { extensionAttribute2: null } })).status).toBe(204);
    const back = await call(emu, 'GET', `/v1.0/devices/${WIN_LOWER.id}?$select=extensionAttributes`);
    expect(back.json.extensionAttributes.extensionAttribute1).toBe('CC-1010');
    expect(back.json.extensionAttributes.extensionAttribute2).toBeNull();
    expect(Object.keys(back.json.extensionAttributes)).toHaveLength(15);
  });

  it("operatingSystem 'windows' (lower case) counts as Windows for app-only callers", async () => {
    expect((await patch(emu, WIN_LOWER.id, { displayName: 'lower-os-ok' })).status).toBe(204);
  });
});

describe('PATCH errors', () => {
  it('unknown device: 404 Request_ResourceNotFound with Graph message; object id used as deviceId too', async () => {
    const r = await patch(emu, UNKNOWN, { displayName: 'x' });
    expect(r.status).toBe(404);
    const e = graphError(r);
    expect(e.code).toBe('Request_ResourceNotFound');
    expect(e.message).toBe(`Resource '${UNKNOWN}' does not exist or one of its queried reference-property objects are not present.`);
    // a deviceId in the object-id form (and the reverse) is 404 (§1)
    expect((await patch(emu, WIN.deviceId, { displayName: 'x' })).status).toBe(404);
    const reverse = await call(emu, 'PATCH', `/v1.0/devices(deviceId='${WIN.id}')`, { body: { displayName: 'x' } });
    expect(reverse.status).toBe(404);
    expect(graphError(reverse).code).toBe('Request_ResourceNotFound');
  });

  it.each([
    ['not a GUID', '/v1.0/devices/not-a-guid'],
    ['truncated GUID', `/v1.0/devices/${WIN.id.slice(0, 30)}`],
    ['key not a GUID', "/v1.0/devices(deviceId='abc')"],
    ['unquoted key', `/v1.0/devices(deviceId=${WIN.deviceId})`],
    ['double-quoted key', `/v1.0/devices(deviceId="${WIN.deviceId}")`],
    ['unterminated quote', `/v1.0/devices(deviceId='${WIN.deviceId})`],
    ['unknown key name', `/v1.0/devices(displayName='${WIN.deviceId}')`],
  ])('malformed id or key segment (%s): 400 Request_BadRequest', async (_name, path) => {
    const r = await call(emu, 'PATCH', path, { body: { displayName: 'x' } });
    expect(r.status).toBe(400);
    expect(graphError(r).code).toBe('Request_BadRequest');
  });

  it('unknown property: 400 Request_BadRequest "Invalid property \'<name>\'"; nothing applied', async () => {
    const r = await patch(emu, WIN.id, { displayName: 'never', colour: 'blue' });
    expect(r.status).toBe(400);
    expect(graphError(r)).toMatchObject({ code: 'Request_BadRequest', message: "Invalid property 'colour'." });
    expect(emu.getDevice(WIN.id)?.displayName).not.toBe('never');
    // property names are case-sensitive
    const cased = await patch(emu, WIN.id, { AccountEnabled: false });
    expect(graphError(cased).message).toBe("Invalid property 'AccountEnabled'.");
  });

  it.each([
    ['string for accountEnabled', { accountEnabled: 'false' }],
    ['number for displayName', { displayName: 42 }],
    ['null for accountEnabled', { accountEnabled: null }],
    ['non-object extensionAttributes', { extensionAttributes: 'x' }],
    ['array extensionAttributes', { extensionAttributes: ['x'] }],
    ['unknown key inside extensionAttributes', { extensionAttributes: { extensionAttribute16: 'x' } }],
    ['number inside extensionAttributes', { extensionAttributes: { extensionAttribute1: 5 } }],
    ['empty displayName', { displayName: '' }],
    ['read-only property', { trustType: 'AzureAd' }],
  ])('wrong JSON type or value (%s): 400, nothing applied', async (_name, body) => {
    const before = emu.getDevice(WIN.id);
    const r = await patch(emu, WIN.id, body);
    expect(r.status).toBe(400);
    expect(['Request_BadRequest', 'BadRequest']).toContain(graphError(r).code);
    expect(emu.getDevice(WIN.id)).toEqual(before);
  });

  it('body that is not JSON, not an object, empty, or sent without Content-Type application/json: 400', async () => {
    for (const opts of [
      { rawBody: '{"displayName":', headers: { 'content-type': 'application/json' } },
      { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } },
      { rawBody: '', headers: { 'content-type': 'application/json' } },
      { rawBody: '{"displayName":"x"}', headers: { 'content-type': 'text/plain;charset=UTF-8' } },
      { rawBody: '{"displayName":"x"}' },
    ]) {
      const r = await call(emu, 'PATCH', `/v1.0/devices/${WIN.id}`, opts);
      expect(r.status).toBe(400);
      expect(graphError(r).code).toBe('BadRequest');
    }
  });

  it('isCompliant / isManaged: 403 Authorization_RequestDenied unless an MDM app (Windows only)', async () => {
    for (const body of [{ isCompliant: true }, { isManaged: false }]) {
      const r = await patch(emu, WIN.id, body);
      expect(r.status).toBe(403);
      expect(graphError(r)).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
    }
    emu.configure({ mdmApp: true });
    expect((await patch(emu, WIN.id, { isCompliant: true })).status).toBe(204);
    expect(emu.getDevice(WIN.id)?.isCompliant).toBe(true);
    // an MDM app may set them only on Windows devices
    expect((await patch(emu, IOS.id, { isCompliant: true })).status).toBe(403);
  });

  it('Intune-owned deviceOwnership / enrollmentProfileName: 403', async () => {
    expect((await patch(emu, WIN.id, { deviceOwnership: 'Company' })).status).toBe(403);
    expect((await patch(emu, WIN.id, { enrollmentProfileName: 'x' })).status).toBe(403);
  });

  it('app-only: non-Windows devices accept only extensionAttributes (400 otherwise)', async () => {
    for (const dev of [IOS, ANDROID, MAC]) {
      const r = await patch(emu, dev.id, { accountEnabled: false });
      expect(r.status).toBe(400);
      expect(graphError(r)).toMatchObject({
        code: 'Request_BadRequest',
        message: 'Properties other than ExtendedAttribute1..15 can be modified only on windows devices.',
      });
      expect(emu.getDevice(dev.id)?.accountEnabled).toBe(true);
      const mixed = await patch(emu, dev.id, { displayName: 'y', extensionAttributes: { extensionAttribute1: 'z' } });
      expect(mixed.status).toBe(400);
      expect(emu.getDevice(dev.id)?.extensionAttributes.extensionAttribute1).toBeNull();
      expect((await patch(emu, dev.id, { extensionAttributes: { extensionAttribute1: 'ok' } })).status).toBe(204);
      expect(emu.getDevice(dev.id)?.extensionAttributes.extensionAttribute1).toBe('ok');
    }
  });

  it('delegated (appOnly false): non-Windows devices accept other properties', async () => {
    emu.configure({ appOnly: false });
    expect((await patch(emu, ANDROID.id, { accountEnabled: false })).status).toBe(204);
    expect(emu.getDevice(ANDROID.id)?.accountEnabled).toBe(false);
  });

  it('unsupported method on a device: 405; unknown segment: 400; bad version: 400', async () => {
    expect((await call(emu, 'PUT', `/v1.0/devices/${WIN.id}`, { body: {} })).status).toBe(405);
    const seg = await call(emu, 'GET', `/v1.0/devices/${WIN.id}/memberOf`);
    expect(seg.status).toBe(400);
    expect(graphError(seg).message).toBe("Resource not found for the segment 'memberOf'.");
    const ver = await call(emu, 'GET', `/v2.0/devices/${WIN.id}`);
    expect(ver.status).toBe(400);
    expect(graphError(ver).message).toContain('Invalid version');
  });
});

describe('error shape and ids', () => {
  it('every error: {"error":{code,message,innerError:{date,request-id,client-request-id}}}; client-request-id echoed', async () => {
    const r = await patch(emu, UNKNOWN, { displayName: 'x' }, { headers: { 'client-request-id': 'my-correlation-1' } });
    const e = graphError(r);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('client-request-id')).toBe('my-correlation-1');
    expect(e.innerError['client-request-id']).toBe('my-correlation-1');
    expect(e.innerError['request-id']).toBe(r.headers.get('request-id'));
    expect(e.innerError['request-id']).toMatch(GUID_RE);
    expect(e.innerError.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });

  it('a response without client-request-id from the client still carries one (= request-id)', async () => {
    const r = await call(emu, 'GET', `/v1.0/devices/${WIN.id}`);
    expect(r.headers.get('client-request-id')).toBe(r.headers.get('request-id'));
  });
});

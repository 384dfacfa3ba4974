import { describe, expect, it } from 'vitest';
import { GraphConfigError } from '../../src/graph/clouds.js';
import { DeviceStateError, parseDeviceState, selectFor } from '../../src/graph/device-state.js';
import { InvalidDeviceKeyError, deviceReadPath } from '../../src/graph/urls.js';

const G = '6a59ea83-02bd-468f-a40b-f2c3d1821983';

describe('device reads', () => {
  it("selects id, operatingSystem and the body's own properties", () => {
    expect(selectFor({ displayName: 'x', extensionAttributes: { extensionAttribute3: null } })).toEqual([
      'id',
      'operatingSystem',
      'displayName',
      'extensionAttributes',
    ]);
    expect(selectFor({ operatingSystem: 'Windows' })).toEqual(['id', 'operatingSystem']);
  });

  it('builds both addressing forms with $select, and only from known names and GUIDs', () => {
    expect(deviceReadPath(G, 'id', ['id', 'displayName'])).toBe(`/devices/${G}?$select=id,displayName`);
    expect(deviceReadPath(G, 'deviceId', ['id', 'extensionAttributes'])).toBe(`/devices(deviceId='${G}')?$select=id,extensionAttributes`);
    expect(() => deviceReadPath(G, 'id', ['id', 'x&$expand=owners'])).toThrow(GraphConfigError);
    expect(() => deviceReadPath(G, 'id', [])).toThrow(GraphConfigError);
    expect(() => deviceReadPath(`${G}?$select=*`, 'id', ['id'])).toThrow(InvalidDeviceKeyError);
  });

  it('reads a $select answer: all 15 extension attributes, wrong types as null, annotations ignored', () => {
    const s = parseDeviceState({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#devices(id,displayName)/$entity',
      id: G.toUpperCase(),
      displayName: 'PC',
      accountEnabled: 'yes',
      extensionAttributes: { extensionAttribute1: 'a', extensionAttribute2: 5 },
    });
    expect(s.id).toBe(G);
    expect(s.displayName).toBe('PC');
    expect(s.accountEnabled).toBeNull();
    expect(s.extensionAttributes).toMatchObject({ extensionAttribute1: 'a', extensionAttribute2: null, extensionAttribute15: null });
    expect(Object.keys(s.extensionAttributes!)).toHaveLength(15);
    expect('operatingSystem' in s).toBe(false);
    expect(() => parseDeviceState({ displayName: 'no id' })).toThrow(DeviceStateError);
    expect(() => parseDeviceState('<html>')).toThrow(DeviceStateError);
  });
});

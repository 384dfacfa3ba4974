import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphConfigError } from '../../src/graph/clouds.js';
import { isGuid } from '../../src/graph/guid.js';
import { InvalidDeviceKeyError, batchUrl, devicePath, odataStringLiteral, versionRoot, type ApiVersion } from '../../src/graph/urls.js';

const G = '6a59ea83-02bd-468f-a40b-f2c3d1821983';

describe('isGuid', () => {
  it.each([
    [G, true],
    [G.toUpperCase(), true],
    ['6A59ea83-02BD-468f-a40b-F2C3d1821983', true],
    ['00000000-0000-0000-0000-000000000000', true],
    [`{${G}}`, false],
    [`(${G})`, false],
    [` ${G}`, false],
    [`${G} `, false],
    [`${G}\n`, false],
    [G.replace(/-/g, ''), false],
    ['6a59ea83-02bd-468f-a40b-f2c3d182198', false],
    ['6a59ea83-02bd-468f-a40b-f2c3d18219833', false],
    ['6a59ea83-02bd-468f-a40b-f2c3d182198g', false],
    ['6a59ea8-302bd-468f-a40b-f2c3d1821983', false],
    [`urn:uuid:${G}`, false],
    ['', false],
  ])('%j → %s', (s, expected) => {
    expect(isGuid(s)).toBe(expected);
  });

  it('rejects non-strings', () => {
    expect(isGuid(undefined as unknown as string)).toBe(false);
    expect(isGuid(42 as unknown as string)).toBe(false);
  });

  it('accepts every generated UUID', () => {
    fc.assert(fc.property(fc.uuid(), (u) => isGuid(u) && isGuid(u.toUpperCase())));
  });
});

describe('odataStringLiteral', () => {
  it.each([
    ['abc', "'abc'"],
    ['', "''"],
    ["a'b", "'a''b'"],
    ["'", "''''"],
    ["''", "''''''"],
    ["O'Brien's", "'O''Brien''s'"],
    [G, `'${G}'`],
  ])('%j → %s', (s, lit) => {
    expect(odataStringLiteral(s)).toBe(lit);
  });

  it('round-trips: strip the outer quotes and undouble', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const lit = odataStringLiteral(s);
        return lit.startsWith("'") && lit.endsWith("'") && lit.slice(1, -1).replace(/''/g, "'") === s;
      }),
    );
  });
});

describe('devicePath', () => {
  it('object id form', () => {
    expect(devicePath(G, 'id')).toBe(`/devices/${G}`);
  });

  it('alternate key form', () => {
    expect(devicePath(G, 'deviceId')).toBe(`/devices(deviceId='${G}')`);
  });

  it('keeps the key as given (case)', () => {
    expect(devicePath(G.toUpperCase(), 'id')).toBe(`/devices/${G.toUpperCase()}`);
  });

  it.each([
    '../users/x',
    '..%2fusers',
    '%2e%2e',
    `%2e%2e/${G}`,
    'x?$select=*',
    `${G}?$select=*`,
    `${G}/owner`,
    "a'b",
    `${G}')`,
    ` ${G}`,
    `${G} `,
    `{${G}}`,
    '',
    'null',
    `${G}#x`,
  ])('rejects %j for both key types', (key) => {
    for (const kt of ['id', 'deviceId'] as const) {
      expect(() => devicePath(key, kt)).toThrow(InvalidDeviceKeyError);
      expect(() => devicePath(key, kt)).toThrow(GraphConfigError);
    }
  });

  it('rejects an unknown key type', () => {
    expect(() => devicePath(G, 'objectId' as 'id')).toThrow(InvalidDeviceKeyError);
  });

  it('every accepted key yields one of the two exact shapes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), fc.string()), fc.constantFrom('id' as const, 'deviceId' as const), (k, kt) => {
        let p: string;
        try {
          p = devicePath(k, kt);
        } catch (e) {
          return e instanceof InvalidDeviceKeyError && !isGuid(k);
        }
        return isGuid(k) && (p === `/devices/${k}` || p === `/devices(deviceId='${k}')`);
      }),
    );
  });
});

describe('versionRoot / batchUrl', () => {
  it.each<[string, ApiVersion, string, string]>([
    ['https://graph.microsoft.com', 'v1.0', 'https://graph.microsoft.com/v1.0', 'https://graph.microsoft.com/v1.0/$batch'],
    ['https://graph.microsoft.com', 'beta', 'https://graph.microsoft.com/beta', 'https://graph.microsoft.com/beta/$batch'],
    ['http://127.0.0.1:4567', 'v1.0', 'http://127.0.0.1:4567/v1.0', 'http://127.0.0.1:4567/v1.0/$batch'],
    ['https://graph.microsoft.us/', 'v1.0', 'https://graph.microsoft.us/v1.0', 'https://graph.microsoft.us/v1.0/$batch'],
  ])('%s %s', (root, v, vr, bu) => {
    expect(versionRoot(root, v)).toBe(vr);
    expect(batchUrl(root, v)).toBe(bu);
  });

  it('direct request URL composes', () => {
    expect(versionRoot('https://graph.microsoft.com', 'v1.0') + devicePath(G, 'deviceId')).toBe(
      `https://graph.microsoft.com/v1.0/devices(deviceId='${G}')`,
    );
  });

  it('rejects an unknown version', () => {
    expect(() => versionRoot('https://graph.microsoft.com', 'v2.0' as ApiVersion)).toThrow(GraphConfigError);
    expect(() => batchUrl('https://graph.microsoft.com', '' as ApiVersion)).toThrow(GraphConfigError);
  });
});

/** Generated inventories and fixtures/devices-5000.json. */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateInventory, inventoryJson, startEmulator } from '../../src/emulator/index.js';
import { EXTENSION_ATTRIBUTE_NAMES } from '../../src/emulator/device-model.js';
import { testDevices } from './helpers.js';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('generateInventory', () => {
  const devices = generateInventory(5000, 1);

  it('is deterministic in (count, seed)', () => {
    expect(generateInventory(50, 1)).toEqual(devices.slice(0, 50));
    expect(generateInventory(50, 2)).not.toEqual(devices.slice(0, 50));
  });

  it('is realistic: Windows ~70 %, iOS/Android/MacMDM/Linux present, distinct GUIDs, names, all 15 attributes mostly null', () => {
    const byOs = new Map<string, number>();
    for (const d of devices) byOs.set(String(d.operatingSystem), (byOs.get(String(d.operatingSystem)) ?? 0) + 1);
    expect((byOs.get('Windows') ?? 0) / 5000).toBeGreaterThan(0.65);
    expect((byOs.get('Windows') ?? 0) / 5000).toBeLessThan(0.75);
    for (const os of ['iOS', 'Android', 'MacMDM', 'Linux']) expect(byOs.get(os) ?? 0).toBeGreaterThan(50);
    const ids = new Set(devices.flatMap((d) => [d.id, d.deviceId]));
    expect(ids.size).toBe(10000);
    for (const d of devices.slice(0, 200)) {
      expect(d.id).toMatch(GUID_RE);
      expect(d.deviceId).toMatch(GUID_RE);
      expect(d.displayName).toMatch(/^[A-Z]{2,4}-[A-Z]{3}-\d{5}$/);
      expect(Object.keys(d.extensionAttributes)).toEqual(EXTENSION_ATTRIBUTE_NAMES);
      expect(typeof d.accountEnabled).toBe('boolean');
      if (d.approximateLastSignInDateTime !== null) expect(d.approximateLastSignInDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const values = devices.flatMap((d) => Object.values(d.extensionAttributes));
    expect(values.filter((v) => v === null).length / values.length).toBeGreaterThan(0.9);
  });

  it('fixtures/devices-5000.json is exactly generateInventory(5000, 1) in Graph list shape', () => {
    const text = readFileSync(new URL('../../fixtures/devices-5000.json', import.meta.url), 'utf8');
    expect(text).toBe(inventoryJson(5000, 1));
    expect(JSON.parse(text).value).toHaveLength(5000);
  });
});

describe('device sources', () => {
  it('default inventory is the fixture (5,000 devices, seed 1)', async () => {
    const emu = await startEmulator();
    try {
      expect(emu.devices()).toHaveLength(5000);
      expect(emu.devices()[0]?.id).toBe(generateInventory(1, 1)[0]?.id);
    } finally {
      await emu.stop();
    }
  });

  it('loads a JSON file in list shape or as a plain array; fills missing extension attributes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-'));
    const list = join(dir, 'list.json');
    const array = join(dir, 'array.json');
    const devices = testDevices();
    writeFileSync(list, JSON.stringify({ value: devices }));
    writeFileSync(array, JSON.stringify([{ id: devices[0]?.id, deviceId: devices[0]?.deviceId, operatingSystem: 'Windows' }]));
    for (const [path, n] of [
      [list, 5],
      [array, 1],
    ] as const) {
      const emu = await startEmulator({ devices: path });
      try {
        expect(emu.devices()).toHaveLength(n);
        expect(Object.keys(emu.devices()[0]?.extensionAttributes ?? {})).toHaveLength(15);
      } finally {
        await emu.stop();
      }
    }
  });

  it('rejects invalid or duplicate devices', async () => {
    await expect(startEmulator({ devices: [{ id: 'x', deviceId: 'y' }] })).rejects.toThrow(/GUID/);
    const d = testDevices()[0];
    await expect(startEmulator({ devices: [d, d] })).rejects.toThrow(/duplicate/);
  });
});

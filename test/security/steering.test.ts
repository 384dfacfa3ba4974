/**
 * Input must never steer a request (issue 6): only a validated GUID reaches a URL. Hostile keys in
 * the `id` and `deviceId` columns, in CSV and JSON manifests, in batch and single mode, are `invalid`
 * with no request; keys with unambiguous noise (braces, quotes, zero-width characters, upper case)
 * reach exactly the canonical `/devices/{guid}` or `/devices(deviceId='{guid}')`, and the results
 * row says what was normalised.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import type { KeyType } from '../../src/types.js';
import { tempFile } from '../helpers/results.js';
import { caseEmulator, DEVICE_ID, ID, patchPaths, runJobOn } from './helpers.js';

/** Keys that must never reach the server, whatever the key column. */
const HOSTILE = [
  '../users/x',
  '%2e%2e',
  'x?$select=*',
  "a'b",
  `${ID.pc8}/../../users`,
  `${ID.pc8}'); DELETE`,
  `${ID.pc8}%27`,
  `{${ID.pc8}`,
];

/** Two keys with noise that is safe to remove, per key type: [written, canonical, notes]. */
function noisy(keyType: KeyType): Array<[string, string, string[]]> {
  const [a, b] = keyType === 'id' ? [ID.pc0, ID.pc1] : [DEVICE_ID.pc0, DEVICE_ID.pc1];
  return [
    [`{${a.toUpperCase()}}`, a, [`removed braces around ${keyType}`, `lower-cased ${keyType}`]],
    [
      `\u00a0\u200b${b.slice(0, 9)}\u200d${b.slice(9)}\u00a0`,
      b,
      [`removed zero-width characters from ${keyType}`, `trimmed whitespace around ${keyType}`],
    ],
  ];
}

function manifest(format: 'csv' | 'json', keyType: KeyType): string {
  const rows = [...HOSTILE, ...noisy(keyType).map(([written]) => written)].map((key, i) => ({
    [keyType]: key,
    extensionAttribute1: `steer-${i + 1}`,
  }));
  if (format === 'json') return tempFile('steer.json', JSON.stringify(rows, null, 1));
  const cell = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return tempFile(
    'steer.csv',
    [`${keyType},extensionAttribute1`, ...rows.map((r) => `${cell(r[keyType]!)},${r.extensionAttribute1}`)].join('\r\n'),
  );
}

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('input never steers a request', () => {
  for (const format of ['csv', 'json'] as const) {
    for (const keyType of ['id', 'deviceId'] as const) {
      for (const mode of ['batch', 'single'] as const) {
        it(`${format}, ${keyType} column, ${mode} mode: hostile keys are invalid and unsent; noisy keys reach the canonical path`, async () => {
          emu = await caseEmulator();
          const r = await runJobOn(emu, { manifest: manifest(format, keyType), mode });
          expect(r.summary?.exitCode).toBe(1);

          // What the server saw: exactly the two canonical paths, nothing else.
          const canonical = noisy(keyType).map(([, key]) => (keyType === 'id' ? `/devices/${key}` : `/devices(deviceId='${key}')`));
          const expected = mode === 'single' ? canonical.map((p) => `/v1.0${p}`) : canonical;
          expect(patchPaths(emu).sort()).toEqual(expected.sort());
          // The devices are read first (GETs inside one $batch), at the same canonical paths only.
          expect(
            emu
              .requests()
              .filter((q) => q.method === 'GET')
              .map((q) => q.path)
              .sort(),
          ).toEqual(canonical.map((p) => `${p}?$select=id,operatingSystem,extensionAttributes`).sort());
          expect(
            emu
              .requests()
              .filter((q) => q.method === 'POST')
              .map((q) => q.path),
          ).toEqual(mode === 'batch' ? ['/v1.0/$batch', '/v1.0/$batch'] : ['/v1.0/$batch']);

          // What the user reads: one line per row; hostile rows invalid, naming row, column and value.
          expect(r.rows.map((x) => x.row)).toEqual(HOSTILE.concat(['', '']).map((_, i) => String(i + 1)));
          HOSTILE.forEach((key, i) => {
            const line = r.rows[i]!;
            expect(line.outcome).toBe('invalid');
            expect(line.attempts).toBe('0');
            expect(line.errorMessage).toContain(`row ${i + 1}: ${keyType} ${JSON.stringify(key)}`);
            expect(line.errorMessage).toMatch(/is not a GUID/);
          });
          noisy(keyType).forEach(([written, key, notes], j) => {
            const line = r.rows[HOSTILE.length + j]!;
            expect(line.outcome).toBe('updated');
            expect(line.key).toBe(key);
            expect(line.keyType).toBe(keyType);
            expect(line[keyType]).toBe(written); // the manifest's own cell, as written
            for (const note of notes) expect(line.errorMessage).toContain(note);
          });
          const device = keyType === 'id' ? emu.getDevice(ID.pc0) : emu.getDevice(DEVICE_ID.pc0);
          expect(device!.extensionAttributes.extensionAttribute1).toBe(`steer-${HOSTILE.length + 1}`);
          expect(emu.getDevice(ID.pc8)!.extensionAttributes.extensionAttribute1 ?? '').not.toMatch(/^steer/);
        });
      }
    }
  }

  it('a normalised key that the server does not know fails with the normalisation in its message', async () => {
    emu = await caseEmulator();
    const unknown = '0f0f0f0f-0000-4000-8000-000000000001';
    const r = await runJobOn(emu, {
      manifest: tempFile('unknown.csv', `id,extensionAttribute1\n{${unknown.toUpperCase()}},x\n`),
      mode: 'single',
    });
    // the device read before writing finds nothing: no PATCH is sent
    expect(
      emu
        .requests()
        .filter((q) => q.method === 'GET')
        .map((q) => q.path),
    ).toEqual([`/devices/${unknown}?$select=id,operatingSystem,extensionAttributes`]);
    expect(patchPaths(emu)).toEqual([]);
    expect(r.rows[0]).toMatchObject({ outcome: 'failed', httpStatus: '404', errorCode: 'Request_ResourceNotFound' });
    expect(r.rows[0]!.errorMessage).toContain('removed braces around id');
    expect(r.rows[0]!.errorMessage).toContain('lower-cased id');
  });
});

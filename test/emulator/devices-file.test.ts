/**
 * `graph-bulk emulator --devices` with the files admins have (test/cases A07): a PowerShell
 * `Get-MgDevice | ConvertTo-Json` export (UTF-8 BOM, PascalCase, `/Date(…)/`), and clear one-line
 * errors, no stack trace, exit 3, for a missing or broken file and a port in use.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { loadDevicesFile } from '../../src/emulator/store.js';
import { runCli } from '../helpers/cli.js';
import { casesDir } from '../helpers/paths.js';
import { STACK_LINE } from '../security/helpers.js';

const A07 = join(casesDir, 'A07-powershell-devices.json');
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('A07 a PowerShell ConvertTo-Json device export as the emulator inventory', () => {
  it('loads: camelCase properties, extension attributes, ISO dates, AdditionalProperties merged', () => {
    const devices = loadDevicesFile(A07);
    expect(devices).toHaveLength(3);
    expect(devices[0]).toMatchObject({
      id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
      deviceId: '73ab4876-7734-47c1-87fd-e805ec99108d',
      displayName: 'LAB-PC-000',
      operatingSystem: 'Windows',
      accountEnabled: true,
      approximateLastSignInDateTime: '2025-05-30T07:01:12Z',
      manufacturer: 'Dell Inc.',
    });
    expect(Object.keys(devices[0]!.extensionAttributes)).toHaveLength(15);
    expect(devices[0]).not.toHaveProperty('Id');
    expect(devices[0]).not.toHaveProperty('AdditionalProperties');
  });

  it('serves the devices by id and by deviceId', async () => {
    emu = await startEmulator({ devices: A07 });
    const get = (path: string) => fetch(`${emu!.url}/v1.0${path}`, { headers: { authorization: `Bearer ${emu!.token}` } });
    const byId = await get('/devices/309d6b79-965e-4a32-9ae4-45508201e2bd?$select=displayName');
    expect(byId.status).toBe(200);
    expect(((await byId.json()) as { displayName: string }).displayName).toBe('LAB-PC-001');
    const byDeviceId = await get("/devices(deviceId='244caf9c-4dab-4481-b253-edc618187993')?$select=displayName");
    expect(((await byDeviceId.json()) as { displayName: string }).displayName).toBe('LAB-PC-002');
  });

  it('one device object (ConvertTo-Json of a single device) is an inventory of one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graph-bulk-devices-'));
    const file = join(dir, 'one.json');
    writeFileSync(
      file,
      `\uFEFF${JSON.stringify({ Id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d', DeviceId: '73ab4876-7734-47c1-87fd-e805ec99108d' })}`,
    );
    expect(loadDevicesFile(file).map((d) => d.deviceId)).toEqual(['73ab4876-7734-47c1-87fd-e805ec99108d']);
  });
});

describe('graph-bulk emulator: clear errors, exit 3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-bulk-emulator-cli-'));

  it.each([
    [
      'a missing --devices file',
      () => ['--devices', join(dir, 'nope.json')],
      /^graph-bulk emulator: cannot read the devices file .*nope\.json: no such file$/,
    ],
    [
      'a --devices file that is not JSON',
      () => {
        writeFileSync(join(dir, 'bad.json'), '[\n  {"id": "x",\n  }\n]\n');
        return ['--devices', join(dir, 'bad.json')];
      },
      /^graph-bulk emulator: the devices file .*bad\.json is not valid JSON at line 3, column 3/,
    ],
    [
      'a device without a GUID id',
      () => {
        writeFileSync(join(dir, 'noid.json'), '[{"Id": "PC-1", "DeviceId": "73ab4876-7734-47c1-87fd-e805ec99108d"}]');
        return ['--devices', join(dir, 'noid.json')];
      },
      /^graph-bulk emulator: .*noid\.json: device #0: id must be a GUID, got "PC-1"$/,
    ],
  ])('%s', async (_what, args, message) => {
    const r = await runCli(['emulator', ...args()], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a port in use', async () => {
    emu = await startEmulator({ devices: [] });
    const port = new URL(emu.url).port;
    const r = await runCli(['emulator', '--port', port, '--count', '1'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      `graph-bulk emulator: port ${port} on 127.0.0.1 is already in use (another emulator?): choose another --port, or --port 0 for any free port`,
    );
  });
});

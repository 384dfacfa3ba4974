/** Test helpers: a small known inventory and a thin fetch wrapper for the emulator. */
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

const nullAttrs = (): Record<string, string | null> =>
  Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`extensionAttribute${i + 1}`, null]));

/** Known devices: object ids `…0001`…, deviceIds `…d001`… */
export const WIN = { id: '11111111-1111-4111-8111-000000000001', deviceId: 'dddddddd-dddd-4ddd-8ddd-00000000d001' };
export const WIN_LOWER = { id: '11111111-1111-4111-8111-000000000002', deviceId: 'dddddddd-dddd-4ddd-8ddd-00000000d002' };
export const IOS = { id: '11111111-1111-4111-8111-000000000003', deviceId: 'dddddddd-dddd-4ddd-8ddd-00000000d003' };
export const ANDROID = { id: '11111111-1111-4111-8111-000000000004', deviceId: 'dddddddd-dddd-4ddd-8ddd-00000000d004' };
export const MAC = { id: '11111111-1111-4111-8111-000000000005', deviceId: 'dddddddd-dddd-4ddd-8ddd-00000000d005' };
/** A GUID that is no device's id or deviceId. */
export const UNKNOWN = '99999999-9999-4999-8999-999999999999';

export function testDevices(extra = 0): Record<string, unknown>[] {
  const base = [
    { ...WIN, displayName: 'WKS-LON-00001', operatingSystem: 'Windows', operatingSystemVersion: '10.0.22631.4890' },
    { ...WIN_LOWER, displayName: 'WKS-LON-00002', operatingSystem: 'windows', operatingSystemVersion: '10.0.19045.5371' },
    { ...IOS, displayName: 'IPH-PAR-00003', operatingSystem: 'iOS', operatingSystemVersion: '18.3' },
    { ...ANDROID, displayName: 'AND-BER-00004', operatingSystem: 'Android', operatingSystemVersion: '14' },
    { ...MAC, displayName: 'MAC-NYC-00005', operatingSystem: 'MacMDM', operatingSystemVersion: '15.3.1' },
  ].map((d) => ({
    ...d,
    accountEnabled: true,
    isCompliant: false,
    isManaged: true,
    trustType: 'AzureAd',
    extensionAttributes: { ...nullAttrs(), extensionAttribute2: 'keep-me' } as Record<string, string | null>,
  }));
  for (let i = 0; i < extra; i++) {
    const n = String(i + 100).padStart(12, '0');
    base.push({
      id: `22222222-2222-4222-8222-${n}`,
      deviceId: `eeeeeeee-eeee-4eee-8eee-${n}`,
      displayName: `WKS-AMS-${String(i).padStart(5, '0')}`,
      operatingSystem: 'Windows',
      operatingSystemVersion: '10.0.26100.3194',
      accountEnabled: true,
      isCompliant: true,
      isManaged: true,
      trustType: 'AzureAd',
      extensionAttributes: nullAttrs(),
    });
  }
  return base;
}

/** Starts an emulator on a free loopback port with the test inventory (throttling off unless given). */
export function start(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ devices: testDevices(), writeBudget: false, ...options });
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when empty / not JSON. */
  json: any;
  text: string;
}

/** Sends one request. `token: null` sends no Authorization header; JSON bodies get Content-Type
 * application/json unless `headers` overrides it. */
export async function call(
  emu: Emulator,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? emu.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, opts.headers ?? {});
  const res = await fetch(`${emu.url}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** PATCH helper: `/v1.0/devices/{id}`. */
export const patch = (emu: Emulator, id: string, body: unknown, opts: Parameters<typeof call>[3] = {}) =>
  call(emu, 'PATCH', `/v1.0/devices/${id}`, { ...opts, body });

/** `$batch` helper. */
export const batch = (emu: Emulator, requests: unknown[], opts: Parameters<typeof call>[3] = {}) =>
  call(emu, 'POST', '/v1.0/$batch', { ...opts, body: { requests } });

/** An inner PATCH request with the right headers. */
export const innerPatch = (id: string, target: string, body: unknown) => ({
  id,
  method: 'PATCH',
  url: `/devices/${target}`,
  headers: { 'Content-Type': 'application/json' },
  body,
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asserts Graph's error shape and returns the error object. */
export function graphError(answer: Answer): { code: string; message: string; innerError: Record<string, string> } {
  if (!answer.json || typeof answer.json.error !== 'object') throw new Error(`not a Graph error body: ${answer.text}`);
  return answer.json.error;
}

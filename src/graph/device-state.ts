/**
 * Reading a device's current state: what to `$select` for a PATCH body, how to read Graph's answer,
 * and Graph's rule for app-only callers on non-Windows devices. Pure.
 *
 * Encodes docs/graph-behaviour.md §1 (updatable properties; the app-only non-Windows rule; "a 204 alone does
 * not prove the write happened; a read-back (`GET ...?$select=extensionAttributes`) does").
 * Sources: learn.microsoft.com/en-us/graph/api/device-get, /graph/api/device-update,
 * /graph/api/resources/device.
 */
import type { DevicePatchBody, DeviceState } from '../types.js';

/**
 * The properties to `$select` to compare a device with `body`: `id` (to restore it later by object id),
 * `operatingSystem` (for the app-only non-Windows rule), then the body's own top-level properties
 * (`extensionAttributes` as a whole: Graph selects the complex property, not its keys), in body order.
 */
export function selectFor(body: DevicePatchBody, also: readonly string[] = []): string[] {
  return [...new Set(['id', 'operatingSystem', ...Object.keys(body), ...also])];
}

const BOOLEAN_PROPERTIES = ['accountEnabled', 'isCompliant', 'isManaged'] as const;
const STRING_PROPERTIES = ['displayName', 'operatingSystem', 'operatingSystemVersion'] as const;

/** Thrown by {@link parseDeviceState} when a device GET answered something that is not a device. */
export class DeviceStateError extends Error {
  override readonly name: string = 'DeviceStateError';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the body of a `GET /devices/{id}?$select=…` (200) into a {@link DeviceState}: `id`
 * lower-cased; the updatable properties that are present copied (wrongly typed values read as
 * `null`); `extensionAttributes` with keys `extensionAttribute1`…`15` (missing keys `null`).
 * `@odata.*` annotations and other properties are ignored.
 * @throws DeviceStateError when the body is not a JSON object with a string `id`.
 */
export function parseDeviceState(body: unknown): DeviceState {
  if (!isRecord(body) || typeof body.id !== 'string' || body.id === '') {
    throw new DeviceStateError('the device read answered without a device object (no "id")');
  }
  const state: DeviceState = { id: body.id.toLowerCase() };
  if ('deviceId' in body) state.deviceId = typeof body.deviceId === 'string' ? body.deviceId.toLowerCase() : null;
  for (const name of BOOLEAN_PROPERTIES) {
    if (name in body) state[name] = typeof body[name] === 'boolean' ? (body[name] as boolean) : null;
  }
  for (const name of STRING_PROPERTIES) {
    if (name in body) state[name] = typeof body[name] === 'string' ? (body[name] as string) : null;
  }
  if ('extensionAttributes' in body) {
    const raw = isRecord(body.extensionAttributes) ? body.extensionAttributes : {};
    const ext: Record<string, string | null> = {};
    for (let i = 1; i <= 15; i++) {
      const v = raw[`extensionAttribute${i}`];
      ext[`extensionAttribute${i}`] = typeof v === 'string' ? v : null;
    }
    state.extensionAttributes = ext;
  }
  return state;
}

/**
 * Graph's message for the app-only non-Windows rule, as it answers such a PATCH with 400
 * `Request_BadRequest` (docs/graph-behaviour.md §1; case H05).
 */
export const NON_WINDOWS_APP_ONLY_RULE = 'Properties other than ExtendedAttribute1..15 can be modified only on windows devices.';

/** Whether `operatingSystem` is Windows (case-insensitive), as Graph decides the rule. */
export function isWindowsDevice(state: Pick<DeviceState, 'operatingSystem'>): boolean {
  return typeof state.operatingSystem === 'string' && state.operatingSystem.trim().toLowerCase() === 'windows';
}

/**
 * The app-only non-Windows rule: an application (app-only) caller may change only
 * `extensionAttributes` on a device whose `operatingSystem` is not Windows (docs/graph-behaviour.md §1).
 * @param body what would be sent.
 * @param state the device's current state (with `operatingSystem` selected).
 * @returns the properties of `body` Graph would refuse, in body order; empty when allowed.
 */
export function nonWindowsAppOnlyViolations(body: DevicePatchBody, state: DeviceState): string[] {
  if (isWindowsDevice(state)) return [];
  return Object.keys(body).filter((name) => name !== 'extensionAttributes');
}

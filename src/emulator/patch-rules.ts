/**
 * The rules of `PATCH /devices/{id}` (docs/graph-behaviour.md §1), as pure functions:
 * 1. {@link validatePatchBody}: shape and JSON types, before the device is looked up (OData
 *    deserialises the body first);
 * 2. {@link authorizePatch}: who may change what, on this device;
 * 3. {@link applyPatch}: the new state.
 */
import {
  DEVICE_PROPERTIES,
  DISPLAY_NAME_MAX,
  EXTENSION_ATTRIBUTE_MAX,
  EXTENSION_ATTRIBUTE_NAMES,
  INTUNE_OWNED_PROPERTIES,
  MDM_APP_PROPERTIES,
  ON_PREMISES_SYNCED_PROPERTIES,
  UPDATABLE_PROPERTIES,
  isWindows,
  type Device,
} from './device-model.js';
import { GraphErrors, type GraphErrorSpec } from './errors.js';

/** A PATCH body that passed {@link validatePatchBody}: only updatable properties, right types. */
export interface ValidPatch {
  accountEnabled?: boolean;
  displayName?: string;
  operatingSystem?: string;
  operatingSystemVersion?: string;
  isCompliant?: boolean;
  isManaged?: boolean;
  /** Keys among extensionAttribute1..15; `null` clears. */
  extensionAttributes?: Record<string, string | null>;
}

/** Who the caller is (docs/graph-behaviour.md §1 permissions). */
export interface PatchPolicy {
  /** Application permission (no signed-in user): only extensionAttributes on non-Windows devices. */
  appOnly: boolean;
  /** Caller is an approved MDM app: may set isCompliant/isManaged on Windows devices. */
  mdmApp: boolean;
}

type Decision<T> = { ok: true; value: T } | { ok: false; error: GraphErrorSpec };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed PATCH body.
 * Errors (first found, in body key order):
 * - not a JSON object → 400 `BadRequest` (unreadable payload);
 * - a key that is no device property → 400 `Request_BadRequest` "Invalid property '<name>'.";
 * - `deviceOwnership`, `enrollmentProfileName` → 403 `Authorization_RequestDenied`;
 * - any other non-updatable device property → 400 `Request_BadRequest` (read-only);
 * - wrong JSON type (string for a boolean, number for a string, `null` for either, a
 *   non-object extensionAttributes, an unknown key or a non-string/non-null value inside it),
 *   empty displayName, displayName > 256 or extension attribute > 1024 characters → 400
 *   `Request_BadRequest` "Invalid value specified for property …".
 * Property names are case-sensitive, as in Graph's JSON payloads.
 */
export function validatePatchBody(body: unknown): Decision<ValidPatch> {
  if (!isPlainObject(body)) return { ok: false, error: GraphErrors.unreadableJson() };
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === '@odata.type') {
      if (value !== '#microsoft.graph.device') return { ok: false, error: GraphErrors.invalidValue(name) };
      continue;
    }
    const kind = UPDATABLE_PROPERTIES[name];
    if (kind === undefined) {
      if (INTUNE_OWNED_PROPERTIES.includes(name)) return { ok: false, error: GraphErrors.insufficientPrivileges() };
      if (DEVICE_PROPERTIES.includes(name)) return { ok: false, error: GraphErrors.readOnlyProperty(name) };
      return { ok: false, error: GraphErrors.invalidProperty(name) };
    }
    if (kind === 'boolean') {
      if (typeof value !== 'boolean') return { ok: false, error: GraphErrors.invalidValue(name) };
      patch[name] = value;
    } else if (kind === 'string') {
      if (typeof value !== 'string') return { ok: false, error: GraphErrors.invalidValue(name) };
      if (name === 'displayName' && (value.trim() === '' || value.length > DISPLAY_NAME_MAX)) {
        return { ok: false, error: GraphErrors.invalidValue(name) };
      }
      patch[name] = value;
    } else {
      if (!isPlainObject(value)) return { ok: false, error: GraphErrors.invalidValue(name) };
      const ext: Record<string, string | null> = {};
      for (const [key, v] of Object.entries(value)) {
        if (!EXTENSION_ATTRIBUTE_NAMES.includes(key)) return { ok: false, error: GraphErrors.invalidProperty(key) };
        if (v !== null && typeof v !== 'string') return { ok: false, error: GraphErrors.invalidValue(key) };
        if (typeof v === 'string' && v.length > EXTENSION_ATTRIBUTE_MAX) return { ok: false, error: GraphErrors.invalidValue(key) };
        ext[key] = v;
      }
      patch[name] = ext;
    }
  }
  return { ok: true, value: patch as ValidPatch };
}

/**
 * Checks whether the caller may apply `patch` to `device`.
 * - isCompliant / isManaged: 403 `Authorization_RequestDenied` unless `policy.mdmApp` and the
 *   device is Windows (only Intune, or an approved MDM app for Windows devices);
 * - app-only and device not Windows (case-insensitive): any property other than
 *   extensionAttributes → 400 `Request_BadRequest` "Properties other than ExtendedAttribute1..15
 *   can be modified only on windows devices."
 * - a device synced from on-premises AD (`onPremisesSyncEnabled: true`) and any of
 *   accountEnabled, displayName, operatingSystem, operatingSystemVersion → 400 `Request_BadRequest`
 *   "Unable to update the specified properties for on-premises mastered Directory Sync objects …"
 *   (docs/graph-behaviour.md §5); its extensionAttributes stay writable.
 * @returns `undefined` when allowed.
 */
export function authorizePatch(patch: ValidPatch, device: Device, policy: PatchPolicy): GraphErrorSpec | undefined {
  const names = Object.keys(patch);
  const windows = isWindows(device);
  if (names.some((n) => MDM_APP_PROPERTIES.includes(n)) && !(policy.mdmApp && windows)) {
    return GraphErrors.insufficientPrivileges();
  }
  if (device.onPremisesSyncEnabled === true && names.some((n) => ON_PREMISES_SYNCED_PROPERTIES.includes(n))) {
    return GraphErrors.onPremisesMastered();
  }
  if (policy.appOnly && !windows && names.some((n) => n !== 'extensionAttributes')) {
    return GraphErrors.nonWindowsAppOnly();
  }
  return undefined;
}

/**
 * Applies a patch: sent properties replace stored ones; inside extensionAttributes a `null`
 * clears the key and keys not sent keep their values.
 * @param dropClear simulate Graph's reported bug: clears (`null`) are acknowledged but not applied.
 * @returns a new device object (the input is not modified) and the extension attribute clears
 *   that were dropped.
 */
export function applyPatch(device: Device, patch: ValidPatch, dropClear = false): { device: Device; droppedClears: string[] } {
  const next: Device = structuredClone(device);
  const droppedClears: string[] = [];
  for (const [name, value] of Object.entries(patch)) {
    if (name === 'extensionAttributes') {
      for (const [key, v] of Object.entries(value as Record<string, string | null>)) {
        if (v === null && dropClear) {
          droppedClears.push(key);
          continue;
        }
        next.extensionAttributes[key] = v;
      }
    } else {
      next[name] = value;
    }
  }
  return { device: next, droppedClears };
}

/**
 * The Graph `device` resource as the emulator stores it, and the property tables that drive
 * PATCH validation and `$select`. Source: docs/graph-behaviour.md §1 (updatable properties and who may
 * change them) and learn.microsoft.com/en-us/graph/api/resources/device (property names).
 */
import { canonicalGuid, isGuid } from './guid.js';

/** `extensionAttribute1` … `extensionAttribute15`, in order. */
export const EXTENSION_ATTRIBUTE_NAMES: readonly string[] = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

/** The 15 on-premises extension attributes; `null` = not set. */
export type ExtensionAttributes = Record<string, string | null>;

/**
 * One Entra ID device as Graph returns it. `id` (object id) and `deviceId` (alternate key) are
 * GUIDs. Properties beyond the typed ones (e.g. `manufacturer`, `registrationDateTime`) may be
 * present; `$select` of a known property the device lacks yields `null`.
 */
export interface Device {
  id: string;
  deviceId: string;
  displayName?: string | null;
  operatingSystem?: string | null;
  operatingSystemVersion?: string | null;
  accountEnabled?: boolean | null;
  isCompliant?: boolean | null;
  isManaged?: boolean | null;
  trustType?: string | null;
  approximateLastSignInDateTime?: string | null;
  /** `true` for devices synced from on-premises AD (hybrid joined); `null` for cloud-only ones. */
  onPremisesSyncEnabled?: boolean | null;
  /** Hardware and Autopilot ids, e.g. `[ZTDID]:<guid>` for an Autopilot device. */
  physicalIds?: string[];
  extensionAttributes: ExtensionAttributes;
  [property: string]: unknown;
}

/** Every property of Graph's v1.0 `device` resource (for `$select` and "known but read-only"). */
export const DEVICE_PROPERTIES: readonly string[] = [
  'id',
  'deletedDateTime',
  'accountEnabled',
  'alternativeSecurityIds',
  'approximateLastSignInDateTime',
  'complianceExpirationDateTime',
  'deviceCategory',
  'deviceId',
  'deviceMetadata',
  'deviceOwnership',
  'deviceVersion',
  'displayName',
  'enrollmentProfileName',
  'enrollmentType',
  'extensionAttributes',
  'isCompliant',
  'isManaged',
  'isManagementRestricted',
  'isRooted',
  'managementType',
  'manufacturer',
  'mdmAppId',
  'model',
  'onPremisesLastSyncDateTime',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'operatingSystem',
  'operatingSystemVersion',
  'physicalIds',
  'profileType',
  'registrationDateTime',
  'systemLabels',
  'trustType',
];

/** Updatable properties and their JSON type (docs/graph-behaviour.md §1 table). */
export const UPDATABLE_PROPERTIES: Readonly<Record<string, 'boolean' | 'string' | 'extensionAttributes'>> = {
  accountEnabled: 'boolean',
  operatingSystem: 'string',
  operatingSystemVersion: 'string',
  displayName: 'string',
  isCompliant: 'boolean',
  isManaged: 'boolean',
  extensionAttributes: 'extensionAttributes',
};

/** Settable only by Intune or an approved MDM app on Windows devices: 403 otherwise (§1). */
export const MDM_APP_PROPERTIES: readonly string[] = ['isCompliant', 'isManaged'];

/** Intune-owned, never updatable through this API: always 403 `Authorization_RequestDenied` (§1). */
export const INTUNE_OWNED_PROPERTIES: readonly string[] = ['deviceOwnership', 'enrollmentProfileName'];

/**
 * Properties a device synced from on-premises AD (`onPremisesSyncEnabled: true`) takes from there:
 * cloud writes to them are refused (docs/graph-behaviour.md §5). `extensionAttributes` are mastered in
 * the cloud (device resource page: "mastered in cloud and can be set during creation or update") and
 * stay writable.
 */
export const ON_PREMISES_SYNCED_PROPERTIES: readonly string[] = [
  'accountEnabled',
  'displayName',
  'operatingSystem',
  'operatingSystemVersion',
];

/** Max length of `displayName` (Graph: 256 characters). */
export const DISPLAY_NAME_MAX = 256;
/** Max length of one extension attribute value (Graph: 1024 characters). */
export const EXTENSION_ATTRIBUTE_MAX = 1024;

/** True when `operatingSystem` is Windows, compared case-insensitively (§1 app-only rule). */
export function isWindows(device: Pick<Device, 'operatingSystem'>): boolean {
  return typeof device.operatingSystem === 'string' && device.operatingSystem.toLowerCase() === 'windows';
}

/** A deep copy of a device (devices hold only JSON values). */
export function cloneDevice(device: Device): Device {
  return structuredClone(device);
}

/**
 * Checks and completes a device loaded from a file or passed in: `id` and `deviceId` must be
 * GUIDs; `extensionAttributes` gets all 15 keys (missing ones `null`).
 * @throws Error naming the index and the problem when the input is not a usable device.
 */
export function normalizeDevice(input: unknown, index: number): Device {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error(`device #${index}: not a JSON object`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of ['id', 'deviceId'] as const) {
    const v = raw[key];
    if (typeof v !== 'string' || !isGuid(v)) {
      throw new Error(`device #${index}: ${key} must be a GUID, got ${JSON.stringify(v)}`);
    }
  }
  const ext = raw.extensionAttributes;
  if (ext !== undefined && ext !== null && (typeof ext !== 'object' || Array.isArray(ext))) {
    throw new Error(`device #${index}: extensionAttributes must be an object`);
  }
  const extensionAttributes: ExtensionAttributes = {};
  for (const name of EXTENSION_ATTRIBUTE_NAMES) {
    const v = (ext as Record<string, unknown> | null | undefined)?.[name];
    extensionAttributes[name] = typeof v === 'string' ? v : null;
  }
  const device = structuredClone(raw) as Device;
  device.id = canonicalGuid(raw.id as string);
  device.deviceId = canonicalGuid(raw.deviceId as string);
  device.extensionAttributes = extensionAttributes;
  return device;
}

/**
 * The manifest's column vocabulary: which names a manifest may use and the Graph property each means.
 * Source: learn.microsoft.com/en-us/graph/api/device-update (updatable properties).
 */
import type { KeyType } from '../types.js';

/** The two key columns: `id` (device object id) and `deviceId` (the alternate key). */
export const KEY_COLUMNS: readonly KeyType[] = ['id', 'deviceId'];

/** `extensionAttribute1` … `extensionAttribute15`. */
export const EXTENSION_ATTRIBUTE_COLUMNS: readonly string[] = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

/** Properties that only Intune or an approved MDM app may set (Windows devices); need `allowMdmProperties`. */
export const MDM_COLUMNS: readonly string[] = ['isCompliant', 'isManaged'];

/** Boolean properties. */
export const BOOLEAN_COLUMNS: readonly string[] = ['accountEnabled', 'isCompliant', 'isManaged'];

/** Plain string properties (not extension attributes). */
export const STRING_COLUMNS: readonly string[] = ['displayName', 'operatingSystem', 'operatingSystemVersion'];

/**
 * Every column a manifest may have without special options, canonical spelling, in the order used
 * in messages and PATCH bodies: keys, then properties, then extension attributes 1–15.
 */
export const ALLOWED_COLUMNS: readonly string[] = [...KEY_COLUMNS, 'accountEnabled', ...STRING_COLUMNS, ...EXTENSION_ATTRIBUTE_COLUMNS];

/** All canonical names including the MDM-only ones. */
export const ALL_COLUMNS: readonly string[] = [...ALLOWED_COLUMNS, ...MDM_COLUMNS];

/** The JSON key under which extension attributes may be nested: `{"extensionAttributes": {…}}`. */
export const NESTED_EXTENSION_KEY = 'extensionAttributes';

/** Default cell text that clears an extension attribute (sends JSON `null`); matched case-insensitively. */
export const DEFAULT_CLEAR_TOKEN = '#clear';

/**
 * Other names of a key column, as exports spell it: the Entra portal's "Download devices" CSV and
 * older tools call the object id `objectId`.
 */
export const KEY_ALIASES: Readonly<Record<string, KeyType>> = { objectid: 'id' };

/**
 * Suffix of an informational column: `deviceId (read-only)`, `approximateLastSignInDateTime (read-only)`.
 * `graph-bulk export` writes the properties a manifest cannot change this way; a manifest (CSV header or
 * JSON key) may carry such columns, and they are never sent (docs/queries-and-stale-devices.md).
 */
export const READ_ONLY_SUFFIX = ' (read-only)';

/** Whether a column name as written is informational (ends with `(read-only)`, any case and spacing). */
export function isReadOnlyColumn(written: string): boolean {
  return /\S\s*\(read-only\)\s*$/i.test(written);
}

const byLowerName = new Map<string, string>([
  ...ALL_COLUMNS.map((name) => [name.toLowerCase(), name] as const),
  ...Object.entries(KEY_ALIASES),
]);

/** Canonical name for a column name as written (trimmed, any case; `objectId` → `id`), or `undefined` if unknown. */
export function canonicalColumn(written: string): string | undefined {
  return byLowerName.get(written.trim().toLowerCase());
}

/** Whether a canonical name is an extension attribute. */
export function isExtensionAttribute(canonical: string): boolean {
  return EXTENSION_ATTRIBUTE_COLUMNS.includes(canonical);
}

/** Allowed columns as listed in messages (extension attributes abbreviated). */
export function describeAllowedColumns(allowMdmProperties = false): string {
  const names = [...KEY_COLUMNS, 'accountEnabled', ...STRING_COLUMNS, 'extensionAttribute1 … extensionAttribute15'];
  return allowMdmProperties
    ? [...names, ...MDM_COLUMNS].join(', ')
    : `${names.join(', ')} (isCompliant, isManaged only with allowMdmProperties)`;
}

const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const bySquashedName = new Map(ALL_COLUMNS.map((name) => [squash(name), name]));
const hints: Record<string, string> = {
  objectid: 'id',
  deviceobjectid: 'id',
  azureaddeviceid: 'deviceId',
  entradeviceid: 'deviceId',
  name: 'displayName',
  devicename: 'displayName',
  enabled: 'accountEnabled',
};

/** The canonical name a column name spells with other separators or case (`extension_attribute_1`), if any. */
export function spelledAlike(written: string): string | undefined {
  return bySquashedName.get(squash(written));
}

/** A likely intended canonical name for an unknown column (`extension_attribute_1`, `objectId`), if any. */
export function suggestColumn(written: string): string | undefined {
  const s = squash(written);
  return bySquashedName.get(s) ?? hints[s];
}

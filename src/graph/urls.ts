/**
 * URL building for device requests. Only a validated GUID ever reaches a URL: a manifest value such
 * as `../users/x`, `%2e%2e`, `x?$select=*` or `a'b` must never change which resource is addressed.
 *
 * Encodes docs/graph-behaviour.md §1 (the two addressing forms of "Update device") and §2 (inner `$batch` urls
 * are relative to the version root). Sources: learn.microsoft.com/en-us/graph/api/device-update,
 * learn.microsoft.com/en-us/graph/json-batching.
 */
import { GraphConfigError } from './clouds.js';
import { isGuid } from './guid.js';

/** Graph API version segment. */
export type ApiVersion = 'v1.0' | 'beta';

/** The key forms of a device: object `id` or alternate key `deviceId` (docs/graph-behaviour.md §1). */
export type DeviceKeyType = 'id' | 'deviceId';

/**
 * Thrown by {@link devicePath} when the key is not a GUID or the key type is unknown.
 * A subclass of {@link GraphConfigError}, so callers may catch either.
 */
export class InvalidDeviceKeyError extends GraphConfigError {
  override readonly name: string = 'InvalidDeviceKeyError';
}

/**
 * Quote `s` as an OData string literal: wrap in single quotes and double every embedded single quote
 * (`a'b` → `'a''b'`). OData ABNF, `string = SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE`.
 * Does not percent-encode: callers only pass validated GUIDs (see {@link devicePath}).
 */
export function odataStringLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Path of one device relative to the version root, as `$batch` inner `url`s need it
 * (docs/graph-behaviour.md §2: not absolute, not prefixed with `/v1.0`):
 * - `keyType: 'id'` → `/devices/{key}` (object id)
 * - `keyType: 'deviceId'` → `/devices(deviceId='{key}')` (alternate key, an OData string literal)
 *
 * The key is used exactly as given (letter case preserved; Graph compares GUIDs case-insensitively).
 * Source: learn.microsoft.com/en-us/graph/api/device-update (HTTP request).
 *
 * @throws InvalidDeviceKeyError (a GraphConfigError) unless `isGuid(key)`, or for an unknown `keyType`.
 */
export function devicePath(key: string, keyType: 'id' | 'deviceId'): string {
  if (!isGuid(key)) {
    throw new InvalidDeviceKeyError(
      `device ${String(keyType)} ${JSON.stringify(key)} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`,
    );
  }
  switch (keyType) {
    case 'id':
      return `/devices/${key}`;
    case 'deviceId':
      return `/devices(deviceId=${odataStringLiteral(key)})`;
    default:
      throw new InvalidDeviceKeyError(`unknown device key type ${JSON.stringify(keyType)}: expected 'id' or 'deviceId'`);
  }
}

function checkApiVersion(apiVersion: ApiVersion): void {
  if (apiVersion !== 'v1.0' && apiVersion !== 'beta') {
    throw new GraphConfigError(`unknown Graph API version ${JSON.stringify(apiVersion)}: expected 'v1.0' or 'beta'`);
  }
}

/**
 * The version root: `${graphRoot}/${apiVersion}`, e.g. `https://graph.microsoft.com/v1.0`.
 * A trailing slash on `graphRoot` is ignored. Prefix a {@link devicePath} with it for a direct request.
 * @throws GraphConfigError for an unknown `apiVersion`.
 */
export function versionRoot(graphRoot: string, apiVersion: ApiVersion): string {
  checkApiVersion(apiVersion);
  return `${graphRoot.replace(/\/+$/, '')}/${apiVersion}`;
}

/**
 * The JSON batching endpoint: `${graphRoot}/${apiVersion}/$batch`, e.g.
 * `https://graph.microsoft.com/v1.0/$batch` (docs/graph-behaviour.md §2; learn.microsoft.com/en-us/graph/json-batching).
 * @throws GraphConfigError for an unknown `apiVersion`.
 */
export function batchUrl(graphRoot: string, apiVersion: ApiVersion): string {
  return `${versionRoot(graphRoot, apiVersion)}/$batch`;
}

/** Device properties a read may `$select` (Graph's names of the updatable properties, plus `id`). */
const SELECTABLE = new Set([
  'id',
  'deviceId',
  'accountEnabled',
  'displayName',
  'operatingSystem',
  'operatingSystemVersion',
  'isCompliant',
  'isManaged',
  'extensionAttributes',
]);

/**
 * Path of a device read with `$select`, relative to the version root (usable as a `$batch` inner url):
 * `/devices/{id}?$select=a,b` or `/devices(deviceId='{key}')?$select=a,b` (docs/graph-behaviour.md §1: both
 * addressing forms; learn.microsoft.com/en-us/graph/api/device-get, /graph/query-parameters `$select`).
 * Names are kept in the order given, duplicates dropped.
 * @throws InvalidDeviceKeyError as {@link devicePath}; GraphConfigError for an empty `select` or a
 *   name that is not a selectable device property (only known names ever reach a URL).
 */
export function deviceReadPath(key: string, keyType: 'id' | 'deviceId', select: readonly string[]): string {
  if (select.length === 0) throw new GraphConfigError('a device read needs at least one property to $select');
  for (const name of select) {
    if (!SELECTABLE.has(name)) throw new GraphConfigError(`cannot $select ${JSON.stringify(name)}: not a device property graph-bulk reads`);
  }
  return `${devicePath(key, keyType)}?$select=${[...new Set(select)].join(',')}`;
}

/**
 * Path parsing for the Graph routes the emulator serves. Pure.
 *
 * - `/{version}/…` with version `v1.0` or `beta` (outer requests);
 * - inside the version root (outer rest, or a `$batch` inner url, docs/graph-behaviour.md §2):
 *   `/devices`, `/devices/{id}`, `/devices(deviceId='{deviceId}')`, `/devices('{id}')`, `/$batch`.
 */
import { GraphErrors, type GraphErrorSpec } from './errors.js';
import { canonicalGuid, isGuid } from './guid.js';

/** How a device is addressed (docs/graph-behaviour.md §1). `key` is the lower-case GUID. */
export interface DeviceAddress {
  keyType: 'id' | 'deviceId';
  key: string;
}

/** A parsed resource path. */
export type ResourceRoute =
  | ({ kind: 'device' } & DeviceAddress)
  | { kind: 'devices' }
  | { kind: 'batch' }
  | { kind: 'bitlockerKeys' }
  | { kind: 'error'; error: GraphErrorSpec };

/** Graph API versions the emulator serves. */
export type GraphVersion = 'v1.0' | 'beta';

/**
 * Splits an outer pathname (percent-decoded) into version and the rest.
 * @returns `{version, rest}` with `rest` starting with `/` (or empty), or a 400 `Invalid version`.
 */
export function splitVersion(pathname: string): { version: GraphVersion; rest: string } | { error: GraphErrorSpec } {
  const trimmed = pathname.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const first = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const rest = slash === -1 ? '' : trimmed.slice(slash);
  if (first === 'v1.0' || first === 'beta') return { version: first, rest };
  return { error: GraphErrors.invalidVersion(first) };
}

const KEY_SEGMENT = /^devices\((.*)\)$/s;

/**
 * Parses a path relative to the version root, e.g. `/devices/{id}` or `devices(deviceId='…')`
 * (the leading slash is optional, as in batch urls). The query string must already be removed.
 * Errors: a path segment Graph does not know → 400 `BadRequest` "Resource not found for the
 * segment '…'" (this is what a batch url starting `/v1.0/` gets, §2); an id that is not a GUID
 * → 400 `Request_BadRequest` "Invalid object identifier"; bad key syntax (unquoted, wrong
 * quotes, unknown key name) → 400 `Request_BadRequest`.
 */
export function parseResourcePath(path: string): ResourceRoute {
  const segments = path.replace(/^\/+/, '').split('/');
  const first = segments[0] ?? '';
  if (first === '$batch' && segments.length === 1) return { kind: 'batch' };
  if (first === 'informationProtection' && segments[1] === 'bitlocker' && segments[2] === 'recoveryKeys' && segments.length === 3) {
    return { kind: 'bitlockerKeys' };
  }
  if (first === 'devices') {
    if (segments.length === 1) return { kind: 'devices' };
    const idSegment = segments[1] ?? '';
    if (segments.length > 2) return { kind: 'error', error: GraphErrors.segmentNotFound(segments[2] ?? '') };
    if (!isGuid(idSegment)) return { kind: 'error', error: GraphErrors.invalidObjectId(idSegment) };
    return { kind: 'device', keyType: 'id', key: canonicalGuid(idSegment) };
  }
  const keyMatch = KEY_SEGMENT.exec(first);
  if (keyMatch) {
    if (segments.length > 1) return { kind: 'error', error: GraphErrors.segmentNotFound(segments[1] ?? '') };
    return parseKeyPredicate(keyMatch[1] ?? '', first);
  }
  return { kind: 'error', error: GraphErrors.segmentNotFound(first) };
}

function parseKeyPredicate(inner: string, segment: string): ResourceRoute {
  // devices('guid'): the OData key-in-parentheses form of the object id.
  const bare = /^'([^']*)'$/.exec(inner);
  if (bare) {
    const v = bare[1] ?? '';
    return isGuid(v) ? { kind: 'device', keyType: 'id', key: canonicalGuid(v) } : { kind: 'error', error: GraphErrors.invalidObjectId(v) };
  }
  const named = /^\s*deviceId\s*=\s*'([^']*)'\s*$/i.exec(inner);
  if (named) {
    const v = named[1] ?? '';
    return isGuid(v)
      ? { kind: 'device', keyType: 'deviceId', key: canonicalGuid(v) }
      : { kind: 'error', error: GraphErrors.invalidObjectId(v) };
  }
  return { kind: 'error', error: GraphErrors.keySyntax(segment) };
}

/** Stats label of a route, e.g. `PATCH /devices/{id}`, `GET /devices`, `POST /$batch`. */
export function routeLabel(method: string, route: ResourceRoute | undefined): string {
  if (!route || route.kind === 'error') return `${method} (unrouted)`;
  switch (route.kind) {
    case 'batch':
      return `${method} /$batch`;
    case 'bitlockerKeys':
      return `${method} /informationProtection/bitlocker/recoveryKeys`;
    case 'devices':
      return `${method} /devices`;
    case 'device':
      return route.keyType === 'id' ? `${method} /devices/{id}` : `${method} /devices(deviceId='{deviceId}')`;
  }
}

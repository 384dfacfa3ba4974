/**
 * OData query options on device reads: `$select`, `$top`, `$skiptoken`, `$filter`, `$count`, `$orderby`.
 * Pure. Source: learn.microsoft.com/en-us/graph/query-parameters and /paging (directory objects:
 * page size 1–999, default 100; `@odata.nextLink` carries an opaque `$skiptoken`).
 */
import { DEVICE_PROPERTIES, type Device } from './device-model.js';
import { compileDeviceFilter, type DeviceFilter } from './device-filter.js';
import { GraphErrors, type GraphErrorSpec } from './errors.js';

/** Default page size of `GET /devices`. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest `$top` Graph accepts for directory objects. */
export const MAX_PAGE_SIZE = 999;

/** Query options understood on device reads. */
export interface DeviceQuery {
  /** Canonical property names from `$select`, in the order given; `undefined` = all. */
  select?: string[];
  /** Page size (list only). */
  top: number;
  /** Offset into the (filtered, sorted) list, decoded from `$skiptoken`. */
  offset: number;
  /** `$filter` as a predicate, with its source text for the next link. */
  filter?: DeviceFilter;
  /** `$count=true`: the answer carries `@odata.count` (advanced queries only). */
  count: boolean;
  /** `$orderby` (displayName or approximateLastSignInDateTime), with its source text. */
  orderBy?: { property: string; descending: boolean; text: string };
}

/** Request headers that change how a read is answered. */
export interface QueryHeaders {
  /** `ConsistencyLevel` (advanced queries need `eventual`). */
  consistencyLevel?: string;
}

const SUPPORTED = new Set(['$select', '$top', '$skiptoken', '$filter', '$count', '$orderby']);
const REJECTED = new Set(['$expand', '$search', '$skip', '$format', '$apply']);
/** Properties `GET /devices` sorts by (device resource page: "Supports $orderby"). */
const SORTABLE = new Map([
  ['displayname', 'displayName'],
  ['approximatelastsignindatetime', 'approximateLastSignInDateTime'],
]);

const canonicalProperty = new Map(DEVICE_PROPERTIES.map((p) => [p.toLowerCase(), p] as const));

/**
 * Parses query options (docs/graph-behaviour.md §5). Unknown `$select` property → 400
 * `Request_BadRequest`; `$top` outside 1..999 or not an integer → 400; bad `$skiptoken` → 400;
 * `$filter` as {@link compileDeviceFilter} checks it; `$expand`, `$search`, `$skip` → 400
 * `Request_UnsupportedQuery` (not implemented). Advanced queries: a filter with `ne`, `not` or
 * `endsWith`, `$count=true`, and `$filter` with `$orderby` need `ConsistencyLevel: eventual` (and
 * the first and last also `$count=true`), else 400 `Request_UnsupportedQuery` with Graph's message.
 * Parameters without `$` are ignored.
 * @param list whether the target is the collection (`$top`/`$skiptoken`/`$filter`/`$count`/`$orderby` apply).
 */
export function parseDeviceQuery(
  params: URLSearchParams,
  list: boolean,
  headers: QueryHeaders = {},
): { ok: true; query: DeviceQuery } | { ok: false; error: GraphErrorSpec } {
  const query: DeviceQuery = { top: DEFAULT_PAGE_SIZE, offset: 0, count: false };
  for (const name of params.keys()) {
    const lower = name.toLowerCase();
    if (REJECTED.has(lower)) return { ok: false, error: GraphErrors.unsupportedQuery(`${name} is not supported by the emulator.`) };
    if (lower.startsWith('$') && !SUPPORTED.has(lower)) {
      return { ok: false, error: GraphErrors.unsupportedQuery(`unknown query option ${name}.`) };
    }
  }
  const get = (n: string): string | null => {
    for (const [k, v] of params) if (k.toLowerCase() === n) return v;
    return null;
  };
  const select = get('$select');
  if (select !== null) {
    const names: string[] = [];
    for (const raw of select.split(',')) {
      const name = raw.trim();
      const canonical = canonicalProperty.get(name.toLowerCase());
      if (!canonical) return { ok: false, error: GraphErrors.selectUnknown(name) };
      if (!names.includes(canonical)) names.push(canonical);
    }
    query.select = names;
  }
  if (!list) return { ok: true, query };
  const eventual = headers.consistencyLevel?.trim().toLowerCase() === 'eventual';
  const top = get('$top');
  if (top !== null) {
    const n = Number(top.trim());
    if (!/^\s*\d+\s*$/.test(top) || n < 1 || n > MAX_PAGE_SIZE) return { ok: false, error: GraphErrors.invalidTop(top) };
    query.top = n;
  }
  const skip = get('$skiptoken');
  if (skip !== null) {
    const offset = decodeSkipToken(skip);
    if (offset === undefined) return { ok: false, error: GraphErrors.invalidSkipToken() };
    query.offset = offset;
  }
  const count = get('$count');
  if (count !== null) {
    const c = count.trim().toLowerCase();
    if (c !== 'true' && c !== 'false') return { ok: false, error: GraphErrors.invalidFilter(`'${count}' is not a valid value for $count`) };
    query.count = c === 'true';
    if (query.count && !eventual) return { ok: false, error: GraphErrors.advancedQueryHeaderMissing('$count') };
  }
  const filter = get('$filter');
  if (filter !== null) {
    const compiled = compileDeviceFilter(filter);
    if (!compiled.ok) return compiled;
    const op = compiled.filter.advanced[0];
    if (op !== undefined) {
      if (!eventual) return { ok: false, error: GraphErrors.advancedQueryHeaderMissing(`Operator '${op}'`) };
      if (!query.count) return { ok: false, error: GraphErrors.advancedQueryCountMissing(`Operator '${op}'`) };
    }
    query.filter = compiled.filter;
  }
  const orderBy = get('$orderby');
  if (orderBy !== null) {
    const m = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(orderBy);
    const property = m ? SORTABLE.get((m[1] ?? '').toLowerCase()) : undefined;
    if (!m || !property) return { ok: false, error: GraphErrors.sortingNotSupported() };
    // $filter with $orderby is an advanced query (docs/graph-behaviour.md §5).
    if (query.filter && (!eventual || !query.count)) return { ok: false, error: GraphErrors.sortingNotSupported() };
    query.orderBy = { property, descending: (m[2] ?? '').toLowerCase() === 'desc', text: orderBy };
  }
  return { ok: true, query };
}

/** Devices in `$orderby` order (stable; absent values first ascending, last descending). */
export function sortDevices(devices: readonly Device[], orderBy: DeviceQuery['orderBy']): readonly Device[] {
  if (!orderBy) return devices;
  const key = (d: Device): string => {
    const v = d[orderBy.property];
    return typeof v === 'string' ? v.toLowerCase() : '';
  };
  const sorted = [...devices].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return orderBy.descending ? sorted.reverse() : sorted;
}

/** Opaque-looking `$skiptoken` for an offset. */
export function encodeSkipToken(offset: number): string {
  return 'RFNwdAIAAQ' + Buffer.from(`emu:${offset}`, 'utf8').toString('base64url');
}

/** Offset from a `$skiptoken`, or `undefined` when it is not one of ours. */
export function decodeSkipToken(token: string): number | undefined {
  if (!token.startsWith('RFNwdAIAAQ')) return undefined;
  const text = Buffer.from(token.slice(10), 'base64url').toString('utf8');
  const m = /^emu:(\d+)$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** A device as returned for `$select` (only the selected properties; absent ones `null`) or whole. */
export function projectDevice(device: Device, select: string[] | undefined): Record<string, unknown> {
  if (!select) return structuredClone(device);
  const out: Record<string, unknown> = {};
  for (const p of select) out[p] = p in device ? structuredClone(device[p]) : null;
  return out;
}

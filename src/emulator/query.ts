/**
 * OData query options on device reads: `$select`, `$top`, `$skiptoken`, and a small `$filter`.
 * Pure. Source: learn.microsoft.com/en-us/graph/query-parameters and /paging (directory objects:
 * page size 1–999, default 100; `@odata.nextLink` carries an opaque `$skiptoken`).
 */
import { DEVICE_PROPERTIES, type Device } from './device-model.js';
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
  /** Offset into the (filtered) list, decoded from `$skiptoken`. */
  offset: number;
  /** `$filter` as a predicate, with its source text for the next link. */
  filter?: { text: string; test: (d: Device) => boolean };
}

const SUPPORTED = new Set(['$select', '$top', '$skiptoken', '$filter']);
const REJECTED = new Set(['$orderby', '$expand', '$search', '$count', '$skip', '$format', '$apply']);

const canonicalProperty = new Map(DEVICE_PROPERTIES.map((p) => [p.toLowerCase(), p] as const));

/**
 * Parses query options. Unknown `$select` property → 400 `Request_BadRequest`; `$top` outside
 * 1..999 or not an integer → 400; bad `$skiptoken` → 400; `$orderby`, `$expand`, `$search`,
 * `$count`, `$skip` and unsupported `$filter` expressions → 400 `Request_UnsupportedQuery` (the
 * emulator does not implement them). Parameters without `$` are ignored.
 * @param list whether the target is the collection (`$top`/`$skiptoken`/`$filter` apply).
 */
export function parseDeviceQuery(
  params: URLSearchParams,
  list: boolean,
): { ok: true; query: DeviceQuery } | { ok: false; error: GraphErrorSpec } {
  const query: DeviceQuery = { top: DEFAULT_PAGE_SIZE, offset: 0 };
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
  if (list) {
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
    const filter = get('$filter');
    if (filter !== null) {
      const test = parseFilter(filter);
      if (!test)
        return {
          ok: false,
          error: GraphErrors.unsupportedQuery(`the emulator supports only "<property> eq <literal>" filters, got "${filter}".`),
        };
      query.filter = { text: filter, test };
    }
  }
  return { ok: true, query };
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

/** `<property> eq '<string>'` | `<property> eq true|false|null`. */
function parseFilter(text: string): ((d: Device) => boolean) | undefined {
  const m = /^\s*([A-Za-z]+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false|null))\s*$/.exec(text);
  if (!m) return undefined;
  const prop = canonicalProperty.get((m[1] ?? '').toLowerCase());
  if (!prop || prop === 'extensionAttributes') return undefined;
  const literal: string | boolean | null =
    m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3] === 'true' ? true : m[3] === 'false' ? false : null;
  const isKey = prop === 'id' || prop === 'deviceId';
  return (d) => {
    const v = d[prop] ?? null;
    if (isKey && typeof v === 'string' && typeof literal === 'string') return v.toLowerCase() === literal.toLowerCase();
    return v === literal;
  };
}

/** A device as returned for `$select` (only the selected properties; absent ones `null`) or whole. */
export function projectDevice(device: Device, select: string[] | undefined): Record<string, unknown> {
  if (!select) return structuredClone(device);
  const out: Record<string, unknown> = {};
  for (const p of select) out[p] = p in device ? structuredClone(device[p]) : null;
  return out;
}

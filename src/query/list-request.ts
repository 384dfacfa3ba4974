/**
 * Building the `GET /devices` request of a query (pure): which `$select`, whether Graph needs an
 * advanced query (`ConsistencyLevel: eventual` and `$count=true`), and checks on the filter text and
 * on the `@odata.nextLink`s Graph sends back.
 *
 * Source: docs/graph-behaviour.md §5 (device-list; aad-advanced-queries: `ne`, `not`, `endsWith`,
 * `$filter` with `$orderby` are advanced queries; `$top` up to 999; follow every `@odata.nextLink`).
 */
import { EXTENSION_ATTRIBUTE_COLUMNS } from '../manifest/columns.js';

/** Largest page Graph gives for directory objects. */
export const MAX_PAGE_SIZE = 999;

/** Properties every query reads: the key, the alternate key, and what an admin recognises a device by. */
export const BASE_PROPERTIES: readonly string[] = ['id', 'deviceId', 'displayName', 'operatingSystem'];

/** Every property of Graph's v1.0 `device` resource that `$select` may name (learn: resources/device). */
export const DEVICE_PROPERTIES: readonly string[] = [
  'id',
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

/** A query's filter, `$select` list or `$orderby` that cannot be sent (before any request). */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

const canonical = new Map([...DEVICE_PROPERTIES, ...EXTENSION_ATTRIBUTE_COLUMNS].map((p) => [p.toLowerCase(), p] as const));

/**
 * The properties an export lists, canonical spelling, in order: {@link BASE_PROPERTIES}, then the
 * selected ones (`extensionAttribute3` names one extension attribute: its column; Graph reads them
 * all through `extensionAttributes`). Duplicates are dropped.
 * @throws QueryError naming an unknown property.
 */
export function exportProperties(select: readonly string[] = []): string[] {
  const out = [...BASE_PROPERTIES];
  for (const raw of select) {
    const name = raw.trim();
    if (name === '') continue;
    const p = canonical.get(name.toLowerCase());
    if (!p) throw new QueryError(`--select: unknown device property "${name}" (see learn.microsoft.com/graph/api/resources/device)`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** The `$select` list for a set of export properties (extension attributes read as `extensionAttributes`). */
export function selectList(properties: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of properties) {
    const q = EXTENSION_ATTRIBUTE_COLUMNS.includes(p) ? 'extensionAttributes' : p;
    if (!out.includes(q)) out.push(q);
  }
  return out;
}

/** Splits filter text into words outside string literals (`'…'`, quotes doubled inside). */
function wordsOutsideStrings(filter: string): { words: Array<{ word: string; at: number; callsFunction: boolean }>; openQuote?: number } {
  const words: Array<{ word: string; at: number; callsFunction: boolean }> = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i]!;
    if (c === "'") {
      const start = i;
      i++;
      for (;;) {
        if (i >= filter.length) return { words, openQuote: start };
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      i++;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(filter.slice(i));
    if (m && (i === 0 || !/[A-Za-z0-9_]/.test(filter[i - 1]!))) {
      const rest = filter.slice(i + m[0].length);
      words.push({ word: m[0], at: i, callsFunction: /^\s*\(/.test(rest) });
      i += m[0].length;
      continue;
    }
    i++;
  }
  return { words };
}

/**
 * Checks filter text before it is sent: not empty, string literals closed, parentheses balanced.
 * Graph judges the rest (its 400 is reported as it is).
 * @throws QueryError saying what is wrong and where (character position, 1-based).
 */
export function checkFilterText(filter: string): void {
  if (filter.trim() === '') throw new QueryError('--filter is empty: give an OData $filter, e.g. "operatingSystem eq \'Windows\'"');
  const { openQuote } = wordsOutsideStrings(filter);
  if (openQuote !== undefined) throw new QueryError(`--filter: the string literal opened at position ${openQuote + 1} is not closed`);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (c === "'") inString = !inString;
    if (inString) continue;
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) throw new QueryError(`--filter: ")" at position ${i + 1} has no "("`);
  }
  if (depth > 0) throw new QueryError(`--filter: ${depth} "(" not closed`);
}

/**
 * Why a query is an advanced query (docs/graph-behaviour.md §5): the operators `ne`, `not`, the
 * function `endsWith`, and `$filter` with `$orderby`. Words inside string literals do not count.
 * @returns the reasons found, e.g. `['ne', 'endsWith']`; empty for a basic query.
 */
export function advancedQueryReasons(filter: string | undefined, orderBy?: string): string[] {
  const reasons = new Set<string>();
  if (filter !== undefined) {
    for (const w of wordsOutsideStrings(filter).words) {
      const lower = w.word.toLowerCase();
      if (lower === 'ne') reasons.add('ne');
      else if (lower === 'not') reasons.add('not');
      else if (lower === 'endswith' && w.callsFunction) reasons.add('endsWith');
    }
    if (orderBy !== undefined && orderBy.trim() !== '') reasons.add('$filter with $orderby');
  }
  return [...reasons];
}

/** The first page's request of a device query. */
export interface DeviceListRequest {
  /** Relative to the version root, query string encoded: `/devices?$filter=…&$select=…&$top=999`. */
  path: string;
  /** Extra request headers (`ConsistencyLevel: eventual` for an advanced query; send them with every page). */
  headers: Record<string, string>;
  /** Why it is an advanced query (empty: basic). */
  advanced: string[];
}

/**
 * Builds the first request of a device query: `$filter` (when given), `$select`, `$top` (default
 * 999), `$orderby`; for an advanced query also `$count=true` and `ConsistencyLevel: eventual`.
 * @throws QueryError for bad filter text or an unknown property (see {@link checkFilterText},
 *   {@link exportProperties}).
 */
export function deviceListRequest(options: {
  filter?: string;
  select: readonly string[];
  orderBy?: string;
  top?: number;
}): DeviceListRequest {
  if (options.filter !== undefined) checkFilterText(options.filter);
  const top = options.top ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) throw new QueryError(`$top must be 1–${MAX_PAGE_SIZE}, got ${top}`);
  const advanced = advancedQueryReasons(options.filter, options.orderBy);
  const params: string[] = [];
  const enc = (v: string) => encodeURIComponent(v).replace(/%2C/gi, ',');
  if (options.filter !== undefined) params.push(`$filter=${enc(options.filter)}`);
  params.push(`$select=${enc(options.select.join(','))}`);
  if (options.orderBy !== undefined && options.orderBy.trim() !== '') params.push(`$orderby=${enc(options.orderBy.trim())}`);
  if (advanced.length > 0) params.push('$count=true');
  params.push(`$top=${top}`);
  return { path: `/devices?${params.join('&')}`, headers: advanced.length > 0 ? { ConsistencyLevel: 'eventual' } : {}, advanced };
}

/**
 * Checks an `@odata.nextLink` before the token is sent to it: it must be under the same version root
 * (`https://graph.microsoft.com/v1.0/devices?…`); anything else is refused.
 * @param versionRoot e.g. `https://graph.microsoft.com/v1.0` (no trailing slash)
 * @throws QueryError for a link elsewhere.
 */
export function checkNextLink(link: unknown, versionRoot: string): string {
  if (typeof link !== 'string' || !link.startsWith(`${versionRoot}/devices?`)) {
    throw new QueryError(
      `Graph sent an @odata.nextLink outside ${versionRoot}/devices: ${JSON.stringify(link)?.slice(0, 200)} — not followed`,
    );
  }
  return link;
}

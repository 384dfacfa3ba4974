/**
 * `x-ms-throttle-scope` on a 429: which of Graph's budgets was spent (docs/graph-behaviour.md §3,
 * learn.microsoft.com/en-us/graph/throttling-limits). Shape `<Scope>/<Limit>/<ApplicationId>/<ResourceId>`,
 * e.g. `Tenant_Application/Write/9a3e…/72f9…`; Scope one of `Tenant_Application` (the app in the
 * tenant), `Tenant_User` (the signed-in user, delegated calls), `Tenant` (every app of the tenant),
 * `Application` (the app in every tenant); Limit `Read`, `Write` or `ReadWrite`. Pure.
 */

/** The budgets Graph names in `x-ms-throttle-scope`. */
export type ThrottleScopeName = 'Tenant_User' | 'Tenant_Application' | 'Tenant' | 'Application';

/** Every scope name, narrowest first. */
export const THROTTLE_SCOPES: readonly ThrottleScopeName[] = ['Tenant_User', 'Tenant_Application', 'Tenant', 'Application'];

/** A parsed `x-ms-throttle-scope`. Ids as sent (lower-cased); absent when the header had fewer parts. */
export interface ThrottleScope {
  scope: ThrottleScopeName;
  /** `Read`, `Write`, `ReadWrite` (as sent, first letter upper-cased), or undefined. */
  limit?: string;
  appId?: string;
  /** The tenant id (or the user's id for `Tenant_User`). */
  resourceId?: string;
}

const BY_LOWER = new Map(THROTTLE_SCOPES.map((s) => [s.toLowerCase(), s]));

/**
 * Parses an `x-ms-throttle-scope` value. The scope word is matched case-insensitively; surrounding
 * spaces are ignored. Returns `undefined` for a missing value or an unknown scope word (the caller
 * then treats the 429 as its app+tenant budget's, the documented default). Never throws.
 * @example parseThrottleScope('Tenant_User/Write/3c9b…/0a1b…') // { scope: 'Tenant_User', limit: 'Write', appId: '3c9b…', resourceId: '0a1b…' }
 */
export function parseThrottleScope(value: string | undefined): ThrottleScope | undefined {
  if (typeof value !== 'string') return undefined;
  const parts = value
    .trim()
    .split('/')
    .map((p) => p.trim());
  const scope = BY_LOWER.get((parts[0] ?? '').toLowerCase());
  if (!scope) return undefined;
  const out: ThrottleScope = { scope };
  const [, limit, appId, resourceId] = parts;
  if (limit) out.limit = limit.charAt(0).toUpperCase() + limit.slice(1);
  if (appId) out.appId = appId.toLowerCase();
  if (resourceId) out.resourceId = resourceId.toLowerCase();
  return out;
}

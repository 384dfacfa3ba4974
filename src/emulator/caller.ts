/**
 * Whom Graph charges a request to: the tenant (`tid`), the application (`appid`, or `azp` in v2
 * tokens) and, for a delegated token (`scp`), the signed-in user (`oid`, else `upn`) — the keys of
 * the budgets in docs/graph-behaviour.md §3. Read from the bearer token's payload without checking
 * its signature (the token store has accepted it already). Pure.
 */
import type { Caller } from './budget-levels.js';
import { decodeJwt } from './entra/jwt.js';

/** Stand-in user id of a delegated caller whose token is opaque (no `oid`/`upn` to read). */
export const OPAQUE_USER_ID = '00000000-0000-4000-8000-0000000000a0';

/**
 * @param authorization the request's `Authorization` header (already accepted)
 * @param delegated whether the caller is a signed-in user: a token carrying `scp`, or — for an opaque
 *   token — the emulator's `appOnly: false` setting
 * @param fallback tenant and app ids for tokens that name none (opaque tokens)
 */
export function callerOf(authorization: string | undefined, delegated: boolean, fallback: { tenantId: string; appId: string }): Caller {
  const token = /^\s*bearer\s+(.*)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  const payload = decodeJwt(token)?.payload ?? {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const tenantId = str(payload.tid) ?? fallback.tenantId;
  const appId = str(payload.appid) ?? str(payload.azp) ?? fallback.appId;
  const isDelegated = payload.scp !== undefined ? true : payload.roles !== undefined ? false : delegated;
  if (!isDelegated) return { tenantId, appId };
  return { tenantId, appId, userId: str(payload.oid) ?? str(payload.upn) ?? OPAQUE_USER_ID };
}

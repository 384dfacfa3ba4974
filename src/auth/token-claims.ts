/**
 * Reading (not verifying) the claims of a Microsoft identity platform access token. graph-bulk
 * never trusts these for security (Graph checks the signature): they name the tenant and app a token
 * belongs to, so that processes of one app in one tenant can find each other's shared write budget,
 * and say what the token may do (`roles` app-only, `scp` delegated), so that a run can stop before
 * sending anything when a permission is missing. Access tokens for Microsoft Graph are meant for Graph
 * and may be opaque to clients: a token that does not decode is reported, never refused here.
 *
 * Claims used (learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference):
 * `tid` = tenant id; `appid` (v1.0 tokens, which Graph issues) or `azp` (v2.0 tokens) = the client's
 * app id; `roles` = application permissions; `scp` = delegated permissions.
 */

/**
 * The claims of a JWT (`header.payload.signature`, base64url): the payload as a JSON object, or
 * `undefined` when `token` is not a JWT whose payload is a JSON object (an opaque or encrypted token).
 * Never throws; the signature is not checked.
 */
export function decodeTokenClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? '')) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The tenant and app an access token was issued for, as lower-case strings. */
export interface TokenIdentity {
  /** Directory (tenant) id, the `tid` claim. */
  tenantId?: string;
  /** Application (client) id, the `appid` claim, else `azp`. */
  appId?: string;
}

/**
 * The tenant and app of a token, from its claims ({@link decodeTokenClaims}).
 * @returns the ids found, or `undefined` when `token` is not a JWT with a JSON payload, or names
 *   neither. Never throws.
 */
export function readTokenIdentity(token: string): TokenIdentity | undefined {
  const c = decodeTokenClaims(token);
  if (!c) return undefined;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined);
  const identity: TokenIdentity = { tenantId: text(c.tid), appId: text(c.appid) ?? text(c.azp) };
  return identity.tenantId || identity.appId ? identity : undefined;
}

/**
 * Reading (not verifying) the claims of a Microsoft identity platform access token. graph-bulk
 * never trusts these for security: they only name the tenant and app a token belongs to, so that
 * processes of one app in one tenant can find each other's shared write budget.
 *
 * Claims used (learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference):
 * `tid` = tenant id; `appid` (v1.0 tokens, which Graph issues) or `azp` (v2.0 tokens) = the client's app id.
 */

/** The tenant and app an access token was issued for, as lower-case strings. */
export interface TokenIdentity {
  /** Directory (tenant) id, the `tid` claim. */
  tenantId?: string;
  /** Application (client) id, the `appid` claim, else `azp`. */
  appId?: string;
}

/**
 * Decodes the payload of a JWT (`header.payload.signature`, base64url) without checking its signature.
 * @returns the tenant and app ids found, or `undefined` when `token` is not a JWT with a JSON payload
 *   (opaque tokens, e.g. the emulator's). Never throws.
 */
export function readTokenIdentity(token: string): TokenIdentity | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const c = claims as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined);
  const identity: TokenIdentity = { tenantId: text(c.tid), appId: text(c.appid) ?? text(c.azp) };
  return identity.tenantId || identity.appId ? identity : undefined;
}

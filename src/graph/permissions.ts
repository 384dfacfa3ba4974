/**
 * Which permissions a caller needs to update devices, and whether a token's claims hold them. Pure.
 *
 * Encodes docs/graph-behaviour.md §1: application (app-only) callers need `Device.ReadWrite.All` (least) or
 * `Directory.ReadWrite.All`; delegated callers need `Directory.AccessAsUser.All` (and the user a
 * suitable Entra role). Sources: learn.microsoft.com/en-us/graph/api/device-update (Permissions),
 * learn.microsoft.com/entra/identity-platform/access-token-claims-reference (`roles`, `scp`).
 */

/** Application permissions that allow `PATCH /devices/{id}`, least privileged first. */
export const DEVICE_WRITE_ROLES: readonly string[] = ['Device.ReadWrite.All', 'Directory.ReadWrite.All'];
/** The delegated permission that allows `PATCH /devices/{id}`. */
export const DEVICE_WRITE_SCOPE = 'Directory.AccessAsUser.All';

/**
 * What a token can do, from its claims:
 * - `app-only` (no `scp` claim): `roles` are its application permissions (none when the claim is absent,
 *   as Entra leaves it out when no permission is granted);
 * - `delegated` (`scp` present): `scopes` are its delegated permissions;
 * - `unknown`: the token could not be decoded (opaque): nothing can be said before Graph answers.
 * `ok` says whether it holds a permission that allows device writes.
 */
export type TokenPermissions =
  | { kind: 'app-only'; roles: string[]; ok: boolean }
  | { kind: 'delegated'; scopes: string[]; ok: boolean }
  | { kind: 'unknown' };

/** Classifies a token from its decoded claims (`undefined` for a token that did not decode). */
export function tokenPermissions(claims: Record<string, unknown> | undefined): TokenPermissions {
  if (!claims) return { kind: 'unknown' };
  if (typeof claims.scp === 'string') {
    const scopes = claims.scp.split(' ').filter(Boolean);
    return { kind: 'delegated', scopes, ok: scopes.includes(DEVICE_WRITE_SCOPE) };
  }
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  return { kind: 'app-only', roles, ok: roles.some((r) => DEVICE_WRITE_ROLES.includes(r)) };
}

/** One line for the log: `app-only (roles: Device.ReadWrite.All)`, `delegated (scp: …)`, or why unknown. */
export function describePermissions(p: TokenPermissions): string {
  if (p.kind === 'unknown') return 'unknown (the token is not a readable JWT)';
  const list = p.kind === 'app-only' ? p.roles : p.scopes;
  return `${p.kind} (${p.kind === 'app-only' ? 'roles' : 'scp'}: ${list.length ? list.join(', ') : 'none'})`;
}

/**
 * What is missing and what to grant, for a token whose `ok` is false: the sentence the run stops with.
 * Returns `undefined` when nothing is missing or nothing is known.
 */
export function missingPermission(p: TokenPermissions): string | undefined {
  if (p.kind === 'unknown' || p.ok) return undefined;
  if (p.kind === 'app-only') {
    return (
      `the token is app-only and its roles hold neither ${DEVICE_WRITE_ROLES.join(' nor ')} (it has: ${p.roles.length ? p.roles.join(', ') : 'none'}): ` +
      `grant the app registration the Microsoft Graph application permission ${DEVICE_WRITE_ROLES[0]} (or ${DEVICE_WRITE_ROLES[1]}) with admin consent, then sign in again`
    );
  }
  return (
    `the token is delegated and its scp does not hold ${DEVICE_WRITE_SCOPE} (it has: ${p.scopes.length ? p.scopes.join(', ') : 'none'}): ` +
    `consent the Microsoft Graph delegated permission ${DEVICE_WRITE_SCOPE} for the app, sign in again, and give the user an Entra role that may manage devices (Intune Administrator or higher)`
  );
}

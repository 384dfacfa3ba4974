/**
 * Compact JWS helpers for the emulated Entra: encode (HMAC-SHA256 or unsigned) and decode without
 * trusting anything. Pure, except for the keys passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who a Graph access token speaks for: an application (app-only: `roles`, its application
 * permissions) or a signed-in user through an application (delegated: `scp`, space-separated
 * delegated permissions). learn.microsoft.com/entra/identity-platform/access-token-claims-reference.
 */
export interface CallerClaims {
  roles?: readonly string[];
  scp?: string;
  /** `tid` of the token (default: the emulator's tenant): a token of another tenant, for one app across tenants. */
  tenantId?: string;
  /** `appid` of the token (default: the emulator's app): another app of the same tenant. */
  appId?: string;
  /** `oid` of a delegated token's user (default: the emulated admin's), the per-user budget's key. */
  userId?: string;
  /** `upn` of a delegated token's user (default `admin@contoso.example`). */
  upn?: string;
}

/**
 * The payload of an access token for Graph as Entra issues it (v1.0 tokens: `aud`, `iss`, `tid`,
 * `appid`, `idtyp`, times in s), carrying `roles` (app-only) or `scp` (delegated).
 * @param o.nowMs issue time, ms since the epoch; `o.lifetimeMs` its lifetime in ms.
 */
export function accessTokenPayload(o: {
  tenantId: string;
  clientId: string;
  resource: string;
  caller: CallerClaims;
  nowMs: number;
  lifetimeMs: number;
  appidacr?: string;
  tokenId: string;
}): Record<string, unknown> {
  const iat = Math.floor(o.nowMs / 1000);
  const delegated = o.caller.scp !== undefined;
  return {
    aud: o.resource,
    iss: `https://sts.windows.net/${o.caller.tenantId ?? o.tenantId}/`,
    iat,
    nbf: iat,
    exp: Math.floor((o.nowMs + o.lifetimeMs) / 1000),
    appid: o.caller.appId ?? o.clientId,
    appidacr: o.appidacr ?? '1',
    idtyp: delegated ? 'user' : 'app',
    oid: delegated ? (o.caller.userId ?? '0a1b2c3d-0000-4000-8000-00000000a11c') : (o.caller.appId ?? o.clientId),
    sub: o.caller.appId ?? o.clientId,
    tid: o.caller.tenantId ?? o.tenantId,
    ...(delegated
      ? { scp: o.caller.scp, upn: o.caller.upn ?? 'admin@contoso.example', name: 'Emulated admin' }
      : { roles: [...(o.caller.roles ?? [])] }),
    uti: o.tokenId,
    ver: '1.0',
  };
}

/** A decoded compact JWS: its parsed header and payload, the signing input and the signature bytes. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `base64url(header).base64url(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** Signs `header`+`payload` with HMAC-SHA256 (`alg: HS256`) under `key`. */
export function signHs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: Buffer): string {
  const input = `${b64url(JSON.stringify({ ...header, alg: 'HS256' }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** True when `jwt` carries a valid HS256 signature under `key`. */
export function verifyHs256(jwt: DecodedJwt, key: Buffer): boolean {
  if (jwt.header.alg !== 'HS256') return false;
  const expected = createHmac('sha256', key).update(jwt.signingInput).digest();
  return expected.length === jwt.signature.length && timingSafeEqual(expected, jwt.signature);
}

/** Decodes a compact JWS (three base64url parts, JSON header and payload); undefined when malformed. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

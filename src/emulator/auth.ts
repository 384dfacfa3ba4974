/**
 * Bearer-token acceptance for the emulator (docs/graph-behaviour.md §4: 401 `InvalidAuthenticationToken`,
 * "Lifetime validation failed, the token is expired." when a token outlives its lifetime).
 * Pure bookkeeping: the clock is passed in (ms since the epoch).
 */
import { randomBytes } from 'node:crypto';
import { GraphErrors, type GraphErrorSpec } from './errors.js';

interface TokenRecord {
  /** ms since the epoch after which the token is expired; `undefined` = never. */
  expiresAt: number | undefined;
  /** Generation at issue time; tokens older than the current revocation generation are dead. */
  generation: number;
  /** ms since the epoch when it was issued. */
  issuedAt: number;
  /** Application permissions the token carries (`roles`); `undefined` = not checked (the default
   * token and `issueToken()` tokens). */
  roles: readonly string[] | undefined;
  /** Delegated permissions the token carries (`scp`, split); `undefined` for app-only or unchecked tokens. */
  scopes: readonly string[] | undefined;
}

/** What {@link TokenStore.verify} found: the 401 to answer with, or the accepted token's roles / scopes. */
export type TokenCheck =
  | { error: GraphErrorSpec }
  | { error?: undefined; roles: readonly string[] | undefined; scopes?: readonly string[] | undefined };

/** Creates an opaque token string (JWT-looking, three base64url parts). */
export function newTokenString(): string {
  const part = (n: number) => randomBytes(n).toString('base64url');
  return `eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.${part(24)}.${part(16)}`;
}

/** The set of tokens the emulator accepts. */
export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();
  private generation = 0;
  /** Default lifetime (ms) for tokens issued without one; `undefined` = never expire. */
  defaultLifetimeMs: number | undefined;
  /** Graph rejects every token this many ms after it was issued, whatever its lifetime says (a
   * token revoked early); `undefined` = never. */
  revokeAfterMs: number | undefined;

  constructor(defaultLifetimeMs: number | undefined) {
    this.defaultLifetimeMs = defaultLifetimeMs;
  }

  /**
   * Accepts `token` (or a new random one) from `now` for `lifetimeMs` (default: the store's
   * default lifetime), with the permissions Graph checks: application `roles` or delegated `scopes`
   * (neither: not checked). Returns the token string.
   */
  issue(
    now: number,
    lifetimeMs: number | undefined = this.defaultLifetimeMs,
    token: string = newTokenString(),
    roles?: readonly string[],
    scopes?: readonly string[],
  ): string {
    this.tokens.set(token, {
      expiresAt: lifetimeMs === undefined ? undefined : now + lifetimeMs,
      generation: this.generation,
      issuedAt: now,
      roles,
      scopes,
    });
    return token;
  }

  /** Makes every token issued so far invalid; tokens issued afterwards are accepted. */
  revokeAll(): void {
    this.generation += 1;
  }

  /**
   * Checks an `Authorization` header value at `now` (ms since the epoch).
   * @returns `undefined` when accepted, else the 401 error to answer with:
   *   missing/empty → "Access token is empty."; unknown or not `Bearer` → "Access token validation
   *   failure."; expired or revoked → "Lifetime validation failed, the token is expired."
   */
  check(authorization: string | undefined, now: number): GraphErrorSpec | undefined {
    return this.verify(authorization, now).error;
  }

  /**
   * Like {@link check}, also answering the accepted token's roles. A token is also dead
   * {@link revokeAfterMs} ms after its issue ("Lifetime validation failed, the token is expired.").
   */
  verify(authorization: string | undefined, now: number): TokenCheck {
    if (authorization === undefined || authorization.trim() === '') return { error: GraphErrors.tokenEmpty() };
    const match = /^\s*bearer(?:\s+(.*))?$/i.exec(authorization);
    if (!match) return { error: GraphErrors.tokenInvalid() };
    const token = (match[1] ?? '').trim();
    if (token === '') return { error: GraphErrors.tokenEmpty() };
    const record = this.tokens.get(token);
    if (!record) return { error: GraphErrors.tokenInvalid() };
    if (record.generation < this.generation) return { error: GraphErrors.tokenExpired() };
    if (record.expiresAt !== undefined && now >= record.expiresAt) return { error: GraphErrors.tokenExpired() };
    if (this.revokeAfterMs !== undefined && now >= record.issuedAt + this.revokeAfterMs) return { error: GraphErrors.tokenExpired() };
    return { roles: record.roles, scopes: record.scopes };
  }
}

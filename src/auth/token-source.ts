import type { TokenCredential } from '@azure/identity';
import { rememberSecret } from '../secrets/redact.js';

/**
 * Where bearer tokens come from. `getToken` is called for every request (or `$batch`) so that runs
 * longer than a token's life keep working; credentials cache and refresh on their own
 * (docs/graph-behaviour.md §4). `forceRefresh` asks for a token other than the cached one, after Graph
 * rejected `rejectedToken` with 401 `InvalidAuthenticationToken`.
 */
export interface TokenSource {
  getToken(options?: { forceRefresh?: boolean; rejectedToken?: string }): Promise<string>;
  /** Which kind of source, for logs (never the token). */
  readonly description: string;
}

/** A fixed token, e.g. `GRAPH_ACCESS_TOKEN` from `az account get-access-token`. It cannot be refreshed. */
export function staticTokenSource(token: string, description = 'GRAPH_ACCESS_TOKEN'): TokenSource {
  return { description, getToken: async () => token };
}

/**
 * The claims challenge graph-bulk sends to get a token newer than the cached one: Continuous Access
 * Evaluation's `{"access_token":{"nbf":{"essential":true,"value":"<now, s>"}}}` (a JSON string, as
 * @azure/core-rest-pipeline passes a decoded CAE challenge). MSAL's confidential client skips its
 * cache for any request with claims and forwards them to Entra's token endpoint.
 * Source: learn.microsoft.com/entra/identity-platform/claims-challenge.
 * @param nowMs ms since the epoch
 */
export function freshTokenClaims(nowMs: number): string {
  return JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(nowMs / 1000)) } } });
}

/** How {@link credentialTokenSource} gets past caches and words failures. */
export interface CredentialTokenSourceOptions {
  /**
   * Gets a token with every cache bypassed, for credentials that ignore claims: @azure/identity
   * 4.13's ManagedIdentityCredential does not pass them to MSAL, whose managed-identity cache is
   * shared by the whole process. Used only when the claims request returned the rejected token.
   */
  bypassCache?: (scope: string) => Promise<string>;
  /** Turns a getToken failure into the error to throw (default: the error as is). */
  explain?: (err: unknown) => Promise<Error>;
}

/**
 * Tokens from an @azure/identity credential for `scope` (`{graph-root}/.default`).
 *
 * A forced refresh asks with {@link freshTokenClaims} (MSAL skips its cache and Entra issues a new
 * token). A credential that refuses claims (Azure CLI) is asked plainly instead; when the answer is
 * still the rejected token, `bypassCache` (if given) fetches one past every cache.
 * @throws the credential's error, or `explain(error)`, when no token can be had.
 */
export function credentialTokenSource(
  credential: TokenCredential,
  scope: string,
  description: string,
  options: CredentialTokenSourceOptions = {},
): TokenSource {
  const attempt = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw options.explain ? await options.explain(err) : err;
    }
  };
  const plain = () =>
    attempt(async () => {
      const token = await credential.getToken(scope);
      if (!token) throw new Error(`${description}: no token returned for scope ${scope}`);
      return token.token;
    });
  return {
    description,
    async getToken(request) {
      if (!request?.forceRefresh) return plain();
      let token: string | undefined;
      try {
        token = (await credential.getToken(scope, { claims: freshTokenClaims(Date.now()) }))?.token;
      } catch {
        token = undefined; // e.g. AzureCliCredential refuses claims; a plain request says whether sign-in works
      }
      token ??= await plain();
      if (token === request.rejectedToken && options.bypassCache) return attempt(() => options.bypassCache!(scope));
      return token;
    },
  };
}

/**
 * Shares one token among all workers and renews it once, not once per worker, when Graph rejects it.
 * Every token it hands out is given to `rememberSecret`, so no output can carry it.
 */
export class TokenManager {
  #renewing: Promise<string> | undefined;
  #latest: string | undefined;
  readonly #rejected = new Set<string>();

  constructor(private readonly source: TokenSource) {}

  get description(): string {
    return this.source.description;
  }

  /** The token to send now. */
  async current(): Promise<string> {
    if (this.#renewing) return this.#renewing;
    const token = await this.source.getToken();
    rememberSecret(token); // redacted from every log line, result and error from now on
    if (this.#rejected.has(token)) return this.renew(token);
    this.#latest = token;
    return token;
  }

  /**
   * Called after a 401 `InvalidAuthenticationToken` for `rejectedToken`: fetches a fresh token, once
   * for all workers that saw the same rejection (a worker whose request carried an older token gets
   * the one already renewed).
   */
  async renew(rejectedToken: string): Promise<string> {
    this.#rejected.add(rejectedToken);
    if (this.#renewing) return this.#renewing;
    if (this.#latest !== undefined && !this.#rejected.has(this.#latest)) return this.#latest;
    this.#renewing = this.source
      .getToken({ forceRefresh: true, rejectedToken })
      .then((token) => {
        rememberSecret(token);
        this.#latest = token;
        return token;
      })
      .finally(() => {
        this.#renewing = undefined;
      });
    return this.#renewing;
  }
}

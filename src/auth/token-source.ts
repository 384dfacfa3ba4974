import type { TokenCredential } from '@azure/identity';
import { rememberSecret } from '../graph/errors.js';

/**
 * Where bearer tokens come from. `getToken` is called for every request (or `$batch`) so that runs
 * longer than a token's life keep working; credentials cache and refresh on their own
 * (graph-facts.md §4). `forceRefresh` asks for a token other than the cached one, after Graph
 * rejected the current one with 401 `InvalidAuthenticationToken`.
 */
export interface TokenSource {
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
  /** Which kind of source, for logs (never the token). */
  readonly description: string;
}

/** A fixed token, e.g. `GRAPH_ACCESS_TOKEN` from `az account get-access-token`. It cannot be refreshed. */
export function staticTokenSource(token: string, description = 'GRAPH_ACCESS_TOKEN'): TokenSource {
  return { description, getToken: async () => token };
}

/**
 * Tokens from an @azure/identity credential for `scope` (`{graph-root}/.default`).
 * A forced refresh passes a claims challenge, which makes MSAL skip its cache.
 * @throws the credential's error (e.g. `CredentialUnavailableError`, `AuthenticationError`) from getToken.
 */
export function credentialTokenSource(credential: TokenCredential, scope: string, description: string): TokenSource {
  return {
    description,
    async getToken(options) {
      const claims = options?.forceRefresh
        ? Buffer.from(JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } })).toString('base64')
        : undefined;
      const token = await credential.getToken(scope, claims ? { claims } : undefined);
      if (!token) throw new Error(`${description}: no token returned for scope ${scope}`);
      return token.token;
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
      .getToken({ forceRefresh: true })
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

/**
 * Listing devices page by page: `GET /devices?$filter=…&$top=999`, then every `@odata.nextLink`,
 * each page paced by the read budget (resource units), retried like every other request (same retry
 * strategies: 429 with `Retry-After`, 503, 504, network errors), a 401 answered by a fresh token.
 *
 * Sources: docs/graph-behaviour.md §3 (resource-unit cost: base 1, `$select` −1, `$top` under 20 −1,
 * `$expand` +1, never below 1) and §5 (paging; the `ConsistencyLevel` header goes with every page).
 */
import type { TokenManager } from '../auth/token-source.js';
import { decideRetry, defaultRetryStrategies, isSuccess, type RetryStrategy } from '../graph/retry.js';
import type { WriteBudget } from '../schedule/write-budget.js';
import type { GraphSender, ItemOutcome } from '../send/graph-sender.js';
import { checkNextLink } from './list-request.js';

/** One page of a device query. */
export interface DevicePage {
  /** The devices of the page, as Graph sent them (`$select`ed properties). */
  devices: Array<Record<string, unknown>>;
  /** The next page's URL (absolute), absent on the last page. */
  nextLink?: string;
  /** `@odata.count` (advanced queries with `$count=true`): devices matching in all. */
  count?: number;
  /** The URL this page was read from. */
  url: string;
}

/** A page Graph did not give: refused (400, 403, …) or retries exhausted. */
export class QueryRequestError extends Error {
  override readonly name = 'QueryRequestError';
  constructor(
    message: string,
    readonly outcome: ItemOutcome,
  ) {
    super(message);
  }
}

/**
 * Resource units a device list request costs (docs/graph-behaviour.md §3): base 1; `$select` −1;
 * `$top` under 20 −1; `$expand` +1; never below 1.
 */
export function pageCost(url: string): number {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  let cost = 1;
  if (params.has('$select')) cost -= 1;
  const top = Number(params.get('$top'));
  if (params.has('$top') && top < 20) cost -= 1;
  if (params.has('$expand')) cost += 1;
  return Math.max(1, cost);
}

/** Options of {@link DeviceLister}. */
export interface DeviceListerOptions {
  sender: Pick<GraphSender, 'get' | 'versionRoot'>;
  tokens: Pick<TokenManager, 'renew'>;
  /** The read budget in resource units, or undefined for no client-side pacing. */
  budget?: Pick<WriteBudget, 'schedule' | 'drain'>;
  /** Retries per page after its first attempt. */
  maxRetries: number;
  strategies?: readonly RetryStrategy[];
  /** Aborting it ends the listing after the page in flight (`pages()` returns). */
  signal?: AbortSignal;
}

/** Counters of a {@link DeviceLister}. */
export interface ListerStats {
  /** GETs sent, retries included. */
  requests: number;
  pages: number;
  throttled429: number;
  retries: number;
}

const wait = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Follows a device query's pages one after the other (Graph's paging is sequential). */
export class DeviceLister {
  readonly #o: DeviceListerOptions;
  readonly #strategies: readonly RetryStrategy[];
  readonly stats: ListerStats = { requests: 0, pages: 0, throttled429: 0, retries: 0 };

  constructor(options: DeviceListerOptions) {
    this.#o = options;
    this.#strategies = options.strategies ?? defaultRetryStrategies();
  }

  /**
   * Yields every page from `url` on (the first page's URL, or a saved next link to resume from).
   * Returns early (no error) when the signal is aborted.
   * @param headers sent with every page (`ConsistencyLevel: eventual` for an advanced query)
   * @throws QueryRequestError when a page is refused or its retries run out (Graph's code and message
   *   in the error's text); QueryError for a next link outside the version root.
   */
  async *pages(url: string, headers: Record<string, string> = {}): AsyncGenerator<DevicePage, void, undefined> {
    let next: string | undefined = url;
    while (next !== undefined) {
      if (this.#o.signal?.aborted) return;
      const page = await this.#fetch(next, headers);
      if (page === undefined) return;
      this.stats.pages++;
      yield page;
      next = page.nextLink;
    }
  }

  async #fetch(url: string, headers: Record<string, string>): Promise<DevicePage | undefined> {
    let attempt = 0;
    let replays = 0;
    for (;;) {
      if (this.#o.signal?.aborted) return undefined;
      const send = () => {
        this.stats.requests++;
        return this.#o.sender.get(url, headers);
      };
      let sent: Awaited<ReturnType<typeof send>>;
      try {
        sent = this.#o.budget ? await this.#o.budget.schedule(pageCost(url), send) : await send();
      } catch {
        return undefined; // the budget was stopped: the run is stopping
      }
      const { outcome, info } = sent;
      attempt++;
      if (outcome.status !== undefined && isSuccess(outcome.status)) return this.#page(url, outcome.body);
      if (outcome.status === 401 && replays < 2) {
        replays++;
        attempt--;
        await this.#o.tokens.renew(info.token).catch(() => undefined);
        continue;
      }
      if (outcome.status === 429) {
        this.stats.throttled429++;
        void this.#o.budget?.drain();
      }
      const decision = decideRetry(outcome, attempt, this.#o.maxRetries, this.#strategies);
      if ('final' in decision) {
        const what =
          outcome.status !== undefined ? `${outcome.status} ${outcome.errorCode ?? ''}`.trim() : `network error (${outcome.networkError})`;
        throw new QueryRequestError(
          `Graph ${outcome.status === 400 ? 'refused the query' : 'did not give the page'} (${what}): ${outcome.errorMessage ?? decision.reason}`,
          outcome,
        );
      }
      this.stats.retries++;
      await wait(decision.retryAfterInMs, this.#o.signal);
    }
  }

  #page(url: string, body: unknown): DevicePage {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (!Array.isArray(b.value)) {
      throw new QueryRequestError('Graph answered the device query without a "value" list', { status: 502, errorCode: 'BadListResponse' });
    }
    const page: DevicePage = { url, devices: b.value as Array<Record<string, unknown>> };
    if (b['@odata.nextLink'] !== undefined) page.nextLink = checkNextLink(b['@odata.nextLink'], this.#o.sender.versionRoot);
    if (typeof b['@odata.count'] === 'number') page.count = b['@odata.count'];
    return page;
  }
}

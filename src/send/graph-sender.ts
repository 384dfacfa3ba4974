import { randomUUID } from 'node:crypto';
import type { TokenManager } from '../auth/token-source.js';
import { buildBatchBody, longestRetryAfterMs, parseBatchResponse, type BatchItem } from '../graph/batch.js';
import { parseGraphError } from '../graph/errors.js';
import { redactSecrets } from '../secrets/redact.js';
import { getHeader, type HeaderBag } from '../graph/headers.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfterMs, parseThrottleLimitPercentage, retryAfterBeyondMax } from '../graph/retry-after.js';
import { isSuccess, REQUEST_NOT_SENT, RESPONSE_TOO_LARGE } from '../graph/retry.js';
import { batchUrl, versionRoot, type ApiVersion } from '../graph/urls.js';
import type { DevicePatchBody } from '../types.js';
import { sendHttp, type HttpResult } from './http.js';
import type { Network } from './network.js';
import type { NetworkFault } from './network-fault.js';

/** One PATCH to send: `id` is a synthetic id (the row number), `path` a relative device path. */
export interface SendItem {
  id: string;
  path: string;
  body: DevicePatchBody;
  /** `DELETE` removes the device (docs/graph-behaviour.md §5; `body` is not sent). Default `PATCH`. */
  method?: 'PATCH' | 'DELETE';
}

/** One GET to send inside a `$batch`: `id` synthetic and unique in the batch, `path` relative to the
 * version root with its query (see `deviceReadPath`). */
export interface ReadItem {
  id: string;
  path: string;
}

/**
 * The outcome of one attempt for one item. `status` is undefined for a network error.
 * `retryAfterMs` is the `Retry-After` that applies to it (inner, else outer), in ms.
 */
export interface ItemOutcome {
  status?: number;
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
  networkError?: 'timeout' | 'reset' | 'refused' | 'other';
  retryAfterMs?: number;
  /** The response body of a successful GET (parsed JSON); absent for writes and failures. */
  body?: unknown;
  /** A 429's `x-ms-throttle-scope` (which budget Graph says was spent, docs/graph-behaviour.md §3), as sent. */
  throttleScope?: string;
  /** What a network failure means (host, TLS, proxy, whether retrying can help); see `classifyNetworkFault`. */
  fault?: NetworkFault;
}

/** What one HTTP exchange told us beyond the items' outcomes. */
export interface ExchangeInfo {
  /** The bearer token that was sent (to renew it once on a 401). Never logged. */
  token: string;
  /** Outer HTTP status; undefined on a network error. */
  outerStatus?: number;
  /**
   * `x-ms-throttle-limit-percentage` (0.8–1.8) when Graph sent it: of a `$batch`, the highest among
   * the outer and the inner responses (the writes are counted per inner request, so the usage Graph
   * reports after the batch's last write is the highest).
   */
  throttleLimitPercentage?: number;
  /** Of a `$batch`: the longest inner `Retry-After` (429, 503, 504), ms (`longestRetryAfterMs`); the
   * throttled requests all wait for it (docs/graph-behaviour.md §2). */
  batchRetryAfterMs?: number;
}

/** Options of {@link GraphSender}. */
export interface GraphSenderOptions {
  /** Graph root, e.g. `https://graph.microsoft.com` (no trailing slash). */
  graphRoot: string;
  apiVersion: ApiVersion;
  tokens: TokenManager;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** `x-ms-throttle-priority`: Low | Normal | High. */
  throttlePriority: string;
  /** Clock, epoch ms (for an HTTP-date Retry-After whose response has no readable `Date` header). */
  now?: () => number;
  /** Aborting it abandons every request in flight (a stopping run that waited long enough). */
  signal?: AbortSignal;
  /** The way out: proxy and CAs (see `createNetwork`). Default direct. */
  network?: Network;
  /**
   * Told of every exchange, reads and writes alike, as it comes back (before its outcomes are handed
   * on): the outer HTTP status, or the classified network failure. For the run's connectivity rules
   * (src/job/connectivity.ts). Must not throw.
   */
  observe?: (seen: { status?: number; fault?: NetworkFault; atMs: number }) => void;
  /** Largest response body read, bytes (default send/http.ts's MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
  /** Longest `Retry-After` accepted, ms (default 10 minutes, `DEFAULT_MAX_RETRY_AFTER_MS`). */
  maxRetryAfterMs?: number;
  /**
   * Called with the reason when an answer asks to wait longer than `maxRetryAfterMs` (the job stops,
   * resumable); that answer's `retryAfterMs` is then left out, so no timer is ever set for it.
   */
  onRetryAfterBeyondMax?: (reason: string) => void;
}

/**
 * Sends device PATCHes to Graph, one per request or packed into `$batch`, and device reads (GET) packed
 * into `$batch`, and turns every answer into a per-item outcome. It decides nothing about retries: the job does, from these outcomes.
 * Sources: learn.microsoft.com/en-us/graph/api/device-update, /graph/json-batching, /graph/throttling.
 */
export class GraphSender {
  readonly #root: string;
  readonly #batchUrl: string;
  readonly #now: () => number;

  constructor(private readonly options: GraphSenderOptions) {
    this.#root = versionRoot(options.graphRoot, options.apiVersion);
    this.#batchUrl = batchUrl(options.graphRoot, options.apiVersion);
    this.#now = options.now ?? Date.now;
  }

  /** Sends one `PATCH {root}/{path}`. */
  async single(item: SendItem): Promise<{ outcome: ItemOutcome; info: ExchangeInfo }> {
    const { token, res } = await this.#exchange(
      item.method ?? 'PATCH',
      this.#root + item.path,
      item.method === 'DELETE' ? undefined : item.body,
    );
    if (!res.ok) return { outcome: failureOutcome(res), info: { token } };
    return { outcome: this.#outcomeOf(res.status, res.json ?? res.text, res.headers, res.headers), info: this.#info(token, res) };
  }

  /**
   * Sends up to 20 PATCHes in one `POST {root}/$batch` and matches the responses by id, in any order.
   * A non-200 outer status, a network error or an unreadable body applies to every item; an item with
   * no inner response is reported as a 500-class failure so it is retried.
   */
  async batch(items: readonly SendItem[]): Promise<{ outcomes: Map<string, ItemOutcome>; info: ExchangeInfo }> {
    return this.#sendBatch(
      items.map((i) =>
        i.method === 'DELETE' ? { id: i.id, method: 'DELETE', url: i.path } : { id: i.id, method: 'PATCH', url: i.path, body: i.body },
      ),
    );
  }

  /**
   * Sends one `GET` of an absolute URL under the version root (a device query's page or its
   * `@odata.nextLink`, docs/graph-behaviour.md §5) with extra `headers` (e.g. `ConsistencyLevel:
   * eventual`); a 2xx outcome carries the parsed `body`.
   */
  async get(url: string, headers: Record<string, string> = {}): Promise<{ outcome: ItemOutcome; info: ExchangeInfo }> {
    const { token, res } = await this.#exchange('GET', url, undefined, headers);
    if (!res.ok) return { outcome: failureOutcome(res), info: { token } };
    const outcome = this.#outcomeOf(res.status, res.json ?? res.text, res.headers, res.headers);
    if (isSuccess(res.status)) outcome.body = res.json;
    return { outcome, info: this.#info(token, res) };
  }

  /** The version root requests go to, e.g. `https://graph.microsoft.com/v1.0`. */
  get versionRoot(): string {
    return this.#root;
  }

  /**
   * Sends up to 20 GETs in one `POST {root}/$batch` (reads of device state), with the same matching
   * and failure rules as {@link batch}; a 2xx item's outcome carries the inner response `body`.
   * Source: learn.microsoft.com/en-us/graph/json-batching (GET requests carry no body or headers).
   */
  async batchGet(items: readonly ReadItem[]): Promise<{ outcomes: Map<string, ItemOutcome>; info: ExchangeInfo }> {
    return this.#sendBatch(items.map((i) => ({ id: i.id, method: 'GET', url: i.path })));
  }

  async #sendBatch(batchItems: BatchItem[]): Promise<{ outcomes: Map<string, ItemOutcome>; info: ExchangeInfo }> {
    const { token, res } = await this.#exchange('POST', this.#batchUrl, buildBatchBody(batchItems));
    const outcomes = new Map<string, ItemOutcome>();
    const all = (o: ItemOutcome) => {
      for (const i of batchItems) outcomes.set(i.id, o);
    };
    if (!res.ok) {
      all(failureOutcome(res));
      return { outcomes, info: { token } };
    }
    const info = this.#info(token, res);
    if (res.status !== 200) {
      all(this.#outcomeOf(res.status, res.json ?? res.text, res.headers, res.headers));
      return { outcomes, info };
    }
    let parsed: ReturnType<typeof parseBatchResponse>;
    try {
      parsed = parseBatchResponse(
        res.json,
        batchItems.map((i) => i.id),
      );
    } catch (err) {
      all({ status: 502, errorCode: 'BadBatchResponse', errorMessage: redactSecrets((err as Error).message) });
      return { outcomes, info };
    }
    const outerRequestId = getHeader(res.headers, 'request-id');
    for (const inner of parsed.byId.values()) {
      const pct = parseThrottleLimitPercentage(getHeader(inner.headers, 'x-ms-throttle-limit-percentage'));
      if (pct !== undefined && !(pct <= (info.throttleLimitPercentage ?? -1))) info.throttleLimitPercentage = pct;
    }
    const longest = longestRetryAfterMs(parsed.byId.values(), this.#now(), getHeader(res.headers, 'date'));
    if (longest !== undefined) info.batchRetryAfterMs = longest;
    for (const item of batchItems) {
      const inner = parsed.byId.get(item.id);
      if (!inner) {
        outcomes.set(item.id, {
          status: 502,
          errorCode: 'MissingBatchResponse',
          errorMessage: 'the $batch response had no entry for this request',
          requestId: outerRequestId,
        });
        continue;
      }
      const outcome = this.#outcomeOf(inner.status, inner.body, inner.headers, res.headers);
      if (item.method === 'GET' && isSuccess(inner.status)) outcome.body = inner.body;
      outcome.requestId ??= outerRequestId;
      outcomes.set(item.id, outcome);
    }
    return { outcomes, info };
  }

  /**
   * Takes a token and sends one request. Never throws: a failure before any answer (no token, a
   * request Node's HTTP client refuses to build, e.g. a token holding a line break) comes back as a
   * failure with errorCode {@link REQUEST_NOT_SENT}, its message redacted.
   */
  async #exchange(
    method: 'PATCH' | 'POST' | 'GET' | 'DELETE',
    url: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ token: string; res: HttpResult | NotSent }> {
    let token = '';
    try {
      token = await this.options.tokens.current();
      const res = await sendHttp({
        method,
        url,
        headers: { ...this.#headers(token), ...headers },
        ...(body !== undefined ? { body } : {}),
        timeoutMs: this.options.timeoutMs,
        signal: this.options.signal,
        network: this.options.network,
        ...(this.options.maxResponseBytes !== undefined ? { maxResponseBytes: this.options.maxResponseBytes } : {}),
      });
      this.options.observe?.(res.ok ? { status: res.status, atMs: this.#now() } : { fault: res.fault, atMs: this.#now() });
      return { token, res };
    } catch (err) {
      return {
        token,
        res: { ok: false, notSent: true, message: redactSecrets(`request not sent: ${(err as Error)?.message ?? String(err)}`) },
      };
    }
  }

  #headers(token: string): Record<string, string> {
    return {
      Authorization: `Bearer ${token}`,
      'client-request-id': randomUUID(),
      'x-ms-throttle-priority': this.options.throttlePriority,
      'User-Agent': 'graph-bulk',
      Accept: 'application/json',
    };
  }

  #info(token: string, res: Extract<HttpResult, { ok: true }>): ExchangeInfo {
    return {
      token,
      outerStatus: res.status,
      throttleLimitPercentage: parseThrottleLimitPercentage(getHeader(res.headers, 'x-ms-throttle-limit-percentage')),
    };
  }

  /** @param outer the outer response's headers: its `Date` measures an HTTP-date `Retry-After` (inner
   * responses carry no `Date` of their own; docs/graph-behaviour.md §3, §6). */
  #outcomeOf(status: number, body: unknown, headers: HeaderBag, outer: HeaderBag): ItemOutcome {
    const requestId = getHeader(headers, 'request-id');
    if (status >= 200 && status < 300) return { status, requestId };
    const err = parseGraphError(status, body, headers);
    const throttleScope = status === 429 ? getHeader(headers, 'x-ms-throttle-scope') : undefined;
    return {
      ...(throttleScope !== undefined ? { throttleScope } : {}),
      status,
      errorCode: err.code,
      errorMessage: redactSecrets(err.message),
      requestId: err.requestId ?? requestId,
      retryAfterMs: this.#acceptable(
        parseRetryAfterMs(getHeader(headers, 'retry-after'), this.#now(), getHeader(headers, 'date') ?? getHeader(outer, 'date')),
      ),
    };
  }

  /** A `Retry-After` within `maxRetryAfterMs`, else undefined (and the job told, see `onRetryAfterBeyondMax`). */
  #acceptable(retryAfterMs: number | undefined): number | undefined {
    const beyond = retryAfterBeyondMax(retryAfterMs, this.options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
    if (beyond === undefined) return retryAfterMs;
    this.options.onRetryAfterBeyondMax?.(beyond);
    return undefined;
  }
}

/** A request that never went out (see GraphSender's exchange). */
interface NotSent {
  ok: false;
  notSent: true;
  message: string;
}

/** The outcome of a request that got no readable answer. */
function failureOutcome(res: Extract<HttpResult, { ok: false }> | NotSent): ItemOutcome {
  if ('notSent' in res) return { errorCode: REQUEST_NOT_SENT, errorMessage: res.message };
  if (res.tooLarge) return { networkError: res.networkError, errorCode: RESPONSE_TOO_LARGE, errorMessage: res.message };
  return { networkError: res.networkError, errorMessage: res.message, ...(res.fault ? { fault: res.fault } : {}) };
}

/**
 * The outcome for request `id` of an exchange: its own, or — when a `$batch` answer had no entry for
 * it — a 502 `MissingBatchResponse`, retried like any 5xx (docs/graph-behaviour.md §2).
 */
export function outcomeFor(outcomes: ReadonlyMap<string, ItemOutcome>, id: string): ItemOutcome {
  return outcomes.get(id) ?? { status: 502, errorCode: 'MissingBatchResponse' };
}

/**
 * Retry decisions, as small named strategies each with one decision function (the shape of Azure SDK
 * core-rest-pipeline's retry strategies). Pure: delays are returned, never waited; randomness is injected.
 *
 * Encodes docs/graph-behaviour.md §3 ("Throttling": wait Retry-After, else exponential backoff with jitter; a
 * throttle is per app so every worker pauses on 429; retryable 429/503/504, 409
 * `Directory_ConcurrencyViolation`, network errors; not retryable 400/403/404) and §2 (a throttled batch
 * may fail with 424). Sources: learn.microsoft.com/en-us/graph/throttling,
 * learn.microsoft.com/en-us/graph/throttling-limits, learn.microsoft.com/en-us/graph/best-practices-concept
 * (handling expected errors), learn.microsoft.com/en-us/graph/json-batching.
 */

/**
 * What one attempt of a request produced.
 * - `status`: HTTP status (of the inner response for batched requests); `undefined` for a network error
 *   or timeout.
 * - `errorCode`: Graph `error.code`, e.g. `Directory_ConcurrencyViolation`.
 * - `networkError`: kind of transport failure when there is no status.
 * - `retryAfterMs`: the response's Retry-After already parsed to **milliseconds** (see `parseRetryAfterMs`).
 */
export interface AttemptOutcome {
  status?: number;
  errorCode?: string;
  networkError?: 'timeout' | 'reset' | 'refused' | 'other';
  retryAfterMs?: number;
}

/**
 * A strategy's answer:
 * - retry after `retryAfterInMs` **milliseconds**; `throttled: true` (429, and 424 from a throttled batch)
 *   means the app is throttled and every worker must pause, not just this request;
 * - `{ skipStrategy: true }`: no opinion, ask the next strategy;
 * - `{ final: true }`: stop; the row fails with this outcome.
 */
export type RetryDecision =
  | { retryAfterInMs: number; throttled: boolean; reason: string }
  | { skipStrategy: true }
  | { final: true; reason: string };

/** A named retry policy with one decision function. `attempt` counts attempts made so far, 1-based. */
export interface RetryStrategy {
  readonly name: string;
  retry(input: { outcome: AttemptOutcome; attempt: number }): RetryDecision;
}

/**
 * graph-bulk's own code for a request that could not be sent at all (no token, or a request Node's
 * HTTP client refuses to build, such as a token holding a line break). Not retried: it would fail the
 * same way.
 */
export const REQUEST_NOT_SENT = 'RequestNotSent';
/**
 * graph-bulk's own code for an answer whose body passed the size limit (send/http.ts): not read, not
 * retried (Graph's answers are kilobytes; what sends more is not Graph). The request may have been
 * applied.
 */
export const RESPONSE_TOO_LARGE = 'ResponseTooLarge';

/**
 * Whether a write may have been applied, judging by one attempt's outcome: yes for a 2xx, a 5xx (a
 * 504 may have done the work, docs/graph-behaviour.md §3) and an answer that never came or was not
 * read (timeout, dropped connection, too large); no for a 4xx (Graph refused it: 400, 404, 429, …)
 * and a request that was never sent. The rollback manifest keeps the line of every row for which
 * any attempt may have been applied.
 */
export function mayHaveBeenApplied(o: Pick<AttemptOutcome, 'status' | 'errorCode'>): boolean {
  if (o.status === undefined) return o.errorCode !== REQUEST_NOT_SENT;
  return o.status < 400 || o.status >= 500;
}

/** Graph error code of a 409 that is safe to retry (docs/graph-behaviour.md §3). */
export const CONCURRENCY_VIOLATION = 'Directory_ConcurrencyViolation';

/** Is `status` a 2xx success? */
export function isSuccess(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 299;
}

function isConcurrencyViolation(o: AttemptOutcome): boolean {
  return o.status === 409 && typeof o.errorCode === 'string' && o.errorCode.toLowerCase() === CONCURRENCY_VIOLATION.toLowerCase();
}

/**
 * Is this outcome worth retrying at all? Network errors (no status; not {@link REQUEST_NOT_SENT} nor
 * {@link RESPONSE_TOO_LARGE}), 408, 409
 * `Directory_ConcurrencyViolation`, 424 (throttled batch, docs/graph-behaviour.md §2), 429, 500, 502, 503, 504.
 */
export function isRetryableOutcome(o: AttemptOutcome): boolean {
  if (o.status === undefined) return o.errorCode !== REQUEST_NOT_SENT && o.errorCode !== RESPONSE_TOO_LARGE;
  return RETRYABLE_STATUSES.has(o.status) || isConcurrencyViolation(o);
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 424, 429, 500, 502, 503, 504]);

function describe(o: AttemptOutcome): string {
  if (o.status === undefined) return `network error (${o.networkError ?? 'other'})`;
  return o.errorCode ? `HTTP ${o.status} ${o.errorCode}` : `HTTP ${o.status}`;
}

/** Is the app throttled by this outcome? 429, and 424 (Graph's throttling page: a throttled batch fails with 424). */
function isThrottle(o: AttemptOutcome): boolean {
  return o.status === 429 || o.status === 424;
}

/**
 * Client errors that retrying cannot fix → `final`: every 4xx except 408 (timeout), 409
 * `Directory_ConcurrencyViolation`, 424 (throttled batch) and 429. Includes 400 `Request_BadRequest`,
 * 401 (a stale token is refreshed and replayed by the auth layer before this runs; a 401 reaching here
 * is final), 403 `Authorization_RequestDenied`, 404 `Request_ResourceNotFound`, any other 409.
 * Also final: a request not sent, or an answer too large to read (graph-bulk's own codes).
 * Everything else → skipStrategy. Source: docs/graph-behaviour.md §1, §3.
 */
export const nonRetryableStrategy: RetryStrategy = Object.freeze({
  name: 'nonRetryable',
  retry({ outcome }: { outcome: AttemptOutcome; attempt: number }): RetryDecision {
    const s = outcome.status;
    if (s === undefined && !isRetryableOutcome(outcome)) return { final: true, reason: `${outcome.errorCode} is not retryable` };
    if (s === undefined || s < 400 || s > 499) return { skipStrategy: true };
    if (isRetryableOutcome(outcome)) return { skipStrategy: true };
    return { final: true, reason: `${describe(outcome)} is not retryable` };
  },
});

/**
 * Honour the server's `Retry-After`: for 429, 503 or 504 with `retryAfterMs` set (a finite number ≥ 0),
 * retry after exactly that many ms, `throttled: status === 429`. Otherwise skipStrategy. No cap is
 * applied here (the caller may cap). Source: docs/graph-behaviour.md §3; learn.microsoft.com/en-us/graph/throttling
 * ("wait the number of seconds specified in the Retry-After header").
 */
export const throttlingRetryStrategy: RetryStrategy = Object.freeze({
  name: 'throttling',
  retry({ outcome }: { outcome: AttemptOutcome; attempt: number }): RetryDecision {
    const s = outcome.status;
    const ra = outcome.retryAfterMs;
    if ((s === 429 || s === 503 || s === 504) && typeof ra === 'number' && Number.isFinite(ra) && ra >= 0) {
      return {
        retryAfterInMs: Math.ceil(ra),
        throttled: s === 429,
        reason: `${describe(outcome)}: Retry-After ${Math.ceil(ra)} ms`,
      };
    }
    return { skipStrategy: true };
  },
});

/** Default first-retry delay of {@link exponentialRetryStrategy}, ms. */
export const DEFAULT_BASE_DELAY_MS = 1000;
/** Default cap of {@link exponentialRetryStrategy}'s delay, ms. */
export const DEFAULT_MAX_DELAY_MS = 60_000;

/**
 * Exponential backoff with jitter for retryable outcomes ({@link isRetryableOutcome}: network errors, 408,
 * 409 `Directory_ConcurrencyViolation`, 424, 429, 500, 502, 503, 504) — used when no earlier strategy
 * decided, i.e. when there is no Retry-After. Non-retryable outcomes → skipStrategy.
 *
 * Formula ("equal jitter", all in ms), with `n = max(1, attempt)` and `r = random()` clamped to [0, 1):
 *
 *     cap   = min(maxDelayMs, baseDelayMs × 2^(n − 1))
 *     delay = ceil(cap / 2 + r × cap / 2)            // uniformly in [cap/2, cap]
 *
 * so with the defaults attempt 1 waits 0.5–1 s, attempt 2 1–2 s, attempt 3 2–4 s, … never more than
 * 60 s. Half the window is fixed so a throttled app never retries immediately; the other half spreads
 * workers apart. If the outcome carries a `retryAfterMs` (e.g. a 500 with Retry-After), the delay is at
 * least that. 429 and 424 are `throttled: true` even without Retry-After; the rest `throttled: false`.
 *
 * @param opts.baseDelayMs first-attempt cap, ms (default 1000, must be > 0)
 * @param opts.maxDelayMs upper bound, ms (default 60000, must be ≥ baseDelayMs)
 * @param opts.random source of uniform numbers in [0, 1) (default Math.random; inject for tests)
 * @throws RangeError for a non-finite or non-positive baseDelayMs, or maxDelayMs < baseDelayMs.
 * Source: docs/graph-behaviour.md §3; learn.microsoft.com/en-us/graph/throttling ("use an exponential backoff").
 */
export function exponentialRetryStrategy(opts?: { baseDelayMs?: number; maxDelayMs?: number; random?: () => number }): RetryStrategy {
  const baseDelayMs = opts?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = opts?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const random = opts?.random ?? Math.random;
  if (!Number.isFinite(baseDelayMs) || baseDelayMs <= 0) throw new RangeError(`baseDelayMs must be > 0, got ${baseDelayMs}`);
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < baseDelayMs) {
    throw new RangeError(`maxDelayMs must be ≥ baseDelayMs (${baseDelayMs}), got ${maxDelayMs}`);
  }
  return Object.freeze({
    name: 'exponentialBackoff',
    retry({ outcome, attempt }: { outcome: AttemptOutcome; attempt: number }): RetryDecision {
      if (!isRetryableOutcome(outcome)) return { skipStrategy: true };
      const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
      const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 1023));
      const raw = random();
      const r = Number.isFinite(raw) ? Math.min(Math.max(raw, 0), 1 - Number.EPSILON) : 0.5;
      let delay = Math.ceil(cap / 2 + (r * cap) / 2);
      const ra = outcome.retryAfterMs;
      if (typeof ra === 'number' && Number.isFinite(ra) && ra > delay) delay = Math.ceil(ra);
      return {
        retryAfterInMs: delay,
        throttled: isThrottle(outcome),
        reason: `${describe(outcome)}: backoff ${delay} ms (attempt ${n})`,
      };
    },
  });
}

/**
 * The default chain: {@link nonRetryableStrategy}, {@link throttlingRetryStrategy},
 * {@link exponentialRetryStrategy}({ random, ...delays }) (default delays: 1 s base, 60 s cap).
 * @param random uniform [0, 1) source for jitter (default Math.random).
 * @param delays backoff delays in ms, see {@link exponentialRetryStrategy} (which throws RangeError for bad ones).
 */
export function defaultRetryStrategies(random?: () => number, delays?: { baseDelayMs?: number; maxDelayMs?: number }): RetryStrategy[] {
  return [nonRetryableStrategy, throttlingRetryStrategy, exponentialRetryStrategy({ ...delays, ...(random ? { random } : {}) })];
}

/**
 * Decide what to do after attempt number `attempt` (1-based: attempts made so far) produced `outcome`.
 *
 * 1. a 2xx outcome → `{ final, reason: 'success (HTTP 2xx)' }`;
 * 2. the strategies run in order; the first that does not skip decides;
 * 3. a `final` decision is returned as is (so a 404 says "not retryable" whatever the attempt count);
 * 4. a retry decision when `attempt > maxRetries` (i.e. 1 + maxRetries attempts made) →
 *    `{ final, reason: 'retries exhausted (N attempts)' }`;
 * 5. no strategy decides → `{ final, reason: '<status> is not retryable' }`.
 *
 * The returned retry delay is in **milliseconds**; `throttled` asks every worker to pause.
 * @throws RangeError unless `attempt` is an integer ≥ 1 and `maxRetries` an integer ≥ 0.
 * Source: docs/graph-behaviour.md §3.
 */
export function decideRetry(
  outcome: AttemptOutcome,
  attempt: number,
  maxRetries: number,
  strategies: readonly RetryStrategy[],
): { retryAfterInMs: number; throttled: boolean; reason: string } | { final: true; reason: string } {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError(`maxRetries must be an integer ≥ 0, got ${maxRetries}`);
  }
  if (outcome.status !== undefined && isSuccess(outcome.status)) {
    return { final: true, reason: `success (HTTP ${outcome.status})` };
  }
  for (const strategy of strategies) {
    const d = strategy.retry({ outcome, attempt });
    if ('skipStrategy' in d) continue;
    if ('final' in d) return { final: true, reason: d.reason };
    if (attempt > maxRetries) return { final: true, reason: `retries exhausted (${attempt} attempts)` };
    return { retryAfterInMs: d.retryAfterInMs, throttled: d.throttled, reason: d.reason };
  }
  return { final: true, reason: `${describe(outcome)} is not retryable` };
}

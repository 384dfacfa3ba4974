/**
 * One decision for every answer Graph gives to a request, read or write: what comes next for the
 * request. Pure (no clock, no I/O); the device reader (src/state/reader.ts) and the dispatcher
 * (src/job/dispatcher.ts) both apply it, so reads and writes retry, replay and stop alike.
 *
 * Encodes docs/graph-behaviour.md §2 (inside a `$batch` the throttled requests wait for the longest
 * inner `Retry-After`), §3 (which answers are retried, and after how long: src/graph/retry.ts) and §4
 * (a 401 for a token Graph accepted before is an expiry: renew and replay, free, each time; a token
 * that never worked gets one free replay with a fresh one).
 */
import { decideRetry, isSuccess, type AttemptOutcome, type RetryStrategy } from './retry.js';

/** What the decision knows beside the answer. */
export interface AnswerContext {
  /** HTTP attempts made for this request so far, this one included (free replays included). */
  attempts: number;
  /** Free replays after a 401 made so far. */
  authReplays: number;
  /** Graph had accepted the bearer token this answer was for before (a 401 for it is an expiry). */
  tokenWorkedBefore: boolean;
  /** The run is stopping: nothing is retried or replayed any more. */
  stopping: boolean;
  /** Requests still in flight were abandoned (`drainTimeoutMs` after a stop). */
  abandoned: boolean;
  /** Retries allowed after the first attempt. */
  maxRetries: number;
  strategies: readonly RetryStrategy[];
  /** The longest inner `Retry-After` of the `$batch` this answer came in (`longestRetryAfterMs`),
   * ms: a 429 waits for it. Undefined for a single request, or a batch without one. */
  batchRetryAfterMs?: number;
}

/**
 * What comes next for a request:
 * - `success`: 2xx; Graph accepted the token;
 * - `replay`: a 401 to replay now with a renewed token (free: not a retry, not counted);
 * - `retry`: again after `afterMs` ms; `throttled` (429, 424) asks every worker to pause;
 * - `final`: the request failed for good (`reason`: not retryable, or retries exhausted);
 * - `abandoned`: not completed because the run is stopping (`stopping`: a retry was due) or its
 *   request was abandoned (`abandoned`: no answer after the drain timeout) — the row is `skipped`.
 *
 * `tokenAccepted` on every kind: the answer shows Graph accepted the token (2xx, or 404: the device
 * does not exist, but the caller was let in).
 */
export type AnswerDecision = { tokenAccepted: boolean } & (
  | { kind: 'success' }
  | { kind: 'replay' }
  | { kind: 'retry'; afterMs: number; throttled: boolean; reason: string }
  | { kind: 'final'; reason: string }
  | { kind: 'abandoned'; why: 'stopping' | 'abandoned' }
);

/**
 * Decides what comes next after `outcome` (see {@link AnswerDecision}), in this order: success;
 * abandoned (no status once requests were abandoned); the free 401 replay (not when stopping); the
 * retry decision of `decideRetry` counting attempts without the free replays (at least 1); a retry
 * when stopping is abandoned. A 429 inside a `$batch` waits for `batchRetryAfterMs` when given.
 * @throws RangeError from `decideRetry` for a `maxRetries` that is not an integer ≥ 0.
 */
export function decideAnswer(outcome: AttemptOutcome, ctx: AnswerContext): AnswerDecision {
  const s = outcome.status;
  const tokenAccepted = s !== undefined && (isSuccess(s) || s === 404);
  if (s !== undefined && isSuccess(s)) return { kind: 'success', tokenAccepted };
  if (s === undefined && ctx.abandoned) return { kind: 'abandoned', why: 'abandoned', tokenAccepted };
  if (s === 401 && !ctx.stopping && (ctx.authReplays === 0 || ctx.tokenWorkedBefore)) return { kind: 'replay', tokenAccepted };
  const waited = s === 429 && ctx.batchRetryAfterMs !== undefined ? { ...outcome, retryAfterMs: ctx.batchRetryAfterMs } : outcome;
  const d = decideRetry(waited, Math.max(1, ctx.attempts - ctx.authReplays), ctx.maxRetries, ctx.strategies);
  if ('final' in d) return { kind: 'final', reason: d.reason, tokenAccepted };
  if (ctx.stopping) return { kind: 'abandoned', why: 'stopping', tokenAccepted };
  return { kind: 'retry', afterMs: d.retryAfterInMs, throttled: d.throttled, reason: d.reason, tokenAccepted };
}

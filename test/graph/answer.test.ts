import { describe, expect, it } from 'vitest';
import { type AnswerContext, decideAnswer } from '../../src/graph/answer.js';
import { defaultRetryStrategies } from '../../src/graph/retry.js';

/** A first attempt of a run going on, 3 retries allowed, backoff from 1 s with the jitter at its middle. */
const ctx = (c: Partial<AnswerContext> = {}): AnswerContext => ({
  attempts: 1,
  authReplays: 0,
  tokenWorkedBefore: false,
  stopping: false,
  abandoned: false,
  maxRetries: 3,
  strategies: defaultRetryStrategies(() => 0.5),
  ...c,
});

describe('decideAnswer: one decision for every answer, reads and writes', () => {
  it.each([
    ['204 No Content', { status: 204 }, ctx(), { kind: 'success', tokenAccepted: true }],
    ['200 of a read', { status: 200 }, ctx({ stopping: true }), { kind: 'success', tokenAccepted: true }],
    [
      '404: final, but the token was accepted',
      { status: 404, errorCode: 'Request_ResourceNotFound' },
      ctx(),
      { kind: 'final', tokenAccepted: true },
    ],
    ['400 Request_BadRequest: final', { status: 400, errorCode: 'Request_BadRequest' }, ctx(), { kind: 'final', tokenAccepted: false }],
    ['403: final', { status: 403, errorCode: 'Authorization_RequestDenied' }, ctx(), { kind: 'final' }],
    ['first 401: one free replay', { status: 401 }, ctx(), { kind: 'replay', tokenAccepted: false }],
    ['401 again for a token that never worked: final', { status: 401 }, ctx({ attempts: 2, authReplays: 1 }), { kind: 'final' }],
    [
      '401 for a token that worked before: an expiry, replayed however often',
      { status: 401 },
      ctx({ attempts: 9, authReplays: 8, tokenWorkedBefore: true }),
      { kind: 'replay' },
    ],
    ['401 while stopping: no replay, final', { status: 401 }, ctx({ stopping: true }), { kind: 'final' }],
    [
      '429 with Retry-After: retry after it, throttled',
      { status: 429, retryAfterMs: 2128 },
      ctx(),
      { kind: 'retry', afterMs: 2128, throttled: true },
    ],
    ['503 with Retry-After: not throttled', { status: 503, retryAfterMs: 5000 }, ctx(), { kind: 'retry', afterMs: 5000, throttled: false }],
    ['424 of a throttled batch: backoff, throttled', { status: 424 }, ctx(), { kind: 'retry', afterMs: 750, throttled: true }],
    [
      '409 Directory_ConcurrencyViolation: backoff',
      { status: 409, errorCode: 'Directory_ConcurrencyViolation' },
      ctx({ attempts: 2 }),
      { kind: 'retry', afterMs: 1500 },
    ],
    ['409 of another code: final', { status: 409, errorCode: 'Request_MultipleObjectsWithSameKeyValue' }, ctx(), { kind: 'final' }],
    ['a network timeout: backoff', { networkError: 'timeout' }, ctx(), { kind: 'retry', afterMs: 750, throttled: false }],
    [
      'no answer after the drain timeout: abandoned',
      { networkError: 'other' },
      ctx({ stopping: true, abandoned: true }),
      { kind: 'abandoned', why: 'abandoned' },
    ],
    [
      'a retry due while stopping: abandoned (the row is skipped)',
      { status: 429, retryAfterMs: 10 },
      ctx({ stopping: true }),
      { kind: 'abandoned', why: 'stopping' },
    ],
    ['a final answer while stopping stays final', { status: 400 }, ctx({ stopping: true }), { kind: 'final' }],
    [
      'retries exhausted after 1 + maxRetries attempts',
      { status: 503 },
      ctx({ attempts: 4 }),
      { kind: 'final', reason: 'retries exhausted (4 attempts)' },
    ],
  ] as const)('%s', (_name, outcome, context, expected) => {
    expect(decideAnswer(outcome, context)).toMatchObject(expected);
  });

  it('free replays are not counted as attempts: 4 attempts of which 1 a replay is 3 counted, one retry left', () => {
    expect(decideAnswer({ status: 503 }, ctx({ attempts: 4, authReplays: 1 }))).toMatchObject({ kind: 'retry' });
    expect(decideAnswer({ status: 503 }, ctx({ attempts: 5, authReplays: 1 }))).toMatchObject({
      kind: 'final',
      reason: 'retries exhausted (4 attempts)',
    });
  });

  it('inside a $batch a 429 waits for the longest inner Retry-After, other answers for their own', () => {
    const batch = ctx({ batchRetryAfterMs: 7000 });
    expect(decideAnswer({ status: 429, retryAfterMs: 1000 }, batch)).toMatchObject({ kind: 'retry', afterMs: 7000, throttled: true });
    expect(decideAnswer({ status: 429 }, batch)).toMatchObject({ kind: 'retry', afterMs: 7000 });
    expect(decideAnswer({ status: 503, retryAfterMs: 1000 }, batch)).toMatchObject({ kind: 'retry', afterMs: 1000 });
  });
});

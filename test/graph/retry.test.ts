import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideRetry,
  defaultRetryStrategies,
  exponentialRetryStrategy,
  isRetryableOutcome,
  isSuccess,
  nonRetryableStrategy,
  throttlingRetryStrategy,
  type AttemptOutcome,
  type RetryStrategy,
} from '../../src/graph/retry.js';

const fixed = (r: number) => () => r;
const strategies = defaultRetryStrategies(fixed(0.5));

describe('isSuccess', () => {
  it.each([
    [200, true],
    [201, true],
    [204, true],
    [299, true],
    [199, false],
    [300, false],
    [304, false],
    [404, false],
    [429, false],
    [204.5, false],
  ])('%d → %s', (s, expected) => {
    expect(isSuccess(s)).toBe(expected);
  });
});

describe('nonRetryableStrategy', () => {
  it.each<[AttemptOutcome, boolean]>([
    [{ status: 400, errorCode: 'Request_BadRequest' }, true],
    [{ status: 401, errorCode: 'InvalidAuthenticationToken' }, true],
    [{ status: 403, errorCode: 'Authorization_RequestDenied' }, true],
    [{ status: 404, errorCode: 'Request_ResourceNotFound' }, true],
    [{ status: 405 }, true],
    [{ status: 409 }, true],
    [{ status: 409, errorCode: 'Request_MultipleObjectsWithSameKeyValue' }, true],
    [{ status: 412 }, true],
    [{ status: 413 }, true],
    [{ status: 400, retryAfterMs: 1000 }, true],
    [{ status: 408 }, false],
    [{ status: 409, errorCode: 'Directory_ConcurrencyViolation' }, false],
    [{ status: 409, errorCode: 'directory_concurrencyviolation' }, false],
    [{ status: 424 }, false],
    [{ status: 429 }, false],
    [{ status: 500 }, false],
    [{ status: 503 }, false],
    [{ networkError: 'reset' }, false],
    [{ status: 204 }, false],
  ])('%j → final? %s', (outcome, final) => {
    const d = nonRetryableStrategy.retry({ outcome, attempt: 1 });
    expect('final' in d).toBe(final);
    if (!final) expect(d).toEqual({ skipStrategy: true });
  });

  it('reason names status and code', () => {
    expect(nonRetryableStrategy.retry({ outcome: { status: 404, errorCode: 'Request_ResourceNotFound' }, attempt: 1 })).toEqual({
      final: true,
      reason: 'HTTP 404 Request_ResourceNotFound is not retryable',
    });
  });
});

describe('throttlingRetryStrategy', () => {
  it.each<[AttemptOutcome, number | undefined, boolean]>([
    [{ status: 429, retryAfterMs: 2128 }, 2128, true],
    [{ status: 429, retryAfterMs: 0 }, 0, true],
    [{ status: 503, retryAfterMs: 249 }, 249, false],
    [{ status: 504, retryAfterMs: 5000 }, 5000, false],
    [{ status: 429, retryAfterMs: 10.2 }, 11, true],
    [{ status: 429 }, undefined, false],
    [{ status: 503 }, undefined, false],
    [{ status: 500, retryAfterMs: 1000 }, undefined, false],
    [{ status: 404, retryAfterMs: 1000 }, undefined, false],
    [{ status: 429, retryAfterMs: -1 }, undefined, false],
    [{ status: 429, retryAfterMs: NaN }, undefined, false],
    [{ networkError: 'timeout', retryAfterMs: 1000 }, undefined, false],
  ])('%j → %s ms, throttled %s', (outcome, ms, throttled) => {
    const d = throttlingRetryStrategy.retry({ outcome, attempt: 3 });
    if (ms === undefined) expect(d).toEqual({ skipStrategy: true });
    else expect(d).toMatchObject({ retryAfterInMs: ms, throttled });
  });
});

describe('exponentialRetryStrategy', () => {
  it('formula with defaults: cap = min(60000, 1000·2^(n−1)), delay in [cap/2, cap]', () => {
    const lo = exponentialRetryStrategy({ random: fixed(0) });
    const hi = exponentialRetryStrategy({ random: fixed(0.999999999) });
    const cases: Array<[number, number, number]> = [
      [1, 500, 1000],
      [2, 1000, 2000],
      [3, 2000, 4000],
      [4, 4000, 8000],
      [6, 16000, 32000],
      [7, 30000, 60000],
      [8, 30000, 60000],
      [50, 30000, 60000],
      [5000, 30000, 60000],
    ];
    for (const [attempt, min, max] of cases) {
      expect(lo.retry({ outcome: { status: 503 }, attempt })).toMatchObject({ retryAfterInMs: min, throttled: false });
      expect(hi.retry({ outcome: { status: 503 }, attempt })).toMatchObject({ retryAfterInMs: max });
    }
  });

  it('custom base and cap', () => {
    const s = exponentialRetryStrategy({ baseDelayMs: 200, maxDelayMs: 1000, random: fixed(0.5) });
    expect(s.retry({ outcome: { status: 500 }, attempt: 1 })).toMatchObject({ retryAfterInMs: 150 });
    expect(s.retry({ outcome: { status: 500 }, attempt: 3 })).toMatchObject({ retryAfterInMs: 600 });
    expect(s.retry({ outcome: { status: 500 }, attempt: 10 })).toMatchObject({ retryAfterInMs: 750 });
  });

  it('bounds hold for any random value and attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (attempt, r, base, extra) => {
          const max = base + extra;
          const d = exponentialRetryStrategy({ baseDelayMs: base, maxDelayMs: max, random: () => r }).retry({
            outcome: { networkError: 'reset' },
            attempt,
          });
          if (!('retryAfterInMs' in d)) return false;
          const cap = Math.min(max, base * 2 ** (attempt - 1));
          return Number.isInteger(d.retryAfterInMs) && d.retryAfterInMs >= cap / 2 && d.retryAfterInMs <= Math.ceil(cap);
        },
      ),
    );
  });

  it('out-of-range random values are clamped', () => {
    expect(exponentialRetryStrategy({ random: fixed(-5) }).retry({ outcome: { status: 503 }, attempt: 1 })).toMatchObject({
      retryAfterInMs: 500,
    });
    expect(exponentialRetryStrategy({ random: fixed(7) }).retry({ outcome: { status: 503 }, attempt: 1 })).toMatchObject({
      retryAfterInMs: 1000,
    });
    expect(exponentialRetryStrategy({ random: fixed(NaN) }).retry({ outcome: { status: 503 }, attempt: 1 })).toMatchObject({
      retryAfterInMs: 750,
    });
  });

  it('429 and 424 without Retry-After are throttled; others not', () => {
    const s = exponentialRetryStrategy({ random: fixed(0) });
    expect(s.retry({ outcome: { status: 429 }, attempt: 1 })).toMatchObject({ retryAfterInMs: 500, throttled: true });
    expect(s.retry({ outcome: { status: 424 }, attempt: 1 })).toMatchObject({ throttled: true });
    expect(s.retry({ outcome: { status: 504 }, attempt: 1 })).toMatchObject({ throttled: false });
  });

  it('a Retry-After on a status the throttling strategy ignores is a floor', () => {
    const s = exponentialRetryStrategy({ random: fixed(0) });
    expect(s.retry({ outcome: { status: 500, retryAfterMs: 5000 }, attempt: 1 })).toMatchObject({ retryAfterInMs: 5000 });
    expect(s.retry({ outcome: { status: 500, retryAfterMs: 10 }, attempt: 1 })).toMatchObject({ retryAfterInMs: 500 });
  });

  it('skips non-retryable outcomes', () => {
    const s = exponentialRetryStrategy();
    for (const outcome of [{ status: 400 }, { status: 404 }, { status: 409 }, { status: 501 }, { status: 204 }]) {
      expect(s.retry({ outcome, attempt: 1 })).toEqual({ skipStrategy: true });
    }
  });

  it.each([
    [{ baseDelayMs: 0 }],
    [{ baseDelayMs: -1 }],
    [{ baseDelayMs: NaN }],
    [{ baseDelayMs: 1000, maxDelayMs: 999 }],
    [{ maxDelayMs: Infinity }],
  ])('rejects options %j', (opts) => {
    expect(() => exponentialRetryStrategy(opts)).toThrow(RangeError);
  });

  it('names', () => {
    expect(nonRetryableStrategy.name).toBe('nonRetryable');
    expect(throttlingRetryStrategy.name).toBe('throttling');
    expect(exponentialRetryStrategy().name).toBe('exponentialBackoff');
    expect(strategies.map((s) => s.name)).toEqual(['nonRetryable', 'throttling', 'exponentialBackoff']);
  });
});

describe('isRetryableOutcome', () => {
  it.each<[AttemptOutcome, boolean]>([
    [{ networkError: 'timeout' }, true],
    [{ networkError: 'refused' }, true],
    [{}, true],
    [{ status: 408 }, true],
    [{ status: 409, errorCode: 'Directory_ConcurrencyViolation' }, true],
    [{ status: 409 }, false],
    [{ status: 424 }, true],
    [{ status: 429 }, true],
    [{ status: 500 }, true],
    [{ status: 501 }, false],
    [{ status: 502 }, true],
    [{ status: 503 }, true],
    [{ status: 504 }, true],
    [{ status: 505 }, false],
    [{ status: 400 }, false],
  ])('%j → %s', (o, expected) => {
    expect(isRetryableOutcome(o)).toBe(expected);
  });
});

describe('decideRetry with the default strategies', () => {
  it.each<[string, AttemptOutcome, ReturnType<typeof decideRetry>]>([
    [
      '429 + Retry-After',
      { status: 429, retryAfterMs: 2128 },
      { retryAfterInMs: 2128, throttled: true, reason: 'HTTP 429: Retry-After 2128 ms' },
    ],
    [
      '503 + Retry-After',
      { status: 503, retryAfterMs: 249 },
      { retryAfterInMs: 249, throttled: false, reason: 'HTTP 503: Retry-After 249 ms' },
    ],
    [
      '504 + Retry-After',
      { status: 504, retryAfterMs: 1000 },
      { retryAfterInMs: 1000, throttled: false, reason: 'HTTP 504: Retry-After 1000 ms' },
    ],
    [
      '429 bare',
      { status: 429, errorCode: 'TooManyRequests' },
      { retryAfterInMs: 750, throttled: true, reason: 'HTTP 429 TooManyRequests: backoff 750 ms (attempt 1)' },
    ],
    ['503 bare', { status: 503 }, { retryAfterInMs: 750, throttled: false, reason: 'HTTP 503: backoff 750 ms (attempt 1)' }],
    ['504 bare', { status: 504 }, { retryAfterInMs: 750, throttled: false, reason: 'HTTP 504: backoff 750 ms (attempt 1)' }],
    ['500', { status: 500 }, { retryAfterInMs: 750, throttled: false, reason: 'HTTP 500: backoff 750 ms (attempt 1)' }],
    ['502', { status: 502 }, { retryAfterInMs: 750, throttled: false, reason: 'HTTP 502: backoff 750 ms (attempt 1)' }],
    ['408', { status: 408 }, { retryAfterInMs: 750, throttled: false, reason: 'HTTP 408: backoff 750 ms (attempt 1)' }],
    ['424', { status: 424 }, { retryAfterInMs: 750, throttled: true, reason: 'HTTP 424: backoff 750 ms (attempt 1)' }],
    [
      '409 concurrency',
      { status: 409, errorCode: 'Directory_ConcurrencyViolation' },
      { retryAfterInMs: 750, throttled: false, reason: 'HTTP 409 Directory_ConcurrencyViolation: backoff 750 ms (attempt 1)' },
    ],
    [
      'timeout',
      { networkError: 'timeout' },
      { retryAfterInMs: 750, throttled: false, reason: 'network error (timeout): backoff 750 ms (attempt 1)' },
    ],
    [
      'reset',
      { networkError: 'reset' },
      { retryAfterInMs: 750, throttled: false, reason: 'network error (reset): backoff 750 ms (attempt 1)' },
    ],
    [
      'refused',
      { networkError: 'refused' },
      { retryAfterInMs: 750, throttled: false, reason: 'network error (refused): backoff 750 ms (attempt 1)' },
    ],
    [
      'other network',
      { networkError: 'other' },
      { retryAfterInMs: 750, throttled: false, reason: 'network error (other): backoff 750 ms (attempt 1)' },
    ],
    ['400', { status: 400, errorCode: 'Request_BadRequest' }, { final: true, reason: 'HTTP 400 Request_BadRequest is not retryable' }],
    [
      '401',
      { status: 401, errorCode: 'InvalidAuthenticationToken' },
      { final: true, reason: 'HTTP 401 InvalidAuthenticationToken is not retryable' },
    ],
    [
      '403',
      { status: 403, errorCode: 'Authorization_RequestDenied' },
      { final: true, reason: 'HTTP 403 Authorization_RequestDenied is not retryable' },
    ],
    [
      '404',
      { status: 404, errorCode: 'Request_ResourceNotFound' },
      { final: true, reason: 'HTTP 404 Request_ResourceNotFound is not retryable' },
    ],
    ['409 other', { status: 409, errorCode: 'Conflict' }, { final: true, reason: 'HTTP 409 Conflict is not retryable' }],
    ['501', { status: 501 }, { final: true, reason: 'HTTP 501 is not retryable' }],
    ['505', { status: 505 }, { final: true, reason: 'HTTP 505 is not retryable' }],
    ['304', { status: 304 }, { final: true, reason: 'HTTP 304 is not retryable' }],
    ['204', { status: 204 }, { final: true, reason: 'success (HTTP 204)' }],
  ])('%s', (_n, outcome, expected) => {
    expect(decideRetry(outcome, 1, 3, strategies)).toEqual(expected);
  });

  it('backoff grows with the attempt number', () => {
    const delays = [1, 2, 3, 4].map((a) => {
      const d = decideRetry({ status: 503 }, a, 10, strategies);
      return 'retryAfterInMs' in d ? d.retryAfterInMs : -1;
    });
    expect(delays).toEqual([750, 1500, 3000, 6000]);
  });

  it('exhaustion: attempts > maxRetries → final', () => {
    const o: AttemptOutcome = { status: 429, retryAfterMs: 1000 };
    expect(decideRetry(o, 3, 3, strategies)).toMatchObject({ retryAfterInMs: 1000 });
    expect(decideRetry(o, 4, 3, strategies)).toEqual({ final: true, reason: 'retries exhausted (4 attempts)' });
    expect(decideRetry({ networkError: 'reset' }, 11, 10, strategies)).toEqual({ final: true, reason: 'retries exhausted (11 attempts)' });
    expect(decideRetry({ status: 503 }, 1, 0, strategies)).toEqual({ final: true, reason: 'retries exhausted (1 attempts)' });
  });

  it('a non-retryable outcome stays "not retryable" even when exhausted', () => {
    expect(decideRetry({ status: 404 }, 9, 3, strategies)).toEqual({ final: true, reason: 'HTTP 404 is not retryable' });
  });

  it('no strategies → final', () => {
    expect(decideRetry({ status: 503 }, 1, 3, [])).toEqual({ final: true, reason: 'HTTP 503 is not retryable' });
  });

  it('the first non-skip decides; strategies see the attempt number', () => {
    const seen: number[] = [];
    const spy: RetryStrategy = {
      name: 'spy',
      retry: ({ attempt }) => {
        seen.push(attempt);
        return { skipStrategy: true };
      },
    };
    const always: RetryStrategy = { name: 'always', retry: () => ({ retryAfterInMs: 1, throttled: false, reason: 'always' }) };
    const never: RetryStrategy = { name: 'never', retry: () => ({ final: true, reason: 'never' }) };
    expect(decideRetry({ status: 404 }, 2, 3, [spy, always, never])).toEqual({ retryAfterInMs: 1, throttled: false, reason: 'always' });
    expect(decideRetry({ status: 429 }, 2, 3, [spy, never, always])).toEqual({ final: true, reason: 'never' });
    expect(seen).toEqual([2, 2]);
  });

  it.each([
    [0, 3],
    [1.5, 3],
    [NaN, 3],
    [1, -1],
    [1, 2.5],
  ])('rejects attempt %d / maxRetries %d', (attempt, maxRetries) => {
    expect(() => decideRetry({ status: 503 }, attempt, maxRetries, strategies)).toThrow(RangeError);
  });

  it('defaultRetryStrategies without random still works', () => {
    const d = decideRetry({ status: 503 }, 1, 3, defaultRetryStrategies());
    expect('retryAfterInMs' in d && d.retryAfterInMs >= 500 && d.retryAfterInMs <= 1000).toBe(true);
  });
});

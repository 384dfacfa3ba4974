import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_RETRY_AFTER_MS,
  parseHttpDateMs,
  parseRetryAfterMs,
  parseThrottleLimitPercentage,
  retryAfterBeyondMax,
} from '../../src/graph/retry-after.js';

const NOW = Date.UTC(2024, 8, 19, 11, 52, 23); // Thu, 19 Sep 2024 11:52:23 GMT

describe('parseRetryAfterMs: delay-seconds', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['1', 1000],
    ['10', 10_000],
    ['120', 120_000],
    ['2.128', 2128],
    ['0.249', 249],
    ['0.1', 100],
    ['0.25', 250],
    ['1.5', 1500],
    ['0.0001', 1],
    ['0.0010', 1],
    ['0.2491', 250],
    ['0.2490000', 249],
    ['2.1280001', 2129],
    ['0.000', 0],
    ['007', 7000],
    [' 5 ', 5000],
    ['\t3\r\n', 3000],
  ])('%j → %d ms', (v, ms) => {
    expect(parseRetryAfterMs(v, NOW)).toBe(ms);
  });

  it('ignores nowMs for delay-seconds', () => {
    expect(parseRetryAfterMs('2.128', 0)).toBe(2128);
    expect(parseRetryAfterMs('2.128', NaN)).toBe(2128);
  });

  it('integer seconds property: n → n*1000', () => {
    fc.assert(fc.property(fc.nat({ max: 10_000_000 }), (n) => parseRetryAfterMs(String(n), NOW) === n * 1000));
  });

  it('fractional seconds property: never below the exact value, less than 1 ms above it', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.stringMatching(/^\d{1,6}$/), (whole, frac) => {
        const ms = parseRetryAfterMs(`${whole}.${frac}`, NOW)!;
        const exact = (whole + Number(`0.${frac}`)) * 1000;
        return Number.isInteger(ms) && ms >= exact - 1e-6 && ms < exact + 1;
      }),
    );
  });
});

describe('parseRetryAfterMs: HTTP date', () => {
  it.each<[string, number]>([
    ['Thu, 19 Sep 2024 11:52:33 GMT', 10_000],
    ['Thu, 19 Sep 2024 11:52:23 GMT', 0],
    ['Thu, 19 Sep 2024 11:52:00 GMT', 0], // in the past → 0
    ['Wed, 18 Sep 2024 11:52:23 GMT', 0],
    ['Thu, 19 Sep 2024 11:53:23 GMT', 60_000],
    ['thu, 19 sep 2024 11:53:23 gmt', 60_000],
    ['Thu, 19 Sep 2024 11:53:23 UTC', 60_000],
    ['Fri, 20 Sep 2024 11:52:23 GMT', 86_400_000],
    ['Thursday, 19-Sep-24 11:52:53 GMT', 30_000], // RFC 850
    ['Thu Sep 19 11:52:43 2024', 20_000], // asctime
    ['Thu Sep  1 00:00:00 2024', 0],
  ])('%j → %d ms', (v, ms) => {
    expect(parseRetryAfterMs(v, NOW)).toBe(ms);
  });

  it('sub-second now rounds up', () => {
    expect(parseRetryAfterMs('Thu, 19 Sep 2024 11:52:24 GMT', NOW + 0.5)).toBe(1000);
    expect(parseRetryAfterMs('Thu, 19 Sep 2024 11:52:24 GMT', NOW + 1)).toBe(999);
  });

  it('a non-finite now gives undefined for dates', () => {
    expect(parseRetryAfterMs('Thu, 19 Sep 2024 11:52:33 GMT', NaN)).toBeUndefined();
  });

  it("a date is measured against the response's own Date header, not the local clock", () => {
    const serverNow = 'Thu, 19 Sep 2024 11:52:23 GMT';
    const retryAt = 'Thu, 19 Sep 2024 11:52:26 GMT'; // 3 s after the server's now
    // The local clock an hour ahead of the server: still 3 s (measured locally it would be 0: early retries).
    expect(parseRetryAfterMs(retryAt, NOW + 3_600_000, serverNow)).toBe(3000);
    // The local clock an hour behind: still 3 s (measured locally it would be an hour and 3 s).
    expect(parseRetryAfterMs(retryAt, NOW - 3_600_000, serverNow)).toBe(3000);
    // Even a non-finite local clock does not matter when the server said when it answered.
    expect(parseRetryAfterMs(retryAt, NaN, serverNow)).toBe(3000);
    // A Retry-After date before the response's Date: retry at once.
    expect(parseRetryAfterMs('Thu, 19 Sep 2024 11:52:20 GMT', NOW, serverNow)).toBe(0);
  });

  it('an unreadable or missing Date header falls back to the local clock', () => {
    const retryAt = 'Thu, 19 Sep 2024 11:52:26 GMT';
    expect(parseRetryAfterMs(retryAt, NOW, 'yesterday')).toBe(3000);
    expect(parseRetryAfterMs(retryAt, NOW, '')).toBe(3000);
    expect(parseRetryAfterMs(retryAt, NOW, undefined)).toBe(3000);
    expect(parseRetryAfterMs(retryAt, NOW, null)).toBe(3000);
  });

  it('the Date header does not change delay-seconds', () => {
    expect(parseRetryAfterMs('2.5', NOW, 'Thu, 19 Sep 2024 10:52:23 GMT')).toBe(2500);
  });

  it('parseHttpDateMs handles the three RFC 9110 forms', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDateMs('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(t);
    expect(parseHttpDateMs('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(t);
    expect(parseHttpDateMs('Sun Nov  6 08:49:37 1994', NOW)).toBe(t);
  });

  it('RFC 850 two-digit years: more than 50 years ahead means the previous century', () => {
    expect(parseHttpDateMs('Monday, 01-Jan-30 00:00:00 GMT', NOW)).toBe(Date.UTC(2030, 0, 1));
    expect(parseHttpDateMs('Monday, 01-Jan-74 00:00:00 GMT', NOW)).toBe(Date.UTC(2074, 0, 1));
    expect(parseHttpDateMs('Monday, 01-Jan-75 00:00:00 GMT', NOW)).toBe(Date.UTC(1975, 0, 1));
  });

  it('round-trips toUTCString()', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (s) => {
        const ms = s * 1000;
        return parseHttpDateMs(new Date(ms).toUTCString(), NOW) === ms;
      }),
    );
  });
});

describe('parseRetryAfterMs: rejected', () => {
  it.each<[string | undefined | null]>([
    [undefined],
    [null],
    [''],
    ['   '],
    ['-1'],
    ['-0.5'],
    ['+5'],
    ['NaN'],
    ['Infinity'],
    ['1e3'],
    ['0x10'],
    ['.5'],
    ['5.'],
    ['1,5'],
    ['5 s'],
    ['5s'],
    ['soon'],
    ['garbage 2'],
    ['2024-09-19T11:52:33Z'], // ISO 8601 is not an HTTP date
    ['Thu, 31 Feb 2024 11:52:33 GMT'], // no 31 Feb
    ['Thu, 19 Sep 2024 25:52:33 GMT'],
    ['Thu, 19 Foo 2024 11:52:33 GMT'],
    ['Thu, 19 Sep 2024 11:52:33 +0100'],
    ['99999999999999999999'], // beyond safe integer ms
  ])('%j → undefined', (v) => {
    expect(parseRetryAfterMs(v, NOW)).toBeUndefined();
  });

  it('non-string input → undefined', () => {
    expect(parseRetryAfterMs(5 as unknown as string, NOW)).toBeUndefined();
  });

  it('never throws and never returns a negative or non-integer', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseRetryAfterMs(s, NOW);
        return r === undefined || (Number.isSafeInteger(r) && r >= 0);
      }),
    );
  });
});

describe('parseThrottleLimitPercentage', () => {
  it.each<[string | undefined | null, number | undefined]>([
    ['0.85', 0.85],
    ['0.8', 0.8],
    ['1.0', 1],
    ['1.8', 1.8],
    ['1', 1],
    [' 1.25 ', 1.25],
    ['.9', 0.9],
    ['0', 0],
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['-0.5', undefined],
    ['abc', undefined],
    ['85%', undefined],
    ['1e2', undefined],
    ['NaN', undefined],
    ['0.8,0.9', undefined],
  ])('%j → %j', (v, expected) => {
    expect(parseThrottleLimitPercentage(v)).toBe(expected);
  });
});

describe('retryAfterBeyondMax (issue 14)', () => {
  it('accepts waits up to the maximum; a longer one (or one no timer can hold) is named in seconds', () => {
    expect(retryAfterBeyondMax(undefined, DEFAULT_MAX_RETRY_AFTER_MS)).toBeUndefined();
    expect(retryAfterBeyondMax(600_000, DEFAULT_MAX_RETRY_AFTER_MS)).toBeUndefined();
    expect(retryAfterBeyondMax(600_001, DEFAULT_MAX_RETRY_AFTER_MS)).toMatch(/wait 600.001 s .* 600 s/);
    expect(retryAfterBeyondMax(parseRetryAfterMs('1000000000', 0), DEFAULT_MAX_RETRY_AFTER_MS)).toMatch(/wait 1000000000 s/);
    expect(retryAfterBeyondMax(2 ** 31, Number.MAX_SAFE_INTEGER)).toMatch(/2147483.647 s/);
  });
});

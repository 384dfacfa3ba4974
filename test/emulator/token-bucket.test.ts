/** Pure throttle arithmetic (docs/graph-behaviour.md §3), with injected time. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket, formatLimitPercentage, formatRetryAfter } from '../../src/emulator/token-bucket.js';

describe('TokenBucket', () => {
  it('starts full: a burst of `burst` writes passes, the next is refused', () => {
    const b = new TokenBucket({ burst: 5, refillPerSecond: 10 }, 0);
    for (let i = 0; i < 5; i++) expect(b.take(0, `d${i}`).allowed).toBe(true);
    const r = b.take(0, 'd5');
    expect(r.allowed).toBe(false);
  });

  it('refills at refillPerSecond: Graph budget 3,000 per 150 s is 20 writes/s after the burst', () => {
    const b = new TokenBucket({ burst: 3000, refillPerSecond: 20 }, 0);
    for (let i = 0; i < 3000; i++) expect(b.take(0, `d${i}`).allowed).toBe(true);
    expect(b.take(0, 'x').allowed).toBe(false); // reserves
    // one second later, 20 tokens have refilled: the reservation took one, 19 are free
    let ok = 0;
    for (let i = 0; i < 40; i++) if (b.take(1000, `y${i}`).allowed) ok++;
    expect(ok).toBe(20 - 1);
  });

  it('Retry-After is truthful: a retry at the stated time succeeds, a retry before is early', () => {
    const b = new TokenBucket({ burst: 1, refillPerSecond: 4, toleranceMs: 0 }, 0);
    expect(b.take(0, 'a').allowed).toBe(true);
    const r = b.take(0, 'b');
    expect(r).toMatchObject({ allowed: false, retryAfterMs: 250, early: false });
    const early = b.take(100, 'b');
    expect(early).toMatchObject({ allowed: false, retryAfterMs: 150, early: true });
    expect(b.take(250, 'b')).toMatchObject({ allowed: true, fromReservation: true });
  });

  it('reservations queue in order under concurrency, each at its own time', () => {
    const b = new TokenBucket({ burst: 2, refillPerSecond: 10, toleranceMs: 0 }, 0);
    b.take(0, 'a');
    b.take(0, 'b');
    const waits = ['c', 'd', 'e'].map((t) => {
      const r = b.take(0, t);
      return r.allowed ? -1 : r.retryAfterMs;
    });
    expect(waits).toEqual([100, 200, 300]);
    // another target arriving at 150 ms does not steal c's or d's token
    expect(b.take(150, 'x')).toMatchObject({ allowed: false, retryAfterMs: 250 });
    expect(b.take(100, 'c').allowed).toBe(true);
    expect(b.take(200, 'd').allowed).toBe(true);
    expect(b.take(300, 'e').allowed).toBe(true);
    expect(b.take(400, 'x').allowed).toBe(true);
  });

  it('an unclaimed reservation is refunded after the grace window', () => {
    const b = new TokenBucket({ burst: 1, refillPerSecond: 1, graceMs: 500 }, 0);
    b.take(0, 'a');
    const r = b.take(0, 'b');
    expect(r).toMatchObject({ allowed: false, retryAfterMs: 1000 });
    expect(b.pendingReservations(1400)).toBe(1);
    expect(b.pendingReservations(1501)).toBe(0);
    // b's token was refunded: another target gets it right away
    expect(b.take(1501, 'c').allowed).toBe(true);
    // b coming back late is a fresh request (no early retry)
    const late = b.take(1501, 'b');
    expect(late).toMatchObject({ allowed: false, early: false });
  });

  it('a retry within the tolerance window before its time is on time', () => {
    const b = new TokenBucket({ burst: 1, refillPerSecond: 1, toleranceMs: 20 }, 0);
    b.take(0, 'a');
    b.take(0, 'b');
    expect(b.take(985, 'b').allowed).toBe(true);
  });

  it('usage is consumed/burst and exceeds 1 while reservations are outstanding', () => {
    const b = new TokenBucket({ burst: 10, refillPerSecond: 1 }, 0);
    for (let i = 0; i < 8; i++) b.take(0, `d${i}`);
    expect(b.usageAt(0)).toBeCloseTo(0.8);
    b.take(0, 'd8');
    b.take(0, 'd9');
    b.take(0, 'd10');
    expect(b.usageAt(0)).toBeCloseTo(1.1);
  });

  it('rejects invalid budgets', () => {
    expect(() => new TokenBucket({ burst: 0, refillPerSecond: 1 }, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ burst: 1, refillPerSecond: 0 }, 0)).toThrow(RangeError);
  });

  it('property: admitted writes in any window never exceed burst + refill × window, and every honoured retry passes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 200 }),
        (burst, rate, gaps) => {
          const b = new TokenBucket({ burst, refillPerSecond: rate, toleranceMs: 0, graceMs: 1e9 }, 0);
          const admitted: number[] = [];
          const retries: { at: number; target: string }[] = [];
          let now = 0;
          gaps.forEach((gap, i) => {
            now += gap;
            // serve due retries first
            for (const r of retries.splice(0).sort((x, y) => x.at - y.at)) {
              if (r.at <= now) {
                const res = b.take(r.at, r.target);
                if (!res.allowed) throw new Error(`honoured retry of ${r.target} refused`);
                admitted.push(r.at);
              } else retries.push(r);
            }
            const res = b.take(now, `t${i}`);
            if (res.allowed) admitted.push(now);
            else retries.push({ at: now + res.retryAfterMs, target: `t${i}` });
          });
          admitted.sort((a, b2) => a - b2);
          for (let i = 0; i < admitted.length; i++) {
            for (let j = i; j < admitted.length; j++) {
              const window = (admitted[j] as number) - (admitted[i] as number);
              expect(j - i + 1).toBeLessThanOrEqual(burst + Math.floor((window * rate) / 1000) + 1);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('header formatting', () => {
  it('Retry-After: seconds with up to 3 decimals, rounded up, never 0', () => {
    expect(formatRetryAfter(249)).toBe('0.249');
    expect(formatRetryAfter(248.2)).toBe('0.249');
    expect(formatRetryAfter(2128)).toBe('2.128');
    expect(formatRetryAfter(2000)).toBe('2');
    expect(formatRetryAfter(0)).toBe('0.001');
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (ms) => {
        const s = formatRetryAfter(ms);
        expect(s).toMatch(/^\d+(\.\d{1,3})?$/);
        expect(Number(s) * 1000).toBeGreaterThanOrEqual(Math.min(ms, 1e7) - 1e-6);
        expect(Number(s)).toBeGreaterThan(0);
      }),
    );
  });

  it('x-ms-throttle-limit-percentage only between 0.8 and 1.8, two decimals', () => {
    expect(formatLimitPercentage(0.79)).toBeUndefined();
    expect(formatLimitPercentage(0.8)).toBe('0.80');
    expect(formatLimitPercentage(0.853)).toBe('0.85');
    expect(formatLimitPercentage(1.8)).toBe('1.80');
    expect(formatLimitPercentage(1.81)).toBeUndefined();
  });
});

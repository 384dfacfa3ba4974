import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/job/pacer.js';
import type { PacingBudget } from '../../src/schedule/budget.js';

/** A budget that records what the pacer did to it. */
function fakeBudget(level = 40) {
  const calls: string[] = [];
  const budget: PacingBudget = {
    burst: 40,
    refillPerSecond: 100,
    rateFactor: 1,
    level,
    schedule: async (_w, fn) => fn(),
    drain: async () => void calls.push('drain'),
    available: async () => level,
    stop: async () => void calls.push('stop'),
    holdFor: (ms) => void calls.push(`hold ${ms}`),
    capAt: (writes) => void calls.push(`cap ${writes}`),
  };
  return { budget, calls };
}

describe('Pacer', () => {
  it('marks each request with the writes sent by then and the writes in flight beside it', () => {
    let now = 1000;
    const pacer = new Pacer({ budget: undefined, concurrency: 4, now: () => now });
    const a = pacer.sending(20);
    now = 1010;
    const b = pacer.sending(20);
    expect(a).toEqual({ atMs: 1000, writesSent: 20, inFlightBeside: 0 });
    expect(b).toEqual({ atMs: 1010, writesSent: 40, inFlightBeside: 20 });
    pacer.answered(a, 1050, { writes: 20, throttled: 0, info: { token: 't', outerStatus: 200 } });
    expect(pacer.sending(1).inFlightBeside).toBe(20);
    expect(pacer.writesSent).toBe(41);
    expect(pacer.latencyMs).toBe(50);
  });

  it('a 429 closes the gate for every worker until its Retry-After, holds and empties the budget', () => {
    const { budget, calls } = fakeBudget();
    const pacer = new Pacer({ budget, concurrency: 'auto', now: () => 1000 });
    const mark = pacer.sending(1);
    pacer.answered(mark, 1020, { writes: 1, throttled: 1, retryAfterMs: 3000, info: { token: 't', outerStatus: 429 } });
    expect(pacer.gate.pausedUntil).toBe(1020 + 3000 + 1);
    expect(calls).toEqual(['hold 3001', 'cap 0']);
  });

  it('after stop the gate opens for good and answers no longer pause', async () => {
    const { budget, calls } = fakeBudget();
    const pacer = new Pacer({ budget, concurrency: 'auto', now: () => 1000 });
    pacer.stop();
    pacer.answered(pacer.sending(1), 1020, { writes: 1, throttled: 1, retryAfterMs: 3000, info: { token: 't', outerStatus: 429 } });
    expect(pacer.gate.pausedUntil).toBe(0);
    expect(calls).toEqual(['stop']);
    await pacer.gate.wait(); // open
  });

  it('in flight: the concurrency cap without a budget; one request until a latency is measured with one', () => {
    expect(new Pacer({ budget: undefined, concurrency: 6 }).inFlightLimit(1)).toBe(6);
    const paced = new Pacer({ budget: fakeBudget().budget, concurrency: 'auto', now: () => 0 });
    expect(paced.inFlightLimit(1)).toBe(1);
    paced.answered(paced.sending(1), 100, { writes: 1, throttled: 0, info: { token: 't', outerStatus: 204 } });
    // slow start: one answer proves a quarter of one write free: one request in flight (src/schedule/pacing.ts)
    expect(paced.inFlightLimit(1)).toBe(1);
    // Graph reports 80 % used after 40 writes of a burst of 40: the configured budget, slow start ends;
    // then 100 writes/s + 40 of burst spent over 1 s, 100 ms each: 14 requests, × 1.5 headroom, + 1
    paced.answered(paced.sending(39), 100, {
      writes: 39,
      throttled: 0,
      info: { token: 't', outerStatus: 200, throttleLimitPercentage: 1 },
    });
    expect(paced.inFlightLimit(1)).toBe(22);
  });
});

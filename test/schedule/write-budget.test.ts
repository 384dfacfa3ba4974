import { describe, expect, it } from 'vitest';
import { WriteBudget } from '../../src/schedule/write-budget.js';

describe('WriteBudget', () => {
  it('lets the burst through at once, then paces writes to the refill rate', async () => {
    const budget = new WriteBudget({ burst: 20, refillPerSecond: 40, tickMs: 10 });
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 60 }, () => budget.schedule(1, async () => void times.push(Date.now() - started))),
    );
    await budget.stop();
    const burstDone = times.filter((t) => t < 100).length;
    expect(burstDone).toBeGreaterThanOrEqual(20);
    expect(burstDone).toBeLessThanOrEqual(25);
    // 40 more writes at 40/s: about a second; never faster than the refill allows.
    const last = Math.max(...times);
    expect(last).toBeGreaterThanOrEqual(900);
    expect(last).toBeLessThan(2500);
  });

  it('a batch takes its whole weight from the budget', async () => {
    const budget = new WriteBudget({ burst: 20, refillPerSecond: 1000, tickMs: 10 });
    await budget.schedule(20, async () => undefined);
    expect(await budget.available()).toBeLessThan(20);
    await budget.stop();
  });

  it('drain empties the budget so the refill starts from zero (after a 429)', async () => {
    const budget = new WriteBudget({ burst: 50, refillPerSecond: 10, tickMs: 10 });
    await budget.drain();
    expect(await budget.available()).toBe(0);
    await budget.stop();
  });
});

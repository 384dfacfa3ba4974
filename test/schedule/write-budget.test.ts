import { describe, expect, it } from 'vitest';
import { WriteBudget } from '../../src/schedule/write-budget.js';

describe('WriteBudget', () => {
  it('lets the burst through at once, then exactly the refill for the time that passed', async () => {
    let now = 1_000_000;
    const budget = new WriteBudget({ burst: 20, refillPerSecond: 40, tickMs: 5, now: () => now });
    let ran = 0;
    const all = Promise.all(Array.from({ length: 45 }, () => budget.schedule(1, async () => void ran++)));
    const settle = () => new Promise((r) => setTimeout(r, 300)); // real time; the budget sees only `now`
    await settle();
    expect(ran).toBe(20); // the burst, and not one more while no time passes
    now += 250; // 0.25 s at 40 writes/s = 10 writes
    await settle();
    expect(ran).toBe(30);
    now += 125; // fractions carry over: 5 more
    await settle();
    expect(ran).toBe(35);
    now += 10_000; // refill is capped at the burst, the rest run
    await all;
    expect(ran).toBe(45);
    await budget.stop();
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

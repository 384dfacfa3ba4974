import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BudgetStoppedError, TokenLevel, WriteBudget } from '../../src/schedule/write-budget.js';

describe('TokenLevel', () => {
  it('starts full, refills from elapsed time exactly (no ticks, no drift), never above the burst', () => {
    const level = new TokenLevel(100, 20, 0);
    expect(level.tryTake(100, 0)).toBe(true);
    level.counted(100, 0);
    expect(level.levelAt(50)).toBeCloseTo(1);
    expect(level.levelAt(1234)).toBeCloseTo(24.68);
    expect(level.levelAt(1_000_000)).toBe(100);
  });

  it('refuses a take it cannot cover, and says how long until it can', () => {
    const level = new TokenLevel(100, 20, 0);
    level.tryTake(95, 0);
    level.counted(95, 0);
    expect(level.tryTake(20, 0)).toBe(false);
    expect(level.msUntil(20, 0)).toBe(750);
    expect(level.msUntil(500, 0)).toBe(4750); // more than the burst counts as the burst
    expect(level.tryTake(20, 750)).toBe(true);
  });

  it("writes still travelling keep the ceiling down: Graph's full bucket loses its refill at the brim until it counts them", () => {
    const level = new TokenLevel(100, 20, 0);
    level.tryTake(30, 1000);
    expect(level.levelAt(5000)).toBe(70); // not 100: Graph has not counted the 30 yet
    expect(level.msUntil(80, 5000)).toBe(Number.POSITIVE_INFINITY); // only an answer can make room
    level.counted(20, 5000);
    expect(level.levelAt(6000)).toBe(90);
    level.counted(10, 6000);
    expect(level.levelAt(6250)).toBeCloseTo(95);
    level.tryTake(5, 6250);
    level.giveBack(5, 6250); // not sent after all: no longer travelling
    expect(level.levelAt(6250)).toBeCloseTo(95);
  });

  it('a lower rate factor slows the refill from then on; a cap only lowers, and may go into debt; giving back stops at the burst', () => {
    const level = new TokenLevel(100, 20, 0);
    level.tryTake(100, 0);
    level.counted(100, 0);
    level.setRateFactor(0.5, 1000); // 20 refilled at the full rate
    expect(level.levelAt(2000)).toBeCloseTo(30);
    level.capAt(50, 2000);
    expect(level.levelAt(2000)).toBeCloseTo(30);
    level.capAt(10, 2000);
    expect(level.levelAt(2000)).toBe(10);
    level.capAt(-20, 2000);
    expect(level.msUntil(1, 2000)).toBe(2100); // 21 writes at 10/s
    level.giveBack(500, 2000);
    expect(level.levelAt(2000)).toBe(100);
  });

  it('rejects a burst under 1 or a refill of 0', () => {
    expect(() => new TokenLevel(0, 20, 0)).toThrow(RangeError);
    expect(() => new TokenLevel(10, 0, 0)).toThrow(RangeError);
  });
});

describe('WriteBudget', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /**
   * A budget on the fake clock, and a record of when each acquire resolved. Each request is answered
   * the moment it goes (its writes counted at once), unless `answered` is false.
   */
  function setup(burst: number, refillPerSecond: number) {
    const budget = new WriteBudget({ burst, refillPerSecond, now: () => Date.now() });
    const t0 = Date.now();
    const granted: Array<[string, number]> = [];
    const acquire = (name: string, writes: number, answered = true) =>
      budget.acquire(writes).then(
        () => {
          if (answered) budget.counted(writes);
          granted.push([name, Date.now() - t0]);
        },
        (err: Error) => void granted.push([`${name}: ${err.name}`, Date.now() - t0]),
      );
    return { budget, granted, acquire };
  }

  it('lets the burst through at once, then paces to the refill, first come first served', async () => {
    const { budget, granted, acquire } = setup(40, 20);
    void acquire('a', 20);
    void acquire('b', 20);
    void acquire('c', 20); // needs a full second of refill
    void acquire('d', 1); // small, but waits its turn behind c
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    await vi.advanceTimersByTimeAsync(999);
    expect(granted).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 1000],
    ]);
    await vi.advanceTimersByTimeAsync(50);
    expect(granted.at(-1)).toEqual(['d', 1050]);
    budget.stop();
  });

  it('holds everyone through a pause even while the level refills, and drain restarts the refill from zero', async () => {
    const { budget, granted, acquire } = setup(100, 100);
    budget.drain();
    budget.holdFor(500);
    void acquire('a', 10);
    await vi.advanceTimersByTimeAsync(499);
    expect(granted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([['a', 500]]);
    expect(budget.level).toBeCloseTo(40);
    budget.stop();
  });

  it('refund gives back writes not used; a cap below zero is a debt paid back first', async () => {
    const { budget, granted, acquire } = setup(100, 100);
    await acquire('a', 100, false);
    budget.refund(30); // 30 of the 100 were not sent after all
    budget.counted(70);
    expect(budget.level).toBe(30);
    budget.capAt(-50);
    void acquire('b', 10);
    await vi.advanceTimersByTimeAsync(599);
    expect(granted).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted.at(-1)).toEqual(['b', 600]);
    budget.stop();
  });

  it('a full budget does not refill the writes still travelling; their answer does', async () => {
    const budget = new WriteBudget({ burst: 20, refillPerSecond: 100, now: () => Date.now() });
    await budget.acquire(20);
    let granted = false;
    void budget.acquire(10).then(() => (granted = true));
    await vi.advanceTimersByTimeAsync(5000);
    expect(granted).toBe(false);
    expect(vi.getTimerCount()).toBe(0); // nothing to wait for but the answer
    budget.counted(20);
    await vi.advanceTimersByTimeAsync(100);
    expect(granted).toBe(true);
    budget.stop();
  });

  it('stop rejects whoever still waits', async () => {
    const { budget, granted, acquire } = setup(10, 1);
    await acquire('a', 10);
    const waiting = acquire('b', 5);
    budget.stop();
    await waiting;
    expect(granted.at(-1)![0]).toBe(`b: ${new BudgetStoppedError().name}`);
    await expect(budget.acquire(1)).rejects.toBeInstanceOf(BudgetStoppedError);
  });

  it('keeps a timer (and so the process) alive only while someone waits', async () => {
    const { budget, acquire } = setup(10, 10);
    expect(vi.getTimerCount()).toBe(0);
    await acquire('a', 10);
    void acquire('b', 5);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(vi.getTimerCount()).toBe(0);
    budget.stop();
  });
});

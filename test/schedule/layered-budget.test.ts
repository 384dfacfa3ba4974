import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LayeredBudget } from '../../src/schedule/layered-budget.js';
import { WriteBudget } from '../../src/schedule/write-budget.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A delegated run's levels: the user's (burst 25, 2.5 writes/s) and the app's in the tenant (Graph's). */
function delegated() {
  const now = () => Date.now();
  const user = new WriteBudget({ burst: 25, refillPerSecond: 2.5, now });
  const app = new WriteBudget({ burst: 3000, refillPerSecond: 20, now });
  return {
    user,
    app,
    budget: new LayeredBudget([
      { scope: 'Tenant_User', budget: user },
      { scope: 'Tenant_Application', budget: app },
    ]),
  };
}

describe('LayeredBudget', () => {
  it('a write goes only when every level has it: a delegated run sends 25 at once, then 2.5 per second', async () => {
    const { budget, app } = delegated();
    const sentAt: number[] = [];
    const t0 = Date.now();
    const all = Array.from({ length: 35 }, () => budget.schedule(1, async () => void sentAt.push(Date.now() - t0)));
    await vi.advanceTimersByTimeAsync(4100);
    await Promise.all(all);
    expect(sentAt.filter((t) => t === 0)).toHaveLength(25);
    // writes 26..35 at 400 ms intervals (2.5/s)
    expect(sentAt.slice(25)).toEqual([400, 800, 1200, 1600, 2000, 2400, 2800, 3200, 3600, 4000]);
    expect(app.level).toBe(3000); // 35 taken, 82 refilled in 4.1 s, never above the burst
    await budget.stop();
  });

  it('the binding level speaks for the whole; forScope hands out the level a 429 names', async () => {
    const { budget, user, app } = delegated();
    expect(budget.binding.scope).toBe('Tenant_User');
    expect(budget.burst).toBe(25);
    expect(budget.refillPerSecond).toBe(2.5);
    expect(budget.forScope('Tenant_Application')).toBe(app);
    expect(budget.forScope('Tenant_User')).toBe(user);
    expect(budget.forScope('Application')).toBeUndefined();
    budget.rateFactor = 0.5;
    expect(user.rateFactor).toBe(0.5);
    expect(app.rateFactor).toBe(1);
    budget.capAt(0);
    expect(user.level).toBe(0);
    expect(app.level).toBe(3000);
    expect(budget.level).toBe(0);
    await budget.stop();
  });

  it('a refund goes back to every level', async () => {
    const { budget, user, app } = delegated();
    await budget.schedule(20, async (grant) => grant?.refund(15));
    expect(user.level).toBe(20);
    expect(app.level).toBe(2995);
    await budget.stop();
  });
});

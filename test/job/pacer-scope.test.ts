import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/job/pacer.js';
import { LayeredBudget } from '../../src/schedule/layered-budget.js';
import { WriteBudget } from '../../src/schedule/write-budget.js';

const info = { token: 't', outerStatus: 200 };

describe('Pacer: the budget a 429 names is the one that slows (docs/graph-behaviour.md §3)', () => {
  function setup() {
    let now = 1_000_000;
    const clock = () => now;
    const user = new WriteBudget({ burst: 25, refillPerSecond: 2.5, now: clock });
    const app = new WriteBudget({ burst: 3000, refillPerSecond: 20, now: clock });
    const budget = new LayeredBudget([
      { scope: 'Tenant_User', budget: user },
      { scope: 'Tenant_Application', budget: app },
    ]);
    const pacer = new Pacer({ budget, concurrency: 'auto', now: clock });
    return { pacer, user, app, budget, advance: (ms: number) => (now += ms), clock };
  }

  it('a 429 of scope Tenant_Application empties the app+tenant level, not the per-user one', async () => {
    const { pacer, user, app, budget } = setup();
    const sent = pacer.sending(1);
    pacer.answered(sent, sent.atMs + 50, { writes: 1, throttled: 1, retryAfterMs: 500, throttleScope: 'Tenant_Application', info });
    expect(app.level).toBe(0);
    expect(user.level).toBe(25);
    await budget.stop();
  });

  it('a 429 of scope Tenant_User empties the per-user level, not the app+tenant one', async () => {
    const { pacer, user, app, budget } = setup();
    const first = pacer.sending(1);
    pacer.answered(first, first.atMs + 50, { writes: 1, throttled: 1, retryAfterMs: 500, throttleScope: 'Tenant_User', info });
    expect(user.level).toBe(0);
    expect(app.level).toBe(3000);
    await budget.stop();
  });
});

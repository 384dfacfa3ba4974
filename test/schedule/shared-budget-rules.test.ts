/** The pure rules behind the shared write budget: refill steps, fallback share, jitter reserve, budget id, shared pause. */
import { describe, expect, it } from 'vitest';
import { readTokenIdentity } from '../../src/auth/token-claims.js';
import { budgetScope } from '../../src/schedule/budget-scope.js';
import { assumedPeers, describeRedisUrl, fallbackBudget, jitterReserve, reservoirIncrease } from '../../src/schedule/shared-budget.js';
import { SharedPauseGate, type PauseStore } from '../../src/schedule/shared-pause.js';

const jwt = (claims: object) =>
  ['{"alg":"RS256","typ":"JWT"}', JSON.stringify(claims)].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.c2lnbmF0dXJl';

describe('reservoirIncrease', () => {
  it('whole writes about every 50 ms, adding up to the refill rate', () => {
    for (const [rate, factor] of [
      [20, 1],
      [400, 1],
      [200, 0.5],
      [3, 1],
      [1000, 0.9],
    ] as const) {
      const { amount, intervalMs } = reservoirIncrease(rate, factor);
      expect(Number.isInteger(amount)).toBe(true);
      expect(amount).toBeGreaterThanOrEqual(1);
      expect((amount * 1000) / intervalMs).toBeCloseTo(rate * factor, 6);
    }
    expect(reservoirIncrease(20)).toEqual({ amount: 1, intervalMs: 50 });
    expect(reservoirIncrease(400)).toEqual({ amount: 20, intervalMs: 50 });
  });
});

describe('local fallback while Redis is unreachable', () => {
  it('assumes at least 2 processes after Redis was seen, at least 4 when it never was, and never fewer than the shards', () => {
    expect(assumedPeers(1)).toBe(2);
    expect(assumedPeers(3)).toBe(3);
    expect(assumedPeers(undefined)).toBe(4);
    expect(assumedPeers(undefined, 8)).toBe(8);
    expect(assumedPeers(2, 6)).toBe(6);
  });

  it('the shares of the processes that were sharing add up to no more than the budget', () => {
    const budget = { burst: 3000, refillPerSecond: 20 };
    for (const n of [1, 2, 3, 4, 7, 16]) {
      const peers = assumedPeers(n);
      const share = fallbackBudget(budget, peers);
      expect(share.refillPerSecond * n).toBeLessThanOrEqual(budget.refillPerSecond + 1e-9);
      expect(share.burst * n).toBeLessThanOrEqual(budget.burst);
    }
  });
});

describe('jitterReserve', () => {
  it('250 ms of refill, at most half the burst', () => {
    expect(jitterReserve(3000, 20)).toBe(5);
    expect(jitterReserve(200, 400)).toBe(100);
    expect(jitterReserve(100, 400)).toBe(50);
  });
});

describe('describeRedisUrl', () => {
  it('never shows the password', () => {
    expect(describeRedisUrl('redis://:s3cret@cache.example:6380/2')).toBe('redis://:<redacted>@cache.example:6380/2');
    expect(describeRedisUrl('rediss://default:s3cret@cache.example:6380')).toBe('rediss://default:<redacted>@cache.example:6380');
    expect(describeRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(describeRedisUrl('not a url s3cret')).not.toContain('s3cret');
  });
});

describe('budget id (budgetScope)', () => {
  const tid = '72F988BF-86F1-41AF-91AB-2D7CD011DB47';
  const appid = '3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d';

  it('reads tid and appid (or azp) from a JWT, and nothing from an opaque token', () => {
    expect(readTokenIdentity(jwt({ tid, appid, aud: 'https://graph.microsoft.com' }))).toEqual({
      tenantId: tid.toLowerCase(),
      appId: appid,
    });
    expect(readTokenIdentity(jwt({ tid, azp: appid }))).toEqual({ tenantId: tid.toLowerCase(), appId: appid });
    expect(readTokenIdentity('opaque-token')).toBeUndefined();
    expect(readTokenIdentity('a.b.c')).toBeUndefined();
  });

  it('is the same for a token and for options naming the same tenant and app, whatever the case', () => {
    const fromToken = budgetScope({ graphRoot: 'https://graph.microsoft.com', claims: readTokenIdentity(jwt({ tid, appid })) });
    const fromOptions = budgetScope({ graphRoot: 'https://graph.microsoft.com/', tenantId: tid, clientId: appid.toUpperCase() });
    expect(fromToken.source).toBe('token');
    expect(fromOptions.source).toBe('options');
    expect(fromToken.id).toBe(fromOptions.id);
    expect(fromToken.id).toBe(`graph-bulk|https://graph.microsoft.com|${tid.toLowerCase()}|${appid}`);
  });

  it('differs by tenant, app and Graph root; falls back to the Graph root alone', () => {
    const a = budgetScope({ graphRoot: 'https://graph.microsoft.com', tenantId: tid, clientId: appid }).id;
    expect(budgetScope({ graphRoot: 'https://graph.microsoft.us', tenantId: tid, clientId: appid }).id).not.toBe(a);
    expect(budgetScope({ graphRoot: 'https://graph.microsoft.com', tenantId: tid, clientId: 'other-app' }).id).not.toBe(a);
    const bare = budgetScope({ graphRoot: 'https://graph.microsoft.com', claims: readTokenIdentity('opaque') });
    expect(bare).toMatchObject({ source: 'graph-root', id: 'graph-bulk|https://graph.microsoft.com|*|*' });
  });

  it("the token's claims win over options that disagree", () => {
    const s = budgetScope({
      graphRoot: 'https://graph.microsoft.com',
      claims: readTokenIdentity(jwt({ tid, appid })),
      tenantId: 'another-tenant',
      clientId: 'another-app',
    });
    expect(s).toMatchObject({ source: 'token', tenantId: tid.toLowerCase(), appId: appid });
  });
});

describe('SharedPauseGate', () => {
  /** A store in memory with a fake clock, counting reads. */
  function memoryStore(clock: { now: number }) {
    let until = 0;
    const store: PauseStore & { reads: number; untilMs: () => number } = {
      reads: 0,
      untilMs: () => until,
      async remainingMs() {
        store.reads++;
        return Math.max(0, until - clock.now);
      },
      async extend(ms) {
        until = Math.max(until, clock.now + ms);
      },
    };
    return store;
  }

  it("a pause set through one gate holds the other gate's waiters until it has passed", async () => {
    const clock = { now: 1_000_000 };
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock.now += ms;
    };
    const store = memoryStore(clock);
    const a = new SharedPauseGate(store, { now: () => clock.now, sleep });
    const b = new SharedPauseGate(store, { now: () => clock.now, sleep });
    a.pauseUntil(clock.now + 2500);
    await Promise.resolve();
    expect(store.untilMs()).toBe(1_002_500);
    const start = clock.now;
    await b.wait();
    expect(clock.now - start).toBeGreaterThanOrEqual(2500);
    expect(b.closed).toBe(false);
  });

  it('reads the store at most once per freshMs, and a failing store leaves the gate open', async () => {
    const clock = { now: 0 };
    const store = memoryStore(clock);
    const gate = new SharedPauseGate(store, { now: () => clock.now, freshMs: 50 });
    for (let i = 0; i < 20; i++) {
      await gate.wait();
      clock.now += 5;
    }
    expect(store.reads).toBeLessThanOrEqual(3);
    const broken = new SharedPauseGate({
      remainingMs: () => Promise.reject(new Error('down')),
      extend: () => Promise.reject(new Error('down')),
    });
    broken.pauseUntil(Date.now() - 1);
    await broken.wait();
    expect(broken.closed).toBe(false);
  });
});

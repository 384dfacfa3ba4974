/**
 * SharedBudget against a real Redis (GRAPH_BULK_TEST_REDIS_URL): two budgets with the same id are
 * one budget; a pause set by one holds the other; lost Redis state is re-created; an unreachable
 * Redis leaves a local share that starts empty. Time assertions are lower bounds only (a loaded
 * machine can only make things slower).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedBudget, type SharedBudgetEvent } from '../../src/schedule/shared-budget.js';
import { freePort, skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';

const budgets: SharedBudget[] = [];
afterEach(async () => {
  await Promise.all(budgets.splice(0).map((b) => b.stop()));
});

async function start(id: string, opts: Partial<Parameters<typeof SharedBudget.start>[0]> = {}) {
  const events: SharedBudgetEvent[] = [];
  const budget = await SharedBudget.start({
    redisUrl: testRedisUrl!,
    id,
    burst: 20,
    refillPerSecond: 200,
    onEvent: (e) => events.push(e),
    ...opts,
  });
  budgets.push(budget);
  return { budget, events };
}

/** Schedules `n` single writes and resolves with the ms each was granted at, from `t0`. */
function take(budget: SharedBudget, n: number, t0: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () => budget.schedule(1, async () => Date.now() - t0)));
}

describe.skipIf(skipWithoutRedis('url', 'SharedBudget on Redis'))('SharedBudget on Redis', () => {
  it('two processes with one id draw from one bucket: together they take as long as one would for all the writes', async () => {
    const id = `test|${randomUUID()}`;
    const a = await start(id);
    const b = await start(id);
    expect(a.events[0]).toMatchObject({ kind: 'shared' });
    expect(a.budget.burst).toBe(10); // 20 less the jitter reserve of 10
    const t0 = Date.now();
    const [ta, tb] = await Promise.all([take(a.budget, 55, t0), take(b.budget, 55, t0)]);
    const all = [...ta, ...tb].sort((x, y) => x - y);
    // 110 writes from a bucket of 10 refilled at 200/s: at least (110 − 10) / 200 s = 500 ms.
    // Two separate budgets would each need only (55 − 10) / 200 s = 225 ms.
    expect(all.at(-1)!).toBeGreaterThanOrEqual(450);
    // By any time t, no more than the bucket (10), one refill step (10 writes every 50 ms: the
    // step under way when the bucket was full comes whole) and the refill since the start.
    for (const [i, t] of all.entries()) expect(i + 1).toBeLessThanOrEqual(10 + 10 + Math.ceil((200 * t) / 1000));
    expect(ta.length + tb.length).toBe(110);
    expect(a.budget.status).toMatchObject({ mode: 'shared', outages: 0 });
  });

  it("a pause set by one process (a 429's Retry-After) holds the other process's sends", async () => {
    const id = `test|${randomUUID()}`;
    const a = await start(id, { burst: 100, refillPerSecond: 1000 });
    const b = await start(id, { burst: 100, refillPerSecond: 1000 });
    a.budget.gate.pauseUntil(Date.now() + 600);
    await new Promise((r) => setTimeout(r, 30));
    const t0 = Date.now();
    const [sent] = await take(b.budget, 1, t0);
    expect(sent).toBeGreaterThanOrEqual(450);
    const redis = new Redis(testRedisUrl!);
    try {
      expect(await redis.exists(`${id}|pause`)).toBe(0); // the shared pause expired on its own
    } finally {
      redis.disconnect();
    }
  });

  it('after a 429 (drain) the shared bucket refills from below zero for every process', async () => {
    const id = `test|${randomUUID()}`;
    const a = await start(id, { burst: 100, refillPerSecond: 200 });
    const b = await start(id, { burst: 100, refillPerSecond: 200 });
    const t0 = Date.now();
    await a.budget.drain();
    expect(await b.budget.available()).toBeLessThanOrEqual(0);
    // 20 writes after a drain to −50 (the reserve): 70 writes of refill at 200/s, the first 10 of
    // which may come at once (refill steps of 10 every 50 ms): at least 300 ms.
    const times = await take(b.budget, 20, t0);
    expect(Math.max(...times)).toBeGreaterThanOrEqual(280);
  });

  it('re-creates its state when Redis lost it (keys deleted), without leaving shared mode', async () => {
    const id = `test|${randomUUID()}`;
    const { budget } = await start(id);
    await take(budget, 5, Date.now());
    const redis = new Redis(testRedisUrl!);
    try {
      const keys = await redis.keys(`b_${id}_*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      const times = await take(budget, 5, Date.now());
      expect(times).toHaveLength(5);
      expect(await redis.exists(`b_${id}_settings`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    expect(budget.status).toMatchObject({ mode: 'shared', outages: 0 });
  });

  it('with Redis unreachable at start, it says so and goes on with a local share that starts empty', async () => {
    const port = await freePort();
    const { budget, events } = await start(`test|${randomUUID()}`, {
      redisUrl: `redis://127.0.0.1:${port}`,
      burst: 100,
      refillPerSecond: 400,
      connectTimeoutMs: 300,
    });
    expect(events[0]).toMatchObject({ kind: 'degraded', peers: 4, burst: 25, refillPerSecond: 100 });
    expect((events[0] as { reason: string }).reason).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ within 300 ms/);
    const t0 = Date.now();
    const times = await take(budget, 20, t0);
    // A quarter of 400/s from an empty bucket: 20 writes take at least 200 ms.
    expect(Math.max(...times)).toBeGreaterThanOrEqual(180);
    expect(budget.status).toMatchObject({ mode: 'degraded', outages: 1 });
  });
});

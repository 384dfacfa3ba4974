/**
 * Nested budgets in a real Redis (GRAPH_BULK_TEST_REDIS_URL): one Lua script grants from every level
 * at once or from none; an application-level hold pauses every tenant, a tenant's hold only that tenant.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NestedSharedBudget, nestedLevelKey, type NestedLevel } from '../../src/schedule/nested-budget.js';
import { skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';

const ROOT = 'https://graph.microsoft.com';
const started: NestedSharedBudget[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((b) => b.stop()));
});

/** One budget per tenant of one app: its own app+tenant level, the app level shared by all. */
function tenants(count: number, app: { burst: number; refillPerSecond: number }, perTenant: { burst: number; refillPerSecond: number }) {
  const appId = randomUUID();
  return Array.from({ length: count }, () => {
    const tenantId = randomUUID();
    const levels: NestedLevel[] = [
      { scope: 'Tenant_Application', key: nestedLevelKey(ROOT, 'Tenant_Application', { appId, tenantId }), ...perTenant },
      { scope: 'Application', key: nestedLevelKey(ROOT, 'Application', { appId }), ...app },
    ];
    const b = new NestedSharedBudget(testRedisUrl!, levels);
    started.push(b);
    return b;
  });
}

/** Grants `n` writes one at a time, concurrently; resolves with how many were granted within `ms`. */
async function grantedWithin(b: NestedSharedBudget, n: number, ms: number): Promise<number> {
  let granted = 0;
  for (let i = 0; i < n; i++) void b.schedule(1, async () => void granted++).catch(() => undefined);
  await new Promise((r) => setTimeout(r, ms));
  return granted;
}

describe.skipIf(skipWithoutRedis('url', 'nested budgets in Redis'))('nested budgets in Redis (one Lua script over the levels)', () => {
  it('three tenants of one app share the application level: together never more than its burst, each tenant far below its own', async () => {
    const [a, b, c] = tenants(3, { burst: 30, refillPerSecond: 0.01 }, { burst: 100, refillPerSecond: 0.01 });
    const counts = await Promise.all([grantedWithin(a!, 20, 400), grantedWithin(b!, 20, 400), grantedWithin(c!, 20, 400)]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(30);
    expect(Math.round(await a!.available())).toBe(0);
  });

  it('a level that refuses takes nothing from the others (atomic)', async () => {
    const [a, b] = tenants(2, { burst: 10, refillPerSecond: 0.01 }, { burst: 2, refillPerSecond: 0.01 });
    expect(await grantedWithin(a!, 5, 300)).toBe(2); // tenant A's own level is spent at 2
    // the app level lost only A's 2: tenant B can still take its own 2, and the app level has 6 left
    expect(await grantedWithin(b!, 5, 300)).toBe(2);
    const appLeft = await a!.forScope('Application')!.available();
    expect(Math.round(appLeft)).toBe(6);
  });

  it("an application-scope hold pauses every tenant; one tenant's hold pauses only that tenant", async () => {
    const [a, b] = tenants(2, { burst: 100, refillPerSecond: 1 }, { burst: 100, refillPerSecond: 1 });
    a!.forScope('Tenant_Application')!.holdFor!(600);
    await new Promise((r) => setTimeout(r, 30));
    expect(await grantedWithin(b!, 3, 200)).toBe(3); // tenant B goes on
    expect(await grantedWithin(a!, 3, 200)).toBe(0); // tenant A waits
    b!.forScope('Application')!.holdFor!(600);
    await new Promise((r) => setTimeout(r, 30));
    expect(await grantedWithin(b!, 3, 200)).toBe(0); // the app's hold: B waits too
    await new Promise((r) => setTimeout(r, 800));
    expect(await grantedWithin(b!, 1, 300)).toBeGreaterThanOrEqual(1);
  });

  it('a refund goes back to every level', async () => {
    const [a] = tenants(1, { burst: 10, refillPerSecond: 0.01 }, { burst: 10, refillPerSecond: 0.01 });
    await a!.schedule(8, async (grant) => grant?.refund(5));
    await new Promise((r) => setTimeout(r, 50));
    expect(Math.round(await a!.forScope('Application')!.available())).toBe(7);
    expect(Math.round(await a!.forScope('Tenant_Application')!.available())).toBe(7);
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/graph/errors.js';
import { budgetLevels, chooseBudget } from '../../src/job/budget-choice.js';
import { LayeredBudget } from '../../src/schedule/layered-budget.js';
import { createLogger } from '../../src/report/log.js';
import { SharedBudget } from '../../src/schedule/shared-budget.js';
import { WriteBudget } from '../../src/schedule/write-budget.js';
import { Capture } from '../helpers/job.js';
import { skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';

describe('chooseBudget', () => {
  it('without a Redis URL: a budget of this process alone, and the local pause gate', async () => {
    const log = new Capture();
    const choice = await chooseBudget({
      writeBudget: { burst: 100, refillPerSecond: 10 },
      graphRoot: 'https://graph.microsoft.com',
      log: createLogger('text', log),
    });
    expect(choice.budget).toBeInstanceOf(WriteBudget);
    expect(choice.gate).toBeUndefined();
    await choice.budget!.stop();
    expect(log.text).toBe('');
  });

  it('writeBudget off: nothing to share, said once', async () => {
    const log = new Capture();
    const choice = await chooseBudget({
      writeBudget: false,
      redisUrl: 'redis://127.0.0.1:1',
      graphRoot: 'https://graph.microsoft.com',
      log: createLogger('text', log),
    });
    expect(choice.budget).toBeUndefined();
    expect(log.text).toMatch(/redis ignored: writeBudget is off/);
  });
});

/** An unsigned JWT with these claims (graph-bulk reads claims, never verifies them). */
const jwt = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"typ":"JWT","alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const DELEGATED = jwt({ tid: 't', appid: 'a', scp: 'Directory.AccessAsUser.All', oid: 'u' });
const APP_ONLY = jwt({ tid: 't', appid: 'a', roles: ['Device.ReadWrite.All'] });

describe('the right budget for the run (docs/graph-behaviour.md §3)', () => {
  it("a delegated token: the per-user budget (Graph's burst 25, 2.5 writes/s) beside the app+tenant one, said in the log", async () => {
    const log = new Capture();
    const choice = await chooseBudget({
      writeBudget: { burst: 3000, refillPerSecond: 20 },
      graphRoot: 'https://graph.microsoft.com',
      token: DELEGATED,
      log: createLogger('text', log),
    });
    expect(choice.budget).toBeInstanceOf(LayeredBudget);
    expect(choice.scopes).toEqual(['Tenant_User', 'Tenant_Application']);
    const b = choice.budget as LayeredBudget;
    expect(b.binding.scope).toBe('Tenant_User');
    expect([b.burst, b.refillPerSecond]).toEqual([25, 2.5]);
    expect(b.forScope('Tenant_Application')?.refillPerSecond).toBe(20);
    expect(log.text).toMatch(/delegated token \(scp\): writes also paced to the per-user budget, burst 25 and 2\.5 writes\/s/);
    await choice.budget!.stop();
  });

  it('an app-only token: the app+tenant budget alone; a per-user budget set for it is ignored, said once', async () => {
    const log = new Capture();
    const choice = await chooseBudget({
      writeBudget: { burst: 3000, refillPerSecond: 20 },
      userWriteBudget: { burst: 5, refillPerSecond: 1 },
      graphRoot: 'https://graph.microsoft.com',
      token: APP_ONLY,
      log: createLogger('text', log),
    });
    expect(choice.budget).toBeInstanceOf(WriteBudget);
    expect(choice.scopes).toEqual(['Tenant_Application']);
    expect(log.text).toMatch(/userWriteBudget ignored: the token is app-only/);
    await choice.budget!.stop();
  });

  it('options set each level: a per-user budget of its own, off, tenant- and application-wide ones', () => {
    expect(budgetLevels({ token: DELEGATED, userWriteBudget: { burst: 10, refillPerSecond: 1 } })).toMatchObject({
      user: { burst: 10, refillPerSecond: 1 },
      userSource: 'delegated',
    });
    expect(budgetLevels({ token: DELEGATED, userWriteBudget: false })).toEqual({ userSource: 'none' });
    expect(budgetLevels({ token: 'opaque' })).toEqual({ userSource: 'none' });
    expect(budgetLevels({ token: 'opaque', userWriteBudget: { burst: 3, refillPerSecond: 1 } })).toMatchObject({ userSource: 'set' });
    expect(
      budgetLevels({
        token: APP_ONLY,
        tenantWriteBudget: { burst: 18000, refillPerSecond: 60 },
        appWriteBudget: { burst: 35000, refillPerSecond: 116 },
      }),
    ).toMatchObject({ tenant: { burst: 18000 }, app: { burst: 35000 }, userSource: 'none' });
  });
});

describe.skipIf(skipWithoutRedis('url', 'chooseBudget with Redis'))('chooseBudget with Redis', () => {
  it('joins the budget named by tenant and app, logs where it came from, and never shows the Redis password', async () => {
    const password = `pw-${randomUUID()}`;
    const url = new URL(testRedisUrl!);
    url.password = password;
    const log = new Capture();
    const tenantId = randomUUID();
    const choice = await chooseBudget({
      writeBudget: { burst: 100, refillPerSecond: 10 },
      redisUrl: url.toString(),
      graphRoot: 'https://graph.microsoft.com',
      token: 'opaque',
      tenantId,
      clientId: 'APP-1',
      log: createLogger('json', log),
    });
    try {
      expect(choice.budget).toBeInstanceOf(SharedBudget);
      expect(choice.gate).toBe((choice.budget as SharedBudget).gate);
      expect(choice.shared?.scope).toMatchObject({ source: 'options', id: `graph-bulk|https://graph.microsoft.com|${tenantId}|app-1` });
      const line = JSON.parse(log.text.trim().split('\n')[0]!);
      expect(line).toMatchObject({ level: 'info', budgetId: `graph-bulk|https://graph.microsoft.com|${tenantId}|app-1` });
      expect(line.msg).toMatch(/^write budget shared through Redis redis:\/\/:<redacted>@/);
      expect(line.budgetIdFrom).toMatch(/tenantId\/clientId/);
      expect(log.text).not.toContain(password);
      expect(redactSecrets(`AUTH failed for ${password}`)).not.toContain(password);
    } finally {
      await choice.budget?.stop();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/graph/errors.js';
import { chooseBudget } from '../../src/job/budget-choice.js';
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
      expect(line.msg).toMatch(/^write budget shared through Redis redis:\/\/:\*\*\*@/);
      expect(line.budgetIdFrom).toMatch(/tenantId\/clientId/);
      expect(log.text).not.toContain(password);
      expect(redactSecrets(`AUTH failed for ${password}`)).not.toContain(password);
    } finally {
      await choice.budget?.stop();
    }
  });
});

/**
 * The write throttle measured over HTTP (docs/graph-behaviour.md §3): applied writes per second stay
 * within burst + refill, Retry-After is truthful under concurrency, headers as Graph sends them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { WIN, batch, graphError, innerPatch, patch, sleep, start, testDevices } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const extraId = (i: number) => `22222222-2222-4222-8222-${String(i + 100).padStart(12, '0')}`;

describe('write throttle over HTTP', () => {
  it('429 TooManyRequests with fractional Retry-After, throttle scope/information and limit percentage', async () => {
    // A slow refill (one write per 2 s), so that a loaded machine cannot refill a token during the 10 writes.
    emu = await start({ devices: testDevices(20), writeBudget: { burst: 10, refillPerSecond: 0.5 }, appId: 'app-1', tenantId: 'tenant-1' });
    const seen: (string | null)[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await patch(emu, extraId(i), { extensionAttributes: { extensionAttribute1: 'a' } });
      expect(r.status).toBe(204);
      seen.push(r.headers.get('x-ms-throttle-limit-percentage'));
    }
    // usage = consumed / burst: not sent below 0.8, two decimals from 0.8 on
    expect(seen.slice(0, 7)).toEqual(Array(7).fill(null));
    expect(seen[8]).toMatch(/^0\.[89]\d$/);
    expect(seen[9]).toMatch(/^(0\.9\d|1\.00)$/);
    const r = await patch(emu, extraId(10), { extensionAttributes: { extensionAttribute1: 'a' } });
    expect(r.status).toBe(429);
    expect(graphError(r)).toMatchObject({
      code: 'TooManyRequests',
      message:
        'Too many requests from Identifier:app-1+tenant-1 under category:throttle.aad.ags.msgraph.rest.devices.write. Please try again later.',
    });
    const retryAfter = r.headers.get('retry-after') ?? '';
    expect(retryAfter).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(2);
    expect(retryAfter).not.toBe('0');
    expect(r.headers.get('x-ms-throttle-scope')).toBe('Tenant_Application/Write/app-1/tenant-1');
    expect(r.headers.get('x-ms-throttle-information')).toBe('WriteLimitExceeded');
    // only on regular responses (docs/graph-behaviour.md §3)
    expect(r.headers.get('x-ms-throttle-limit-percentage')).toBeNull();
    expect(r.headers.get('x-ms-resource-unit')).toBe('1');
    // the throttled write was not applied
    expect(emu.getDevice(extraId(10))?.extensionAttributes.extensionAttribute1).toBeNull();
    // an early retry is counted and refused with the remaining wait; the honoured retry passes
    const early = await patch(emu, extraId(10), { extensionAttributes: { extensionAttribute1: 'a' } });
    expect(early.status).toBe(429);
    expect(Number(early.headers.get('retry-after'))).toBeLessThanOrEqual(Number(retryAfter));
    expect(emu.stats().earlyRetries).toBe(1);
    await sleep(Number(early.headers.get('retry-after')) * 1000);
    expect((await patch(emu, extraId(10), { extensionAttributes: { extensionAttribute1: 'a' } })).status).toBe(204);
    expect(emu.stats().throttled).toMatchObject({ outer: 2, inner: 0, total: 2 });
  });

  it('a PATCH inside $batch costs one write, like a single PATCH', async () => {
    emu = await start({ devices: testDevices(30), writeBudget: { burst: 4, refillPerSecond: 1 } });
    expect((await patch(emu, WIN.id, { displayName: 'one' })).status).toBe(204);
    const r = await batch(
      emu,
      Array.from({ length: 5 }, (_, i) => innerPatch(String(i), extraId(i), { displayName: 'b' })),
    );
    const statuses = r.json.responses.map((x: { status: number }) => x.status).sort();
    expect(statuses).toEqual([204, 204, 204, 429, 429]);
  });

  it('measured: over ~2.5 s at burst 20 / refill 20 per s, applied writes stay within the budget, and a client honouring every Retry-After gets no second 429 for any wait', async () => {
    const burst = 20;
    const refill = 20;
    emu = await start({ devices: testDevices(200), writeBudget: { burst, refillPerSecond: refill } });
    const targets = Array.from({ length: 70 }, (_, i) => extraId(i));
    const queue = [...targets];
    const throttledTimes = new Map<string, number>();
    const consecutive429 = new Map<string, number>();
    const worker = async () => {
      for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
        for (;;) {
          const r = await patch(emu as Emulator, target, { extensionAttributes: { extensionAttribute4: 'measured' } });
          if (r.status === 204) break;
          expect(r.status).toBe(429);
          const streak = (consecutive429.get(target) ?? 0) + 1;
          consecutive429.set(target, streak);
          expect(streak, `second consecutive 429 for ${target}`).toBe(1);
          throttledTimes.set(target, (throttledTimes.get(target) ?? 0) + 1);
          await sleep(Number(r.headers.get('retry-after')) * 1000);
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 12 }, worker));
    const elapsedS = (performance.now() - t0) / 1000;
    // 70 writes: 20 burst + 50 at 20/s → at least ~2.5 s
    expect(elapsedS).toBeGreaterThan((70 - burst) / refill - 0.1);
    // Server-side: within any window, applied writes ≤ burst + refill × window (+2: fractional
    // tokens, and arrival time vs. the moment the token is taken)
    const applied = emu
      .requests()
      .filter((e) => e.status === 204)
      .map((e) => e.at)
      .sort((a, b) => a - b);
    expect(applied).toHaveLength(70);
    for (let i = 0; i < applied.length; i++) {
      for (let j = i; j < applied.length; j++) {
        const windowS = ((applied[j] as number) - (applied[i] as number)) / 1000;
        expect(j - i + 1).toBeLessThanOrEqual(burst + Math.floor(windowS * refill) + 2);
      }
    }
    // per whole second after the start: at most burst (first second) then refill (+2)
    const start0 = applied[0] as number;
    const perSecond = new Map<number, number>();
    for (const t of applied) perSecond.set(Math.floor((t - start0) / 1000), (perSecond.get(Math.floor((t - start0) / 1000)) ?? 0) + 1);
    for (const [second, n] of perSecond) expect(n).toBeLessThanOrEqual(second === 0 ? burst + refill + 2 : refill + 2);
    const stats = emu.stats();
    expect(stats.writesApplied).toBe(70);
    expect(stats.earlyRetries).toBe(0);
    expect(stats.throttled.outer).toBe([...throttledTimes.values()].reduce((a, b) => a + b, 0));
    expect(stats.throttled.outer).toBeGreaterThan(0);
    for (const target of targets) expect(emu.getDevice(target)?.extensionAttributes.extensionAttribute4).toBe('measured');
  });

  it('writeBudget false: no throttling at all', async () => {
    emu = await start({ devices: testDevices(60), writeBudget: false });
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => patch(emu as Emulator, extraId(i), { displayName: 'free' }).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 204)).toBe(true);
  });
});

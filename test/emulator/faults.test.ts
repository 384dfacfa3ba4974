/** Fault injection: deterministic under seed, faults never apply the write (504: maybe). */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { WIN, WIN_LOWER, call, graphError, patch, start, testDevices } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const extraId = (i: number) => `22222222-2222-4222-8222-${String(i + 100).padStart(12, '0')}`;

describe('faults', () => {
  it('rate503: 503s, some with Retry-After, some with an HTML body (text/html), some JSON with HTML in message; never applied', async () => {
    emu = await start({ devices: testDevices(60), rate503: 1, seed: 3 });
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await patch(emu, extraId(i), { displayName: 'never-503' }));
    expect(answers.every((a) => a.status === 503)).toBe(true);
    const withRetry = answers.filter((a) => a.headers.get('retry-after') !== null);
    expect(withRetry.length).toBeGreaterThan(5);
    expect(withRetry.length).toBeLessThan(35);
    const html = answers.filter((a) => a.headers.get('content-type') === 'text/html');
    expect(html.length).toBeGreaterThan(3);
    expect(html[0]?.text).toMatch(/<html>.*Service Unavailable.*<\/html>/s);
    const htmlInMessage = answers.filter((a) => a.json?.error?.message?.startsWith('<html>'));
    expect(htmlInMessage.length).toBeGreaterThan(3);
    for (let i = 0; i < 40; i++) expect(emu.getDevice(extraId(i))?.displayName).not.toBe('never-503');
    expect(emu.stats().faults.status503).toBe(40);
    expect(emu.stats().writesApplied).toBe(0);
  });

  it('rate504: 504 GatewayTimeout; the write may or may not have been applied (both happen)', async () => {
    emu = await start({ devices: testDevices(40), rate504: 1, seed: 5 });
    for (let i = 0; i < 30; i++) {
      const r = await patch(emu, extraId(i), { displayName: 'maybe-504' });
      expect(r.status).toBe(504);
      expect(graphError(r).code).toBe('GatewayTimeout');
    }
    const applied = Array.from({ length: 30 }, (_, i) => emu?.getDevice(extraId(i))?.displayName === 'maybe-504').filter(Boolean).length;
    expect(applied).toBeGreaterThan(3);
    expect(applied).toBeLessThan(27);
    expect(emu.stats().writesApplied).toBe(applied);
  });

  it('rateDrop: the socket is destroyed without an answer; nothing applied; logged as dropped', async () => {
    emu = await start({ rateDrop: 1 });
    await expect(patch(emu, WIN.id, { displayName: 'never-dropped' })).rejects.toThrow();
    expect(emu.getDevice(WIN.id)?.displayName).toBe('WKS-LON-00001');
    expect(emu.requests()[0]).toMatchObject({ outcome: 'dropped', status: 0 });
    expect(emu.stats().faults.dropped).toBe(1);
    expect(emu.stats().requests.byRoute['PATCH /devices/{id}']).toEqual({ dropped: 1 });
  });

  it('rateSlow: answers after slowMs; a client that gave up before then sees nothing applied', async () => {
    emu = await start({ rateSlow: 1, slowMs: 300 });
    const t0 = performance.now();
    const r = await patch(emu, WIN.id, { displayName: 'slow-but-applied' });
    expect(r.status).toBe(204);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    const aborted = fetch(`${emu.url}/v1.0/devices/${WIN_LOWER.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'gave-up' }),
      signal: AbortSignal.timeout(50),
    });
    await expect(aborted).rejects.toThrow();
    await new Promise((res) => setTimeout(res, 400));
    expect(emu.getDevice(WIN_LOWER.id)?.displayName).toBe('WKS-LON-00002');
    expect(emu.requests()[1]).toMatchObject({ outcome: 'aborted' });
  });

  it('latencyMs (fixed and range) delays every Graph request', async () => {
    emu = await start({ latencyMs: 120 });
    let t0 = performance.now();
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    emu.configure({ latencyMs: { min: 30, max: 60 } });
    t0 = performance.now();
    await call(emu, 'GET', `/v1.0/devices/${WIN.id}`);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(25);
    emu.configure({ latencyMs: 0 });
    t0 = performance.now();
    await call(emu, 'GET', `/v1.0/devices/${WIN.id}`);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('dropClear: a clear answers 204 but is not applied; other values in the same PATCH are', async () => {
    emu = await start({ dropClear: true });
    const r = await patch(emu, WIN.id, { extensionAttributes: { extensionAttribute2: null, extensionAttribute3: 'set' } });
    expect(r.status).toBe(204);
    const back = await call(emu, 'GET', `/v1.0/devices/${WIN.id}?$select=extensionAttributes`);
    expect(back.json.extensionAttributes).toMatchObject({ extensionAttribute2: 'keep-me', extensionAttribute3: 'set' });
    expect(emu.stats().faults.droppedClears).toBe(1);
    emu.configure({ dropClear: false });
    await patch(emu, WIN.id, { extensionAttributes: { extensionAttribute2: null } });
    expect(emu.getDevice(WIN.id)?.extensionAttributes.extensionAttribute2).toBeNull();
  });

  it('forceError answers every Graph request with that error until cleared', async () => {
    emu = await start();
    emu.configure({
      forceError: { status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
    });
    for (const r of [
      await patch(emu, WIN.id, { displayName: 'forced' }),
      await call(emu, 'GET', '/v1.0/devices'),
      await call(emu, 'POST', '/v1.0/$batch', { body: { requests: [] } }),
    ]) {
      expect(r.status).toBe(403);
      expect(graphError(r).code).toBe('Authorization_RequestDenied');
    }
    expect(emu.getDevice(WIN.id)?.displayName).toBe('WKS-LON-00001');
    expect(emu.stats().faults.forced).toBe(3);
    emu.configure({ forceError: undefined });
    expect((await patch(emu, WIN.id, { displayName: 'ok' })).status).toBe(204);
  });

  it('deterministic under seed: same seed and arrival order → same statuses', async () => {
    const run = async (seed: number) => {
      const e = await start({ devices: testDevices(40), seed, rate503: 0.3, rate504: 0.2 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await patch(e, extraId(i), { displayName: 'd' })).status);
      await e.stop();
      return statuses;
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
    expect(a.filter((s) => s === 204).length).toBeGreaterThan(5);
  });
});

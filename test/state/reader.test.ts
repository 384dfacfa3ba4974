import { describe, expect, it } from 'vitest';
import type { ItemOutcome, ReadItem } from '../../src/send/graph-sender.js';
import { PauseGate } from '../../src/schedule/pause-gate.js';
import { DeviceReader, type ReadResult } from '../../src/state/reader.js';

const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A fake `$batch` sender: `answer(path, attempt)` decides each inner outcome; batches are recorded. */
function fakeSender(answer: (path: string, attempt: number) => ItemOutcome) {
  const batches: string[][] = [];
  const seen = new Map<string, number>();
  return {
    batches,
    sender: {
      async batchGet(items: readonly ReadItem[]) {
        batches.push(items.map((i) => i.path));
        const outcomes = new Map<string, ItemOutcome>();
        for (const i of items) {
          const n = (seen.get(i.path) ?? 0) + 1;
          seen.set(i.path, n);
          outcomes.set(i.id, answer(i.path, n));
        }
        return { outcomes, info: { token: 't1' } };
      },
    },
  };
}
const found = (path: string): ItemOutcome => ({ status: 200, body: { id: /devices\/([0-9a-f-]{36})/.exec(path)![1], displayName: 'D' } });
const renewals: string[] = [];
const tokens = { renew: async (t: string) => (renewals.push(t), 't2') };

describe('DeviceReader', () => {
  it('packs reads 20 to a $batch, one batch at a time until the first answer', async () => {
    const f = fakeSender((p) => found(p));
    const reader = new DeviceReader({ sender: f.sender, tokens, concurrency: 4, maxRetries: 2 });
    const results = await Promise.all(
      Array.from({ length: 45 }, (_, i) => reader.read({ key: guid(i), keyType: 'id', select: ['id', 'displayName'] })),
    );
    expect(results.every((r) => r.kind === 'found' && r.attempts === 1)).toBe(true);
    expect(f.batches.map((b) => b.length)).toEqual([20, 20, 5]);
    expect(f.batches[0]![0]).toBe(`/devices/${guid(0)}?$select=id,displayName`);
    expect(reader.stats).toMatchObject({ reads: 45, batches: 3, retries: 0 });
  });

  it('retries a 429 after its Retry-After, a 404 is final at once, a 401 renews the token and replays once', async () => {
    const f = fakeSender((p, n) => {
      if (p.includes(guid(1))) return n === 1 ? { status: 429, errorCode: 'TooManyRequests', retryAfterMs: 30 } : found(p);
      if (p.includes(guid(2))) return { status: 404, errorCode: 'Request_ResourceNotFound' };
      if (p.includes(guid(3))) return n === 1 ? { status: 401, errorCode: 'InvalidAuthenticationToken' } : found(p);
      return found(p);
    });
    const reader = new DeviceReader({ sender: f.sender, tokens, concurrency: 2, maxRetries: 3 });
    const started = Date.now();
    const [a, b, c] = await Promise.all([1, 2, 3].map((i) => reader.read({ key: guid(i), keyType: 'id', select: ['id'] })));
    expect(a).toMatchObject({ kind: 'found', attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(29);
    expect(b).toMatchObject({ kind: 'failed', attempts: 1, outcome: { status: 404 } });
    expect(c).toMatchObject({ kind: 'found', attempts: 2 });
    expect(renewals).toEqual(['t1']);
    expect(reader.stats).toMatchObject({ throttled429: 1, retries: 1 });
  });

  it('stop(): reads waiting for a retry end as stopped, with the last answer', async () => {
    const f = fakeSender(() => ({ status: 503, errorCode: 'ServiceUnavailable', retryAfterMs: 60_000 }));
    const reader = new DeviceReader({ sender: f.sender, tokens, concurrency: 1, maxRetries: 5 });
    const pending = reader.read({ key: guid(9), keyType: 'deviceId', select: ['id'] });
    await new Promise((r) => setTimeout(r, 20));
    reader.stop();
    const r: ReadResult = await pending;
    expect(r).toMatchObject({ kind: 'stopped', attempts: 1, last: { status: 503 } });
    expect(f.batches).toEqual([[`/devices(deviceId='${guid(9)}')?$select=id`]]);
    expect(await reader.read({ key: guid(8), keyType: 'id', select: ['id'] })).toEqual({ kind: 'stopped', attempts: 0 });
  });

  it("pauses at the gate it is given: a read's 429 closes the writes' gate too", async () => {
    const gate = new PauseGate();
    const f = fakeSender((p, n) => (n === 1 ? { status: 429, errorCode: 'TooManyRequests', retryAfterMs: 40 } : found(p)));
    const reader = new DeviceReader({ sender: f.sender, tokens, concurrency: 1, maxRetries: 2, gate });
    const before = Date.now();
    const read = reader.read({ key: guid(7), keyType: 'id', select: ['id'] });
    await new Promise((r) => setTimeout(r, 15));
    expect(gate.pausedUntil).toBeGreaterThanOrEqual(before + 40);
    expect(await read).toMatchObject({ kind: 'found', attempts: 2 });
  });
});

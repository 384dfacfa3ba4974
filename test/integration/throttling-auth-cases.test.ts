/**
 * Field cases H10, H13 and H14: throttling inside `$batch`, throttling on single requests, and a
 * token Graph starts rejecting midway. Asserted from what the emulator saw and the results file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allPatches, emulatorTokens, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { repoRoot } from '../helpers/paths.js';
import { tempFile } from '../helpers/results.js';

const inventory = (JSON.parse(readFileSync(resolve(repoRoot, 'fixtures/devices-5000.json'), 'utf8')) as { value: Array<{ id: string }> })
  .value;

function manifestOf(count: number, column = 'extensionAttribute4', value = 'tagged'): { path: string; ids: string[] } {
  const ids = inventory.slice(0, count).map((d) => d.id);
  return { path: tempFile('m.csv', `id,${column}\n` + ids.map((id) => `${id},${value}`).join('\n') + '\n'), ids };
}

afterEach(stopEmulators);
const run = runAgainstEmulator;

describe('H10: inner 429s in $batch, responses out of order', () => {
  it('re-sends only the throttled inner requests, after the longest inner Retry-After; every row updated', async () => {
    const { path, ids } = manifestOf(200);
    // The job does not pace (no client budget), so Graph's small budget throttles inside batches.
    const r = await run(
      { manifest: path, mode: 'batch', writeBudget: false, concurrency: 4, maxRetries: 30 },
      { devices: inventory.slice(0, 200), writeBudget: { burst: 40, refillPerSecond: 200 } },
    );
    expect(r.rows).toHaveLength(200);
    expect(r.rows.every((x) => x.outcome === 'updated')).toBe(true);
    const stats = r.emu.stats();
    expect(stats.throttled.inner).toBeGreaterThan(0);
    expect(stats.earlyRetries).toBe(0);
    const patches = allPatches(r.emu);
    expect(patches.every((p) => p.viaBatch)).toBe(true);
    for (const row of r.rows) {
      const mine = patches.filter((p) => p.path.includes(row.key!));
      // One success per device; every earlier attempt was a 429; attempts counted per row.
      expect(mine.filter((p) => p.status === 204)).toHaveLength(1);
      expect(mine.at(-1)!.status).toBe(204);
      expect(mine.slice(0, -1).every((p) => p.status === 429)).toBe(true);
      expect(Number(row.attempts)).toBe(mine.length);
    }
    expect(r.rows.some((x) => Number(x.attempts) > 1)).toBe(true);
    expect(ids.every((id) => r.emu.getDevice(id)!.extensionAttributes.extensionAttribute4 === 'tagged')).toBe(true);
    // A throttled row comes back no earlier than the longest Retry-After of its batch.
    const byBatch = new Map<string, typeof patches>();
    for (const p of patches) byBatch.set(p.batchRequestId!, [...(byBatch.get(p.batchRequestId!) ?? []), p]);
    for (const inner of byBatch.values()) {
      const throttled = inner.filter((p) => p.status === 429);
      if (!throttled.length) continue;
      const longestMs = Math.max(...throttled.map((p) => (p.retryAfter ?? 0) * 1000));
      for (const t of throttled) {
        const next = patches.find((p) => p.seq > t.seq && p.path === t.path)!;
        expect(next.at - t.at).toBeGreaterThanOrEqual(longestMs - 25);
      }
    }
  });
});

describe('H13: 429 on the single-request path', () => {
  it('pauses every worker, not only the throttled one; retries; no row fails', async () => {
    const { path } = manifestOf(40);
    // A slow refill makes each Retry-After long (≥ 100 ms), so a worker that ignored the pause would show.
    const r = await run(
      { manifest: path, mode: 'single', writeBudget: false, concurrency: 6, maxRetries: 30, readFirst: false },
      { devices: inventory.slice(0, 40), writeBudget: { burst: 5, refillPerSecond: 10 }, latencyMs: 5 },
    );
    expect(r.rows.every((x) => x.outcome === 'updated')).toBe(true);
    const stats = r.emu.stats();
    expect(stats.throttled.outer).toBeGreaterThan(0);
    expect(stats.earlyRetries).toBe(0);
    // After a 429 answered at t with Retry-After s, no worker sends a write until t + s. The only
    // writes that may still arrive in that window are those already on their way when the 429 was
    // answered: at most concurrency − 1 of them (the job and the emulator share this process's event
    // loop, so on a loaded machine they can arrive late). A worker that ignored the pause would keep
    // sending through the whole window, many times over.
    const concurrency = 6;
    const log = allPatches(r.emu);
    let windows = 0;
    for (const t of log.filter((p) => p.status === 429)) {
      const waitMs = (t.retryAfter ?? 0) * 1000;
      if (waitMs >= 100) windows++;
      const during = log.filter((p) => p.seq > t.seq && p.at < t.at + waitMs - 5);
      expect(during.length, during.map((p) => `${p.path} at +${p.at - t.at} ms of ${waitMs} ms`).join('\n')).toBeLessThanOrEqual(
        concurrency - 1,
      );
    }
    expect(windows).toBeGreaterThan(0); // the check above had pauses to look into
    expect(r.summary.throttled429).toBe(stats.throttled.outer);
  });
});

describe('H14: the token is rejected midway', () => {
  for (const mode of ['single', 'batch'] as const) {
    it(`takes a fresh token and replays once, without failing rows or spending retries (${mode})`, async () => {
      const { path } = manifestOf(80);
      let tokens: ReturnType<typeof emulatorTokens> | undefined;
      let revoked = false;
      const r = await runAgainstEmulator(
        { manifest: path, mode, batchSize: 5, concurrency: 3, maxRetries: 0, writeBudget: false },
        { devices: inventory.slice(0, 80), latencyMs: 15 },
        (e) => {
          const poll = setInterval(() => {
            if (!revoked && e.requests().length >= 10) {
              e.revokeTokens();
              revoked = true;
              clearInterval(poll);
            }
          }, 1);
          return (tokens = emulatorTokens(e));
        },
      );
      expect(revoked).toBe(true);
      expect(r.emu.stats().unauthorized).toBeGreaterThan(0);
      expect(tokens!.renewals).toBe(1); // one renewal shared by every worker
      expect(r.rows.map((x) => x.outcome).filter((o) => o !== 'updated')).toEqual([]);
      expect(r.summary.retries).toBe(0);
    });
  }
});

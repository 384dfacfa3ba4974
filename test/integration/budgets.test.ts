/**
 * The budget Graph really counts a run against (docs/graph-behaviour.md §3), judged by what the
 * emulator saw: a delegated run is paced to the per-user budget (25 writes per 10 s) on its own, and
 * meets 429s of scope Tenant_User when that budget is turned off. No timed assertions.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { repoRoot } from '../helpers/paths.js';
import { tempFile } from '../helpers/results.js';

const inventory = (JSON.parse(readFileSync(resolve(repoRoot, 'fixtures/devices-5000.json'), 'utf8')) as { value: Array<{ id: string }> })
  .value;

function manifestOf(count: number): { path: string; ids: string[] } {
  const ids = inventory.slice(0, count).map((d) => d.id);
  return { path: tempFile('m.csv', 'id,extensionAttribute4\n' + ids.map((id) => `${id},budgeted`).join('\n') + '\n'), ids };
}

afterEach(stopEmulators);

describe('a delegated run (per-user budget)', () => {
  it("is paced to Graph's per-user budget without being told: no 429, every row updated, and the log says why", async () => {
    const { path, ids } = manifestOf(30);
    // Graph's budgets (per user 25 per 10 s; app+tenant 3,000 per 150 s), a delegated token (scp)
    const r = await runAgainstEmulator({ manifest: path, mode: 'batch' }, { devices: inventory.slice(0, 30), appOnly: false });
    const stats = r.emu.stats();
    expect(stats.throttled.total).toBe(0);
    expect(stats.writesApplied).toBe(30);
    expect(r.rows.every((x) => x.outcome === 'updated')).toBe(true);
    expect(ids.every((id) => r.emu.getDevice(id)!.extensionAttributes.extensionAttribute4 === 'budgeted')).toBe(true);
    expect(r.stderr).toMatch(/delegated token \(scp\): writes also paced to the per-user budget, burst 25 and 2\.5 writes\/s/);
  });

  it('with the per-user budget turned off, Graph answers 429 Tenant_User; every row still ends updated', async () => {
    const { path } = manifestOf(40);
    const r = await runAgainstEmulator(
      { manifest: path, mode: 'batch', userWriteBudget: false },
      { devices: inventory.slice(0, 40), appOnly: false },
    );
    const stats = r.emu.stats();
    expect(stats.throttled.byScope['Tenant_User/Write']).toBeGreaterThan(0);
    expect(Object.keys(stats.throttled.byScope)).toEqual(['Tenant_User/Write']);
    expect(r.rows.every((x) => x.outcome === 'updated')).toBe(true);
    // the summary says which budget throttled the run
    expect(r.summary.throttledBy).toEqual({ Tenant_User: stats.throttled.total });
    expect(r.stderr).toMatch(/throttled by: the per-user budget \(Tenant_User\) \d+/);
  });
});

describe('slow start: a budget a tenth of the configured one', () => {
  it.each(['batch', 'single'] as const)('%s: at most 2 429s per 100 writes, none early, every row updated', async (mode) => {
    const { path, ids } = manifestOf(600);
    const r = await runAgainstEmulator(
      { manifest: path, mode, writeBudget: { burst: 500, refillPerSecond: 500 }, readFirst: false },
      { devices: inventory.slice(0, 600), writeBudget: { burst: 50, refillPerSecond: 50 }, latencyMs: 5 },
    );
    const stats = r.emu.stats();
    const received =
      stats.innerRequests.total +
      (stats.requests.byRoute['PATCH /devices/{id}']
        ? Object.values(stats.requests.byRoute['PATCH /devices/{id}']).reduce((a, b) => a + b, 0)
        : 0);
    expect(received).toBeGreaterThanOrEqual(600);
    expect((stats.throttled.total * 100) / received).toBeLessThanOrEqual(2);
    expect(stats.earlyRetries).toBe(0);
    expect(r.rows.every((x) => x.outcome === 'updated')).toBe(true);
    expect(ids.every((id) => r.emu.getDevice(id)!.extensionAttributes.extensionAttribute4 === 'budgeted')).toBe(true);
  });
});

/**
 * The budget Graph really counts a run against (docs/graph-behaviour.md §3), judged by what the
 * emulator saw: a delegated run is paced to the per-user budget (25 writes per 10 s) on its own, and
 * meets 429s of scope Tenant_User when that budget is turned off. No timed assertions.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runTenants } from '../../src/job/tenants.js';
import { Capture, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { repoRoot } from '../helpers/paths.js';
import { skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';
import { readResults, tempDir, tempFile } from '../helpers/results.js';

const inventory = (JSON.parse(readFileSync(resolve(repoRoot, 'fixtures/devices-5000.json'), 'utf8')) as { value: Array<{ id: string }> })
  .value;

function manifestOf(count: number): { path: string; ids: string[] } {
  const ids = inventory.slice(0, count).map((d) => d.id);
  return { path: tempFile('m.csv', 'id,extensionAttribute4\n' + ids.map((id) => `${id},budgeted`).join('\n') + '\n'), ids };
}

const emulators: Emulator[] = [];
afterEach(async () => {
  await stopEmulators();
  await Promise.all(emulators.splice(0).map((e) => e.stop()));
});

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
    // The issue's target (at most 2 per 100 writes) is judged by `npm run bench` (0.2–0.3 measured);
    // here, on a shared machine, a looser bound that still fails without slow start (tens per 100).
    expect((stats.throttled.total * 100) / received, JSON.stringify(stats.throttled)).toBeLessThanOrEqual(5);
    expect(stats.earlyRetries).toBe(0);
    expect(r.rows.every((x) => x.outcome === 'updated')).toBe(true);
    expect(ids.every((id) => r.emu.getDevice(id)!.extensionAttributes.extensionAttribute4 === 'budgeted')).toBe(true);
  });
});

describe.skipIf(skipWithoutRedis('url', 'three tenants, one app budget through Redis'))('many tenants, one app', () => {
  const TENANTS = ['0a0a0a0a-0000-4000-8000-000000000001', '0a0a0a0a-0000-4000-8000-000000000002', '0a0a0a0a-0000-4000-8000-000000000003'];
  const APP_BUDGET = { burst: 30, refillPerSecond: 30 };

  async function threeTenants(redis: string | undefined) {
    const emu = await startEmulator({
      devices: inventory.slice(0, 180),
      writeBudget: { burst: 1000, refillPerSecond: 1000 },
      appWriteBudget: APP_BUDGET,
    });
    emulators.push(emu);
    const tenants = TENANTS.map((tenantId, i) => {
      const ids = inventory.slice(i * 60, i * 60 + 60).map((d) => d.id);
      return {
        tenantId,
        manifest: tempFile(`m-${i}.csv`, 'id,extensionAttribute4\n' + ids.map((id) => `${id},tenant-${i}`).join('\n') + '\n'),
        results: join(tempDir(), `results-${i}.csv`),
        ids,
      };
    });
    const stderr = new Capture();
    const r = await runTenants(
      {
        tenants: tenants.map(({ tenantId, manifest, results }) => ({ tenantId, manifest, results })),
        graphUrl: emu.url,
        mode: 'batch',
        readFirst: false,
        progress: false,
        appWriteBudget: APP_BUDGET,
        ...(redis ? { redis } : {}),
      },
      { stderr, tokenSourceFor: (tenantId) => staticTokenSource(emu.issueToken(undefined, { roles: ['Device.ReadWrite.All'], tenantId })) },
    );
    return { r, emu, tenants, stderr: stderr.text };
  }

  it('with --redis the three tenant jobs draw from one application level: Graph sees the app budget and no more; every row of every tenant updated', async () => {
    const { r, emu, tenants, stderr } = await threeTenants(testRedisUrl);
    expect(r.exitCode, stderr).toBe(0);
    for (const [i, t] of tenants.entries()) {
      expect(readResults(t.results).every((row) => row.outcome === 'updated')).toBe(true);
      expect(t.ids.every((id) => emu.getDevice(id)!.extensionAttributes.extensionAttribute4 === `tenant-${i}`)).toBe(true);
    }
    const stats = emu.stats();
    expect(stats.writesApplied).toBe(180);
    expect(stats.writeBudgets.filter((b) => b.scope === 'Tenant_Application')).toHaveLength(3); // three tenants seen
    expect(((stats.throttled.byScope['Application/Write'] ?? 0) * 100) / 180).toBeLessThanOrEqual(5);
    expect(stderr).toMatch(/write budgets nested in Redis .*Tenant_Application, Application/);
  });

  it('without Redis each tenant job paces the application level on its own: Graph answers Application 429s, every row still updated', async () => {
    const { r, emu, tenants } = await threeTenants(undefined);
    expect(r.exitCode).toBe(0);
    for (const t of tenants) expect(readResults(t.results).every((row) => row.outcome === 'updated')).toBe(true);
    expect(emu.stats().throttled.byScope['Application/Write']).toBeGreaterThan(0);
    // the 429s name the application: the summary of each tenant says so
    expect(r.tenants.some((t) => (t.summary?.throttledBy?.Application ?? 0) > 0)).toBe(true);
  });
});

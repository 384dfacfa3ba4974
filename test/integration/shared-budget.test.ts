/**
 * Several graph-bulk processes (`node dist/cli/main.js run …`) against one emulator, sharing one
 * write budget through a real Redis: the emulator's request log shows what "Graph" saw.
 *
 * Scaled down from the issue's 4 × 2,500 rows at a burst of 200 and 200 writes/s (floor 49 s) to
 * 4 × 1,000 rows at a burst of 200 and 400 writes/s (floor 9.5 s); `npm run bench:redis` runs the
 * full size, and the same run without --redis.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { budgetFigures, distinctManifests } from '../../bench/shared-budget-runs.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { PrivateRedis, skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';
import { readResults, tempDir } from '../helpers/results.js';

const BURST = 200;
const REFILL = 400;

let emu: Emulator | undefined;
let redis: PrivateRedis | undefined;
afterEach(async () => {
  await emu?.stop();
  await redis?.kill();
  emu = undefined;
  redis = undefined;
});

/** Runs one graph-bulk process per manifest, all at once, each with its own results file. */
async function runAll(manifests: string[], extra: string[], token: string, url: string): Promise<{ runs: CliRun[]; results: string[] }> {
  const dir = tempDir('gb-shared-results-');
  const results = manifests.map((_, i) => join(dir, `results-${i + 1}.csv`));
  const runs = await Promise.all(
    manifests.map((m, i) =>
      runCli(
        [
          'run',
          '--manifest',
          m,
          '--results',
          results[i]!,
          '--graph-url',
          url,
          '--write-burst',
          String(BURST),
          '--write-refill',
          String(REFILL),
          '--no-progress',
          ...extra,
        ],
        {
          env: { GRAPH_ACCESS_TOKEN: token },
          timeoutMs: 50_000,
        },
      ),
    ),
  );
  return { runs, results };
}

function expectAllUpdated(runs: CliRun[], results: string[], rows: number) {
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
  for (const path of results) {
    const lines = readResults(path);
    expect(lines).toHaveLength(rows);
    expect(lines.every((l) => l.outcome === 'updated')).toBe(true);
  }
}

describe.skipIf(skipWithoutRedis('url', 'graph-bulk processes sharing a budget through Redis'))(
  'one write budget for 4 processes (--redis)',
  () => {
    it('4 processes × 1,000 rows: Graph sees its budget and no more, at most 1 429 per 100 writes, every row updated, within 10 % of the floor', async () => {
      const { devices, paths } = distinctManifests(tempDir('gb-shared-'), 4, 1000);
      emu = await startEmulator({ devices, writeBudget: { burst: BURST, refillPerSecond: REFILL }, seed: 4 });
      const { runs, results } = await runAll(paths, ['--redis', testRedisUrl!], emu.token, emu.url);
      expectAllUpdated(runs, results, 1000);
      // The emulator's token is a JWT naming its tenant and app: the budget id comes from its claims.
      for (const r of runs) {
        expect(r.stderr).toMatch(
          /write budget shared through Redis redis:\/\/127\.0\.0\.1:\d+ \(budgetId=graph-bulk\|http:\/\/127\.0\.0\.1:\d+\|72f988bf-86f1-41af-91ab-2d7cd011db47\|3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d budgetIdFrom=the access token's tid\/appid claims/,
        );
      }
      const f = budgetFigures(emu);
      const floorMs = ((4000 - BURST) / REFILL) * 1000;
      // Any 1-second window holds at most a full bucket plus one second of refill.
      expect(f.maxPerSecond, JSON.stringify(f)).toBeLessThanOrEqual(BURST + REFILL);
      expect(f.throttled, JSON.stringify(f)).toBeLessThanOrEqual(Math.floor((f.writes - BURST) / 100));
      expect(f.spanMs, JSON.stringify(f)).toBeGreaterThanOrEqual(floorMs * 0.98);
      // Within 10 % of the floor — unless other work holds the machine's cores (then the processes
      // cannot keep up, which is no budget question): then 50 %, said on stderr. bench:redis measures it.
      const load = loadavg()[0]! / cpus().length;
      const slack = load > 2 ? 1.5 : 1.1;
      if (slack > 1.1)
        process.stderr.write(
          `\n*** machine loaded (${load.toFixed(1)} per core): time bound relaxed to ${slack} × floor (span ${f.spanMs} ms, floor ${floorMs} ms)\n`,
        );
      expect(f.spanMs, JSON.stringify(f)).toBeLessThanOrEqual(floorMs * slack);
      // Every device carries its manifest's value.
      expect(emu.getDevice((devices[3999] as { id: string }).id)?.extensionAttributes.extensionAttribute1).toBe('batch-4');
    });

    it('Redis killed mid-run and started again: every row finishes, within the budget, and the log and summary say so', async () => {
      redis = await PrivateRedis.start();
      const { devices, paths } = distinctManifests(tempDir('gb-shared-'), 4, 500, 11);
      emu = await startEmulator({ devices, writeBudget: { burst: BURST, refillPerSecond: REFILL }, seed: 5 });
      const running = runAll(paths, ['--redis', redis.url], emu.token, emu.url);
      // Kill Redis once the run is well under way, bring it back a second later.
      const started = Date.now();
      while (emu.stats().writesApplied < 600 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
      await redis.kill();
      const killedAt = emu.stats().writesApplied;
      await new Promise((r) => setTimeout(r, 700));
      await redis.restart();
      const { runs, results } = await running;
      expectAllUpdated(runs, results, 500);
      expect(killedAt).toBeLessThan(1800); // Redis died mid-run
      const log = runs.map((r) => r.stderr).join('\n');
      // Processes still sending when Redis died fall back to a 1/n share, n the processes they last saw
      // sharing (at least 2), so that together they cannot pass the budget; the summary says so; those
      // still running when it came back return to the shared budget.
      const degraded = runs.filter((r) => /Redis unreachable \(.*\): going on with a local 1\/\d share/.test(r.stderr));
      expect(degraded.length, log).toBeGreaterThan(0);
      let shares = 0;
      for (const r of degraded) {
        const [, n, burst, refill] = /local 1\/(\d) share of the write budget \(burst (\d+), ([\d.]+) writes\/s\), starting empty/
          .exec(r.stderr)!
          .map(Number);
        expect(n).toBeGreaterThanOrEqual(2);
        expect(burst).toBe(Math.floor(BURST / n!));
        expect(refill).toBeCloseTo(REFILL / n!, 2);
        shares += 1 / n!;
        expect(r.stderr).toMatch(
          /write budget shared through Redis \(graph-bulk\|[^)]*\); Redis was unreachable 1 time\(s\): \d+\.\d s on a local share of the budget/,
        );
      }
      expect(shares).toBeLessThanOrEqual(1);
      expect(log).toMatch(/Redis reachable again after \d+\.\d s: back on the shared write budget/);
      const f = budgetFigures(emu);
      expect(f.maxPerSecond, JSON.stringify(f)).toBeLessThanOrEqual(BURST + REFILL);
      expect(f.throttled, JSON.stringify(f)).toBeLessThanOrEqual(Math.floor((f.writes - BURST) / 100));
    });
  },
);

describe('a sharded run (--shard i/n) and merge-results', () => {
  it('4 shards of one manifest: each results file holds only its rows; merged, one line per row in row order', async () => {
    const { devices, paths } = distinctManifests(tempDir('gb-shard-'), 1, 403, 12);
    emu = await startEmulator({ devices, writeBudget: false, seed: 6 });
    const manifest = paths[0]!;
    const dir = tempDir('gb-shard-results-');
    const runs = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        runCli(
          [
            'run',
            '--manifest',
            manifest,
            '--results',
            `${dir}/`,
            '--name',
            'wave',
            '--shard',
            i === 4 ? 'auto/4' : `${i}/4`,
            '--graph-url',
            emu!.url,
            '--no-progress',
          ],
          {
            env: { GRAPH_ACCESS_TOKEN: emu!.token, ...(i === 4 ? { JOB_COMPLETION_INDEX: '3' } : {}) },
          },
        ),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const all = readdirSync(dir);
    const files = all
      .filter((f) => !f.endsWith('.meta.json') && !f.endsWith('.end.json') && !f.endsWith('.rollback.csv') && !f.endsWith('.report.html'))
      .sort();
    expect(files).toHaveLength(4);
    expect(all.filter((f) => f.endsWith('.meta.json')).sort()).toEqual(files.map((f) => `${f}.meta.json`)); // each with its sidecar
    // and the rollback manifest of the rows it wrote
    expect(all.filter((f) => f.endsWith('.rollback.csv')).sort()).toEqual(files.map((f) => f.replace(/\.csv$/, '.rollback.csv')));
    files.forEach((f, i) => {
      expect(f).toMatch(new RegExp(`^wave-shard${i + 1}of4-\\d{4}-\\d{2}-\\d{2}T\\d{6}Z\\.csv$`));
      const lines = readResults(join(dir, f));
      expect(lines).toHaveLength(i < 3 ? 101 : 100);
      expect(lines.every((l) => (Number(l.row) - 1) % 4 === i && l.outcome === 'updated')).toBe(true);
    });
    expect(runs[3]!.stderr).toMatch(/shard 4\/4: only this shard's rows are in this results file/);
    expect(emu.stats().writesApplied).toBe(403);

    const out = join(dir, 'merged', 'wave.csv');
    const merged = await runCli(['merge-results', ...files.map((f) => join(dir, f)), '-o', out, '--manifest', manifest]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/403 lines for 403 rows \(updated 403\)/);
    const lines = readResults(out);
    expect(lines.map((l) => Number(l.row))).toEqual(Array.from({ length: 403 }, (_, i) => i + 1));

    // A shard missing and another given twice: the rows are named, the exit code is 1, and the
    // missing rows are written as skipped so the merged file can be run again.
    const partial = join(dir, 'merged', 'partial.csv');
    const bad = await runCli([
      'merge-results',
      join(dir, files[0]!),
      join(dir, files[1]!),
      join(dir, files[1]!),
      join(dir, files[3]!),
      '-o',
      partial,
      '-m',
      manifest,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/missing: 101 row\(s\) have no line in any file: 3, 7, 11, /);
    expect(bad.stderr).toMatch(/duplicated: 101 row\(s\) have several lines/);
    const partialLines = readResults(partial);
    expect(partialLines).toHaveLength(403);
    expect(partialLines[2]).toMatchObject({ row: '3', outcome: 'skipped', key: (devices[2] as { id: string }).id });

    // Results of another manifest are refused, and nothing is written.
    const other = distinctManifests(tempDir('gb-shard-other-'), 1, 403, 13).paths[0]!;
    mkdirSync(join(dir, 'x'));
    const wrong = await runCli(['merge-results', ...files.map((f) => join(dir, f)), '-o', join(dir, 'x', 'm.csv'), '-m', other]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/these results are not from manifest .*: row 1 in .* is for /);
    expect(readdirSync(join(dir, 'x'))).toEqual([]);
  });
});

/**
 * Write-ahead rollback under kill -9 (issue 14). Real `graph-bulk run` processes are killed at random
 * moments (fixed default seed, printed; GB_KILL_SEED replays one), some trials killing the resume
 * too, then resumed to the end. Then: every device changed from its initial state has exactly one
 * line across the chain's rollback manifests, holding its original values; running those rollback
 * manifests puts the initial inventory back exactly (deep-equal), leading apostrophes, formula
 * characters and surrounding spaces included.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { resultsEndPath, resultsMetaPath } from '../../src/report/results-meta.js';
import { rollbackPathFor } from '../../src/state/rollback-file.js';
import { startCli, until } from '../helpers/cli.js';
import { inventory, rollbackLines, rollbackProblems, runRollbacks, trickyFleet } from '../helpers/crash.js';
import { notExactlyOnce } from '../helpers/fleet.js';
import { readResults } from '../helpers/results.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.GB_KILL_SEED ?? 1414);
const TRIALS = 4;
const ROWS = 90;
/** Figures for the issue note, printed at the end. */
const figures = { kills: 0, runs: 0, rollbackLines: 0, devicesRestored: 0 };

it(`kill -9 at random moments, ${TRIALS} trials (seed ${seed}): the rollback manifests cover every changed device once and restore the inventory exactly`, async () => {
  const random = seeded(seed);
  for (let trial = 1; trial <= TRIALS; trial++) {
    const f = trickyFleet(ROWS, 700 + trial);
    emu = await startEmulator({
      devices: f.devices(),
      seed: seed + trial,
      latencyMs: { min: 2, max: 10 },
      rate504: 0.02,
      rateDrop: 0.01,
      rateInner500: 0.02,
    });
    const kills = 1 + (trial % 2); // alternate: killed once, or killed again while resuming
    const results: string[] = [];
    let finished = false;
    for (let run = 1; !finished; run++) {
      const where = `seed ${seed}, trial ${trial}, run ${run}`;
      const path = join(f.dir, `run${run}.csv`);
      const args = ['run', '--manifest', f.manifest, '--results', path, '--graph-url', emu.url, '--no-progress'];
      args.push('--mode', trial % 2 ? 'batch' : 'single', '--batch-size', '10', '--concurrency', '4', '--no-write-budget');
      args.push('--retry-base-delay-ms', '30', '--max-retries', '12', '--timeout-ms', '2000');
      const previous = results.findLast((p) => existsSync(resultsMetaPath(p)));
      if (previous) args.push('--resume', previous);
      results.push(path);
      const before = emu.stats().requests.total;
      const p = startCli(args, { GRAPH_ACCESS_TOKEN: emu.token });
      figures.runs++;
      if (run <= kills) {
        const target = Math.floor(random() * (trial % 2 ? ROWS / 8 : ROWS / 1.5));
        let exited = false;
        void p.exited.then(() => (exited = true));
        await until('the moment to kill', () => exited || emu!.stats().requests.total - before >= target, 60_000);
        p.child.kill('SIGKILL');
        figures.kills++;
      }
      const { code, signal } = await p.exited;
      // A run that ends says so (the end marker); one killed leaves none.
      expect(existsSync(resultsEndPath(path)), where).toBe(signal !== 'SIGKILL');
      if (signal === 'SIGKILL') continue;
      expect(code, `${where}: ${p.stderr()}`).toBe(0);
      const rows = readResults(path);
      expect(notExactlyOnce(rows, ROWS), where).toEqual([]);
      expect(
        rows.filter((r) => r.outcome !== 'updated' && r.outcome !== 'unchanged').map((r) => [r.row, r.outcome, r.errorMessage]),
        where,
      ).toEqual([]);
      finished = true;
    }
    const rollbacks = results.map(rollbackPathFor);
    const where = `seed ${seed}, trial ${trial}`;
    expect(rollbackProblems(f.initial, emu.devices(), rollbacks), where).toEqual([]);
    figures.rollbackLines += rollbackLines(rollbacks).length;
    // Running the rollback manifests puts every device back exactly.
    emu.configure({ rate504: 0, rateDrop: 0, rateInner500: 0 });
    for (const r of await runRollbacks(emu, rollbacks)) expect(r.code, `${where}: ${r.stderr}`).toBe(0);
    expect(inventory(emu.devices()), where).toEqual(inventory(f.initial));
    figures.devicesRestored += ROWS;
    await emu.stop();
    emu = undefined;
  }
  console.log(`write-ahead kill test (seed ${seed}): ${JSON.stringify(figures)}`);
}, 180_000);

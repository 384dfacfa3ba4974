/**
 * kill -9 at random moments of real `graph-bulk run` processes (node dist/cli/main.js) against an emulator
 * in this test process, with faults on (504s that may have applied the write, dropped connections,
 * inner 500s); each killed run is resumed from its results file (a killed run
 * may be killed again), until one finishes. Then: every row has exactly one result, every row is
 * `updated` (or `unchanged`: written before a kill but not recorded, so found already done when read),
 * every device holds its row's values, and no row recorded done before a kill was sent again.
 *
 * The moments come from a seeded generator: set GB_KILL_SEED to replay a failure (the seed is in the
 * failure message).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { resultsMetaPath } from '../../src/report/results-meta.js';
import { startCli, until } from '../helpers/cli.js';
import { completeLines, fleet, notExactlyOnce, rowsNotApplied, sentIds } from '../helpers/fleet.js';
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

const seed = Number(process.env.GB_KILL_SEED ?? 20_261_201); // fixed by default: every run kills at the same moments
const TRIALS = 3;
const ROWS = 300;

it(`kill -9 at random moments, ${TRIALS} trials: each resume finishes the job, nothing recorded updated is sent again (seed ${seed})`, async () => {
  const random = seeded(seed);
  for (let trial = 1; trial <= TRIALS; trial++) {
    const f = fleet(ROWS, `kill${trial}`, 100 + trial);
    emu = await startEmulator({
      devices: f.devices,
      seed: seed + trial,
      writeBudget: { burst: 200, refillPerSecond: 1000 },
      latencyMs: { min: 2, max: 12 },
      rate504: 0.02,
      rateDrop: 0.01,
      rateInner500: 0.02,
    });
    const kills = 1 + (trial % 2); // trials alternate: killed once, or killed again while resuming
    const recordedUpdated = new Map<string, string>(); // device id → requestId of its `updated` line
    let resumable: string | undefined;
    for (let run = 1; ; run++) {
      const where = `seed ${seed}, trial ${trial}, run ${run}`;
      const results = join(f.dir, `run${run}.csv`);
      const args = ['run', '--manifest', f.manifest, '--results', results, '--graph-url', emu.url, '--no-progress'];
      args.push(
        '--mode',
        trial % 2 ? 'batch' : 'single',
        '--batch-size',
        '10',
        '--concurrency',
        '6',
        '--write-burst',
        '50',
        '--write-refill',
        '800',
      );
      args.push('--retry-base-delay-ms', '50', '--max-retries', '12', '--timeout-ms', '2000');
      if (resumable) args.push('--resume', resumable);
      emu.resetLog();
      const requestsBefore = emu.stats().requests.total;
      const p = startCli(args, { GRAPH_ACCESS_TOKEN: emu.token });
      const last = run > kills;
      if (!last) {
        // A random moment: after a random share of the requests this run would send (none at all, at times).
        const mode = trial % 2 ? 'batch' : 'single';
        const left = ROWS - recordedUpdated.size;
        const target = Math.floor(random() * 0.95 * (mode === 'batch' ? left / 10 : left));
        let exited = false;
        void p.exited.then(() => (exited = true));
        await until('the moment to kill', () => exited || emu!.stats().requests.total - requestsBefore >= target, 60_000);
        p.child.kill('SIGKILL');
      }
      const { code, signal } = await p.exited;

      // Nothing recorded `updated` by an earlier run was sent by this one.
      const again = sentIds(emu).filter((id) => recordedUpdated.has(id));
      expect(again, `${where}: rows recorded updated earlier were sent again`).toEqual([]);

      if (signal !== 'SIGKILL') {
        // This run finished (the last one, or one that ended before its kill came).
        expect(code, `${where}: ${p.stderr()}`).toBe(0);
        const rows = readResults(results);
        expect(notExactlyOnce(rows, ROWS), where).toEqual([]);
        expect(
          rows.filter((r) => r.outcome !== 'updated' && r.outcome !== 'unchanged'),
          where,
        ).toEqual([]);
        // Lines carried over are the lines recorded then, not new results.
        for (const r of rows) if (recordedUpdated.has(r.key!)) expect(r.requestId, where).toBe(recordedUpdated.get(r.key!));
        expect(rowsNotApplied(emu, f), where).toEqual([]);
        break;
      }
      if (!existsSync(resultsMetaPath(results))) {
        // Killed before its results file was set up: it cannot have sent anything.
        expect(sentIds(emu), `${where}: sent before its results file existed`).toEqual([]);
        continue;
      }
      const lines = completeLines(results);
      expect(
        lines.filter((l) => Number(l.row) < 1 || Number(l.row) > ROWS),
        where,
      ).toEqual([]);
      for (const l of lines) if (l.outcome === 'updated' || l.outcome === 'unchanged') recordedUpdated.set(l.key!, l.requestId!);
      resumable = results;
    }
    await emu.stop();
    emu = undefined;
  }
});

/**
 * Soak: a large manifest against an emulator that throttles (its write budget is a little below the
 * job's pacing, and drops below one `$batch` for 1.5 s a quarter into the run) and injects every
 * fault it has: 5% 503 (a third with an HTML body, half without
 * Retry-After), 2% 504 (half of them after applying the write), 1% dropped connections, 1% answers
 * slower than the job's timeout, 3% inner 500s in `$batch`. With retries enough, every row must end
 * `updated`, the results file must have exactly one line per row, and every device read back must
 * hold its row's values.
 *
 * Batch mode runs 20,000 rows. Single mode sends one request per row, so `npm test` runs it with
 * GB_SOAK_SINGLE_ROWS (default 1,000) rows; `npm run soak` runs it with 20,000.
 * Each run prints its figures (rows, faults injected by kind, retries, 429s, wall time) as one JSON line.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runJob } from '../../src/job/run-job.js';
import { fleet, notExactlyOnce, rowsNotApplied } from '../helpers/fleet.js';
import { Capture } from '../helpers/job.js';
import { readResults } from '../helpers/results.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const FAULTS = { rate503: 0.05, rate504: 0.02, rateDrop: 0.01, rateSlow: 0.01, slowMs: 1500, rateInner500: 0.03 };
const TIMEOUT_MS = 1000; // below slowMs: a slow answer is a timeout for the job

const singleRows = Number(process.env.GB_SOAK_SINGLE_ROWS ?? 1000);
const plans = [
  {
    mode: 'batch' as const,
    rows: 20_000,
    concurrency: 8,
    job: { burst: 1000, refillPerSecond: 3000 },
    graph: { burst: 1000, refillPerSecond: 2500 },
  },
  { mode: 'single' as const, rows: singleRows, concurrency: 16, job: false as const, graph: { burst: 200, refillPerSecond: 600 } },
];
/** A throttling episode a quarter into the run: Graph's budget drops below one `$batch` (as when other
 * apps share it), then comes back. It throttles whatever the machine's speed. */
const EPISODE = { budget: { burst: 10, refillPerSecond: 100 }, durationMs: 1500 };

describe('soak under throttling and faults', () => {
  for (const plan of plans) {
    it(`${plan.mode} mode, ${plan.rows} rows: every row updated exactly once, every device holds its values`, {
      timeout: Math.max(60_000, plan.rows * 12),
    }, async () => {
      const f = fleet(plan.rows, `soak-${plan.mode}`, 21);
      emu = await startEmulator({ devices: f.devices, seed: 5, writeBudget: plan.graph, latencyMs: { min: 1, max: 5 }, ...FAULTS });
      const results = join(f.dir, 'results.csv');
      let episode: 'before' | 'on' | 'over' = 'before';
      const watch = setInterval(() => {
        if (episode !== 'before' || emu!.stats().writesApplied < plan.rows / 4) return;
        episode = 'on';
        emu!.configure({ writeBudget: EPISODE.budget });
        setTimeout(() => {
          emu?.configure({ writeBudget: plan.graph });
          episode = 'over';
        }, EPISODE.durationMs);
      }, 10);
      const started = Date.now();
      const summary = await runJob(
        {
          manifest: f.manifest,
          results,
          graphUrl: emu.url,
          progress: false,
          mode: plan.mode,
          concurrency: plan.concurrency,
          writeBudget: plan.job,
          maxRetries: 12,
          retryBaseDelayMs: 100,
          timeoutMs: TIMEOUT_MS,
        },
        { tokenSource: staticTokenSource(emu.token), stderr: new Capture() },
      );
      const wallMs = Date.now() - started;
      clearInterval(watch);
      const stats = emu.stats();
      console.log(
        JSON.stringify({
          soak: plan.mode,
          rows: plan.rows,
          wallMs,
          byOutcome: summary.byOutcome,
          retries: summary.retries,
          writesSent: summary.writesSent,
          throttled429: stats.throttled,
          earlyRetries: stats.earlyRetries,
          faults: stats.faults,
          requests: stats.requests.total,
          innerRequests: stats.innerRequests.total,
        }),
      );

      const rows = readResults(results);
      expect(notExactlyOnce(rows, plan.rows)).toEqual([]);
      expect(rows.filter((r) => r.outcome !== 'updated').slice(0, 5)).toEqual([]);
      expect(summary.exitCode).toBe(0);
      expect(rowsNotApplied(emu, f)).toEqual([]);
      // The faults were there, and were retried.
      const injected = stats.faults;
      expect(injected.status503).toBeGreaterThan(0);
      expect(injected.status504).toBeGreaterThan(0);
      expect(injected.dropped).toBeGreaterThan(0);
      expect(injected.slow).toBeGreaterThan(0);
      if (plan.mode === 'batch') expect(injected.inner500).toBeGreaterThan(0);
      expect(episode).toBe('over');
      expect(stats.throttled.total).toBeGreaterThan(0);
      expect(stats.earlyRetries).toBe(0);
      expect(summary.retries).toBeGreaterThanOrEqual(injected.status503 + injected.dropped);
      expect(rows.some((r) => Number(r.attempts) > 1)).toBe(true);
    });
  }
});

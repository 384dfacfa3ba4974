/**
 * Faults a long run meets, against the emulator: tokens expiring every second or so, a Graph that keeps
 * failing until the retries run out, and error thresholds (`maxErrors`).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource, type TokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import type { JobOptionsInput } from '../../src/job/options.js';
import { runJob } from '../../src/job/run-job.js';
import { fleet, notExactlyOnce, rowsNotApplied, sentIds, type Fleet } from '../helpers/fleet.js';
import { Capture, emulatorTokens } from '../helpers/job.js';
import { readResults } from '../helpers/results.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function run(f: Fleet, job: Partial<JobOptionsInput>, emulator: EmulatorOptions, tokens?: (e: Emulator) => TokenSource) {
  emu = await startEmulator({ devices: f.devices, writeBudget: false, ...emulator });
  const results = join(f.dir, `results-${randomUUID()}.csv`);
  const stderr = new Capture();
  const summary = await runJob(
    { manifest: f.manifest, results, graphUrl: emu.url, progress: false, ...job },
    { tokenSource: tokens ? tokens(emu) : staticTokenSource(emu.token), stderr },
  );
  return { summary, rows: readResults(results), stderr: stderr.text, emu };
}

describe('token expiry every second', () => {
  for (const mode of ['batch', 'single'] as const) {
    it(`${mode}: every expired token is renewed and the request replayed; no row fails, no retry spent`, async () => {
      const f = fleet(mode === 'batch' ? 800 : 300, `tok-${mode}`);
      let tokens: ReturnType<typeof emulatorTokens> | undefined;
      const r = await run(
        f,
        // maxRetries 0: a retry spent on a token would fail its row. ~2 s of writes, tokens living 0.7 s.
        { mode, maxRetries: 0, concurrency: 4, writeBudget: { burst: 40, refillPerSecond: mode === 'batch' ? 400 : 150 } },
        { tokenLifetimeMs: 700, latencyMs: 2 },
        (e) => (tokens = emulatorTokens(e, 'emulator tokens (0.7 s life)')),
      );
      expect(r.rows.filter((x) => x.outcome !== 'updated')).toEqual([]);
      expect(notExactlyOnce(r.rows, f.rows.length)).toEqual([]);
      expect(r.summary.retries).toBe(0);
      expect(r.emu.stats().unauthorized).toBeGreaterThan(0);
      expect(tokens!.renewals).toBeGreaterThanOrEqual(2);
      expect(rowsNotApplied(r.emu, f)).toEqual([]);
    });
  }
});

describe('retries exhausted', () => {
  for (const mode of ['batch', 'single'] as const) {
    // readFirst off: the PATCHes run out of retries; on: the reads before them do, and nothing is written.
    for (const readFirst of [false, true]) {
      it(`${mode}${readFirst ? ', reading first' : ''}: each row is failed with the last status, errorCode and attempts; the run goes on to the last row`, async () => {
        const f = fleet(12, `exhaust-${mode}`);
        const r = await run(
          f,
          { mode, batchSize: 4, maxRetries: 2, retryBaseDelayMs: 10, readFirst },
          { forceError: { status: 503, code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' } },
        );
        expect(r.summary.exitCode).toBe(1);
        expect(notExactlyOnce(r.rows, 12)).toEqual([]);
        for (const row of r.rows) {
          expect([row.outcome, row.httpStatus, row.errorCode, row.attempts]).toEqual(['failed', '503', 'ServiceUnavailable', '3']);
          expect(row.errorMessage).toMatch(/retries exhausted \(3 attempts\)/);
        }
        // Three sends per row, none after its last.
        const sent = sentIds(r.emu, readFirst ? 'GET' : 'PATCH');
        for (const x of f.rows) expect(sent.filter((id) => id === x.id)).toHaveLength(3);
        if (readFirst) expect(sentIds(r.emu)).toEqual([]);
        expect(r.summary.byErrorCode).toEqual({ ServiceUnavailable: 12 });
      });
    }
  }
});

describe('maxErrors', () => {
  /** A fleet whose every `step`-th row (from row `from`) names a device Graph does not have (404, not retried). */
  function withUnknownDevices(count: number, from: number, step: number): { f: Fleet; unknown: Set<number> } {
    const f = fleet(count, 'maxerr');
    const unknown = new Set<number>();
    for (const r of f.rows) {
      if (r.row >= from && (r.row - from) % step === 0) {
        r.id = randomUUID();
        unknown.add(r.row);
      }
    }
    writeFileSync(
      f.manifest,
      'id,extensionAttribute1,extensionAttribute7\n' +
        f.rows.map((r) => `${r.id},${r.extensionAttribute1},${r.extensionAttribute7}`).join('\n') +
        '\n',
    );
    return { f, unknown };
  }

  it('a count: aborts when failed rows pass it, exit 2; the rows not attempted are skipped and never sent', async () => {
    const { f } = withUnknownDevices(120, 11, 4);
    const r = await run(f, { mode: 'single', concurrency: 2, maxErrors: 3 }, {});
    expect(r.summary.exitCode).toBe(2);
    expect(notExactlyOnce(r.rows, 120)).toEqual([]);
    const failed = r.rows.filter((x) => x.outcome === 'failed');
    const skipped = r.rows.filter((x) => x.outcome === 'skipped');
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(failed.every((x) => x.httpStatus === '404')).toBe(true);
    expect(skipped.length).toBeGreaterThan(50);
    expect(skipped.every((x) => /--max-errors 3/.test(x.errorMessage!))).toBe(true);
    const sent = new Set(sentIds(r.emu));
    expect(skipped.filter((x) => sent.has(x.key!))).toEqual([]);
    expect(r.summary.stoppedReason).toMatch(/failed rows passed --max-errors 3 \(\d+ failed\)/);
    expect(r.stderr).toMatch(/exit code 2/);
  });

  it('a percentage: judged once 20 rows were attempted, then aborts when the failed share passes it', async () => {
    const { f, unknown } = withUnknownDevices(200, 1, 3); // a third of the rows fail
    const r = await run(f, { mode: 'batch', batchSize: 5, concurrency: 2, maxErrors: '10%' }, {});
    expect(r.summary.exitCode).toBe(2);
    expect(notExactlyOnce(r.rows, 200)).toEqual([]);
    const attempted = r.rows.filter((x) => x.outcome === 'updated' || x.outcome === 'failed');
    expect(attempted.length).toBeGreaterThanOrEqual(20);
    expect(attempted.length).toBeLessThan(100);
    expect(r.rows.filter((x) => x.outcome === 'failed').every((x) => unknown.has(Number(x.row)))).toBe(true);
    expect(r.summary.stoppedReason).toMatch(/--max-errors 10%/);
  });

  it('below the threshold the run finishes: exit 1, every row attempted', async () => {
    const { f } = withUnknownDevices(60, 1, 20); // 3 failures
    const r = await run(f, { mode: 'batch', maxErrors: 3 }, {});
    expect(r.summary.exitCode).toBe(1);
    expect(r.rows.filter((x) => x.outcome === 'failed')).toHaveLength(3);
    expect(r.rows.filter((x) => x.outcome === 'updated')).toHaveLength(57);
  });
});

describe('inner bodies that are not JSON', () => {
  it('batch: an inner 503 whose HTML body Graph sent base64-encoded is decoded; the row says what the page said', async () => {
    const f = fleet(20, 'inner-html');
    const r = await run(f, { mode: 'batch', maxRetries: 0, readFirst: false }, { rateInner503Html: 1 });
    expect(r.rows).toHaveLength(20);
    for (const row of r.rows) {
      expect(row.outcome).toBe('failed');
      expect(row.httpStatus).toBe('503');
      expect(row.errorMessage).toMatch(/Service Unavailable/);
      expect(row.errorMessage).not.toMatch(/PGh0bWw/); // base64 of "<html"
    }
    expect(r.emu.stats().faults.inner503).toBe(20);
  });
});

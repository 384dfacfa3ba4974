/**
 * SIGINT / SIGTERM sent to a real `graph-bulk run` process (node dist/cli/main.js) working against an
 * emulator in this test process: requests in flight finish (bounded by --drain-timeout-ms), every other
 * row is recorded `skipped` "interrupted", exit 4; a second signal exits at once; the results file
 * resumes in every case.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startCli, until } from '../helpers/cli.js';
import { completeLines, fleet, notExactlyOnce, sentIds, rowsNotApplied, type Fleet } from '../helpers/fleet.js';
import { readResults } from '../helpers/results.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

function runArgs(f: Fleet, results: string, extra: string[] = []): string[] {
  return ['run', '--manifest', f.manifest, '--results', results, '--graph-url', emu!.url, '--no-progress', '--no-write-budget', ...extra];
}

/** Resumes from `previous` into a new file and checks the run finished every row, sending none of `done` again. */
async function resumeToTheEnd(f: Fleet, previous: string, done: Set<string>): Promise<void> {
  emu!.configure({ latencyMs: 0 });
  emu!.resetLog();
  const results = join(f.dir, 'resumed.csv');
  const p = startCli(runArgs(f, results, ['--resume', previous, '--concurrency', '4']), { GRAPH_ACCESS_TOKEN: emu!.token });
  const { code } = await p.exited;
  expect(code, p.stderr()).toBe(0);
  const rows = readResults(results);
  expect(notExactlyOnce(rows, f.rows.length)).toEqual([]);
  expect(rows.filter((r) => r.outcome !== 'updated')).toEqual([]);
  expect(sentIds(emu!).filter((id) => done.has(id))).toEqual([]);
  expect(rowsNotApplied(emu!, f)).toEqual([]);
}

describe('interrupting a run', () => {
  it('SIGTERM: requests in flight finish and are recorded, the rest skipped "interrupted", exit 4; resume finishes', async () => {
    const f = fleet(300, 'term');
    emu = await startEmulator({ devices: f.devices, writeBudget: false, latencyMs: 150 });
    const results = join(f.dir, 'first.csv');
    const p = startCli(runArgs(f, results, ['--mode', 'single', '--concurrency', '4']), { GRAPH_ACCESS_TOKEN: emu.token });
    await until('20 rows updated', () => emu!.stats().writesApplied >= 20);
    p.child.kill('SIGTERM');
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(4);
    expect(p.stderr()).toMatch(/SIGTERM: finishing requests in flight/);

    const rows = readResults(results);
    expect(notExactlyOnce(rows, 300)).toEqual([]);
    const updated = rows.filter((r) => r.outcome === 'updated');
    const skipped = rows.filter((r) => r.outcome === 'skipped');
    expect(updated.length + skipped.length).toBe(300);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((r) => /interrupted/.test(r.errorMessage!))).toBe(true);
    // Every request that reached Graph finished and was recorded: one PATCH per updated row, none for a skipped row.
    expect(sentIds(emu).sort()).toEqual(updated.map((r) => r.key).sort());
    expect(emu.requests().every((r) => r.outcome === 'answered')).toBe(true);
    expect(
      emu
        .requests()
        .filter((r) => r.method === 'PATCH')
        .every((r) => r.status === 204),
    ).toBe(true);

    await resumeToTheEnd(f, results, new Set(updated.map((r) => r.key!)));
  });

  it('SIGINT while a request hangs: it is abandoned after --drain-timeout-ms, its row skipped, exit 4; resume sends it again', async () => {
    const f = fleet(40, 'hang');
    emu = await startEmulator({ devices: f.devices, writeBudget: false, latencyMs: 60_000 });
    const results = join(f.dir, 'first.csv');
    const started = Date.now();
    // Writes only (--no-read-first): the request left hanging is a $batch of PATCHes, not the reads before it.
    const p = startCli(
      runArgs(f, results, [
        '--mode',
        'batch',
        '--batch-size',
        '5',
        '--drain-timeout-ms',
        '300',
        '--timeout-ms',
        '120000',
        '--no-read-first',
      ]),
      {
        GRAPH_ACCESS_TOKEN: emu.token,
      },
    );
    await until('a $batch in flight', () => emu!.requests().length > 0);
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(4);
    // Far sooner than the emulator's 60 s answer: the drain was bounded.
    expect(Date.now() - started).toBeLessThan(45_000);
    const rows = readResults(results);
    expect(notExactlyOnce(rows, 40)).toEqual([]);
    expect(rows.every((r) => r.outcome === 'skipped' && /interrupted/.test(r.errorMessage!))).toBe(true);
    const inFlight = rows.filter((r) => /abandoned/.test(r.errorMessage!));
    expect(inFlight.map((r) => r.key).sort()).toEqual(sentIds(emu).sort());
    expect(inFlight).toHaveLength(5);

    await resumeToTheEnd(f, results, new Set());
  });

  it('a second signal exits at once; the results file still resumes', async () => {
    const f = fleet(40, 'twice');
    emu = await startEmulator({ devices: f.devices, writeBudget: false, latencyMs: 60_000 });
    const results = join(f.dir, 'first.csv');
    const p = startCli(
      runArgs(f, results, ['--mode', 'single', '--drain-timeout-ms', '120000', '--timeout-ms', '120000', '--no-read-first']),
      {
        GRAPH_ACCESS_TOKEN: emu.token,
      },
    );
    await until('a PATCH in flight', () => emu!.requests().length > 0);
    p.child.kill('SIGINT');
    await until('the first signal acknowledged', () => /finishing requests in flight/.test(p.stderr()));
    await until('the waiting rows recorded skipped', () => completeLines(results).length === 39);
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(4);
    expect(p.stderr()).toMatch(/again: exiting now; the results file can be resumed/);
    // The row in flight has no line (never confirmed); the others are skipped.
    const lines = completeLines(results);
    expect(lines.every((r) => r.outcome === 'skipped')).toBe(true);
    expect(sentIds(emu)).toHaveLength(1);
    expect(lines.map((r) => r.key)).not.toContain(sentIds(emu)[0]);

    await resumeToTheEnd(f, results, new Set());
  });
});

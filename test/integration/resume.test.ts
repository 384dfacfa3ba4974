/**
 * `resume`: rows a previous results file recorded `updated` are not sent again and their lines carry
 * over; every other row runs; a results file of another manifest stops the job before any request.
 */
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { JobError } from '../../src/job/errors.js';
import type { JobOptionsInput } from '../../src/job/options.js';
import { runJob } from '../../src/job/run-job.js';
import { fleet, notExactlyOnce, rowsNotApplied, sentIds, type Fleet } from '../helpers/fleet.js';
import { Capture } from '../helpers/job.js';
import { readResults } from '../helpers/results.js';

const emus: Emulator[] = [];
afterEach(async () => {
  for (const e of emus.splice(0)) await e.stop();
});

async function emulatorFor(devices: Fleet['devices'], port?: number): Promise<Emulator> {
  const e = await startEmulator({ devices, writeBudget: false, ...(port ? { port } : {}) });
  emus.push(e);
  return e;
}

function run(emu: Emulator, job: Partial<JobOptionsInput> & { manifest: string; results: string }) {
  const stderr = new Capture();
  return runJob(
    { graphUrl: emu.url, progress: false, concurrency: 4, batchSize: 5, ...job },
    { tokenSource: staticTokenSource(emu.token), stderr },
  ).then((summary) => ({ summary, stderr: stderr.text }));
}

function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('resume', () => {
  it('sends only the rows not recorded updated; updated lines carry over as they were', async () => {
    const f = fleet(60, 'resume');
    // First run: a third of the devices are missing, so their rows fail 404.
    const missing = new Set(f.rows.filter((r) => r.row % 3 === 0).map((r) => r.id));
    const first = await emulatorFor(f.devices.filter((d) => !missing.has(d.id)));
    const firstResults = join(f.dir, 'first.jsonl');
    const r1 = await run(first, { manifest: f.manifest, results: firstResults });
    expect(r1.summary.exitCode).toBe(1);
    const before = readJsonl(firstResults);
    expect(before.filter((l) => l.outcome === 'failed')).toHaveLength(20);

    // Resumed against the same Graph (same root, tenant and app; a resume against another is refused),
    // where every device exists now: only the failed rows are sent.
    emus.splice(emus.indexOf(first), 1);
    await first.stop();
    const second = await emulatorFor(f.devices, Number(new URL(first.url).port));
    const resumed = join(f.dir, 'second.csv');
    const r2 = await run(second, { manifest: f.manifest, results: resumed, resume: firstResults });
    expect(r2.summary.exitCode).toBe(0);
    expect(r2.summary.carriedOver).toBe(40);
    expect(r2.stderr).toMatch(/resuming from .*first\.jsonl: 40 rows updated there are not sent again/);
    expect(sentIds(second).sort()).toEqual([...missing].sort());
    const rows = readResults(resumed);
    expect(notExactlyOnce(rows, 60)).toEqual([]);
    expect(rows.every((r) => r.outcome === 'updated')).toBe(true);
    for (const old of before.filter((l) => l.outcome === 'updated')) {
      const now = rows.find((r) => Number(r.row) === old.row)!;
      expect([now.requestId, now.finishedAt, now.attempts]).toEqual([old.requestId, old.finishedAt, String(old.attempts)]);
    }
    expect(rowsNotApplied(second, f).every((row) => !missing.has(f.rows[row - 1]!.id))).toBe(true);
  });

  it('a previous file cut in the middle of its last line: that row runs again, the others do not', async () => {
    const f = fleet(25, 'cut');
    const emu = await emulatorFor(f.devices);
    const firstResults = join(f.dir, 'first.csv');
    await run(emu, { manifest: f.manifest, results: firstResults, mode: 'single', concurrency: 1 });
    const lastRow = readResults(firstResults).at(-1)!; // one worker: the last row is the file's last line
    truncateSync(firstResults, Buffer.byteLength(readFileSync(firstResults, 'utf8')) - 20);
    emu.resetLog();
    const r2 = await run(emu, { manifest: f.manifest, results: join(f.dir, 'second.csv'), resume: firstResults });
    expect(r2.summary.exitCode).toBe(0);
    // That row runs again: it is read, found already written, and not written twice.
    expect(sentIds(emu, 'GET')).toEqual([f.rows[Number(lastRow.row) - 1]!.id]);
    expect(sentIds(emu)).toEqual([]);
    expect(readResults(join(f.dir, 'second.csv')).find((x) => x.row === lastRow.row)!.outcome).toBe('unchanged');
    expect(r2.stderr).toMatch(/lines=24 droppedPartialLine=\d+ characters/);
    expect(notExactlyOnce(readResults(join(f.dir, 'second.csv')), 25)).toEqual([]);
  });

  it('refuses a results file of another manifest before any request, exit 3, no results file made', async () => {
    const f = fleet(10, 'one');
    const emu = await emulatorFor(f.devices);
    const firstResults = join(f.dir, 'first.csv');
    await run(emu, { manifest: f.manifest, results: firstResults });
    emu.resetLog();
    writeFileSync(f.manifest, readFileSync(f.manifest, 'utf8').replace('one-3,', 'one-three,'));
    const second = join(f.dir, 'second.csv');
    const err = await run(emu, { manifest: f.manifest, results: second, resume: firstResults }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).exitCode).toBe(3);
    expect((err as JobError).message).toMatch(
      /first\.csv belongs to manifest .*devices\.csv \(sha256 [0-9a-f]{12}…, 10 rows\), but this job's manifest .* is different/,
    );
    expect(emu.requests()).toEqual([]);
    expect(existsSync(second)).toBe(false);
  });

  it('refuses to write the new results over the file it resumes from', async () => {
    const f = fleet(5, 'same');
    const emu = await emulatorFor(f.devices);
    const firstResults = join(f.dir, 'first.csv');
    await run(emu, { manifest: f.manifest, results: firstResults });
    const before = readFileSync(firstResults, 'utf8');
    emu.resetLog();
    await expect(run(emu, { manifest: f.manifest, results: firstResults, resume: firstResults })).rejects.toThrow(/must be a new file/);
    expect(emu.requests()).toEqual([]);
    expect(readFileSync(firstResults, 'utf8')).toBe(before);
  });
});

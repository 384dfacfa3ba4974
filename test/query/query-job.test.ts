/** Query jobs (--filter / --set): plan, run, rollback, resume; and the --max-changes guard. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { generateInventory, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runJob } from '../../src/job/run-job.js';
import { maxChangesLimit } from '../../src/query/guards.js';
import { manifestPathFor, queryRecordPath, runQueryJob, setColumns } from '../../src/query/query-job.js';
import { runGuarded } from '../../src/query/guards.js';
import { Capture } from '../helpers/job.js';
import { readResults, tempDir } from '../helpers/results.js';

const devices = generateInventory(2500, 9);
const laptops = devices.filter((d) => String(d.displayName).startsWith('LT-'));

describe('query jobs against the emulator', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ devices, writeBudget: false });
  });
  afterAll(() => emu.stop());
  const ctx = (signal?: AbortSignal) => ({
    tokenSource: staticTokenSource(emu.token, 'test'),
    stderr: new Capture(),
    ...(signal ? { signal } : {}),
  });
  const job = (dir: string, over: Record<string, unknown> = {}) => ({
    graphUrl: emu.url,
    filter: "startswith(displayName,'LT-')",
    set: { extensionAttribute3: 'kiosk' },
    results: join(dir, 'tag.csv'),
    progress: false,
    readBudget: false,
    writeBudget: false,
    ...over,
  });

  it('plan shows what would change; run writes a manifest beside the results, changes exactly the matching devices; rollback undoes it', async () => {
    const dir = tempDir();
    const before = new Map(emu.devices().map((d) => [d.id, d.extensionAttributes.extensionAttribute3]));
    const toChange = laptops.filter((d) => before.get(d.id) !== 'kiosk');
    const plan = await runQueryJob(job(dir, { results: join(dir, 'tag.plan.csv'), maxChanges: 5000 }), ctx(), true);
    expect(plan.byOutcome.planned).toBe(toChange.length);
    expect(existsSync(join(dir, 'tag.plan.manifest.csv'))).toBe(true);
    expect(emu.requests().some((r) => r.method === 'PATCH')).toBe(false);

    emu.resetLog();
    const run = await runQueryJob(job(dir, { maxChanges: 5000 }), ctx());
    expect(run.exitCode).toBe(0);
    expect(run.byOutcome.updated).toBe(toChange.length);
    const manifest = manifestPathFor(join(dir, 'tag.csv'));
    expect(readFileSync(manifest, 'utf8').split('\n')[0]).toBe(
      'id,deviceId (read-only),displayName (read-only),operatingSystem (read-only),extensionAttribute3',
    );
    expect(JSON.parse(readFileSync(queryRecordPath(manifest), 'utf8'))).toMatchObject({
      filter: "startswith(displayName,'LT-')",
      set: { extensionAttribute3: 'kiosk' },
      devices: laptops.length,
    });
    const after = emu.devices();
    for (const d of after) {
      if (String(d.displayName).startsWith('LT-')) expect(d.extensionAttributes.extensionAttribute3).toBe('kiosk');
      else expect(d.extensionAttributes.extensionAttribute3).toBe(before.get(d.id));
    }
    const patches = emu.requests().filter((r) => r.method === 'PATCH');
    expect(new Set(patches.map((p) => p.path.split('/').pop()))).toEqual(new Set(toChange.map((d) => d.id)));
    expect(patches.every((p) => JSON.stringify(p.body) === '{"extensionAttributes":{"extensionAttribute3":"kiosk"}}')).toBe(true);

    const rollback = await runJob(
      {
        manifest: run.rollbackPath!,
        graphUrl: emu.url,
        results: join(dir, 'undo.csv'),
        progress: false,
        writeBudget: false,
        readBudget: false,
      },
      ctx(),
    );
    expect(rollback.byOutcome.updated).toBe(toChange.length);
    for (const d of emu.devices()) expect(d.extensionAttributes.extensionAttribute3).toBe(before.get(d.id));
  });

  it('an interrupted query job resumes from its own manifest (no second query); another --set is refused', async () => {
    const dir = tempDir();
    emu.configure({ writeBudget: { burst: 40, refillPerSecond: 40 } });
    const controller = new AbortController();
    // Interrupt once the emulator has applied some writes (not after a fixed time: the machine may be slow).
    emu.resetLog();
    const watch = setInterval(() => {
      if (emu.requests().filter((r) => r.method === 'PATCH').length >= 20) controller.abort();
    }, 20);
    const first = await runQueryJob(
      job(dir, { set: { extensionAttribute4: 'wave-2' }, maxChanges: false, mode: 'single', concurrency: 2 }),
      ctx(controller.signal),
    );
    clearInterval(watch);
    emu.configure({ writeBudget: false });
    expect(first.exitCode).toBe(4);
    expect(first.byOutcome.updated).toBeGreaterThan(0);
    expect(first.byOutcome.skipped).toBeGreaterThan(0);
    await expect(
      runQueryJob(
        job(dir, { set: { extensionAttribute4: 'other' }, resume: join(dir, 'tag.csv'), results: join(dir, 'again.csv') }),
        ctx(),
      ),
    ).rejects.toThrow('is not a run of this query');
    emu.resetLog();
    const second = await runQueryJob(
      job(dir, {
        set: { extensionAttribute4: 'wave-2' },
        resume: join(dir, 'tag.csv'),
        results: join(dir, 'resumed.csv'),
        maxChanges: false,
      }),
      ctx(),
    );
    expect(second.exitCode).toBe(0);
    expect(second.carriedOver).toBe(first.byOutcome.updated);
    expect(emu.requests().some((r) => r.method === 'GET' && r.path.startsWith('/v1.0/devices?'))).toBe(false);
    const lines = readResults(join(dir, 'resumed.csv'));
    expect(lines).toHaveLength(laptops.length);
    expect(lines.every((l) => l.outcome === 'updated' || l.outcome === 'unchanged')).toBe(true);
    for (const d of laptops) expect(emu.getDevice(d.id)!.extensionAttributes.extensionAttribute4).toBe('wave-2');
  });

  it('--max-changes: a query job stops before any write (exit 3) over its default of 1000, saying how many; a larger limit lets it run', async () => {
    const dir = tempDir();
    const windows = devices.filter((d) => d.operatingSystem === 'Windows').length;
    expect(windows).toBeGreaterThan(1000);
    emu.resetLog();
    const err = await runQueryJob(job(dir, { filter: "operatingSystem eq 'Windows'", set: { extensionAttribute9: 'win' } }), ctx()).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ exitCode: 3 });
    expect(err.message).toMatch(
      new RegExp(
        `^${windows} of ${windows} devices would change, more than --max-changes 1000 allows \\(1000\\): stopped before any write`,
      ),
    );
    expect(emu.requests().filter((r) => r.method === 'PATCH')).toHaveLength(0);
    expect(emu.devices().some((d) => d.extensionAttributes.extensionAttribute9 === 'win')).toBe(false);
    const ok = await runQueryJob(
      job(dir, {
        filter: "operatingSystem eq 'Windows'",
        set: { extensionAttribute9: 'win' },
        results: join(dir, 'ok.csv'),
        maxChanges: 5000,
      }),
      ctx(),
    );
    expect(ok.byOutcome.updated).toBe(windows);
  });

  it('--max-changes on a manifest (off unless given): P% of the rows', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.csv');
    writeFileSync(
      manifest,
      `id,extensionAttribute12\n${devices
        .slice(0, 100)
        .map((d, i) => `${d.id},${i < 20 ? 'x' : ''}`)
        .join('\n')}\n`,
    );
    const base = { manifest, graphUrl: emu.url, progress: false, readBudget: false, writeBudget: false } as const;
    emu.resetLog();
    await expect(runGuarded({ ...base, results: join(dir, 'a.csv'), maxChanges: '10%' }, ctx())).rejects.toThrow(
      /^20 of 100 devices would change, more than --max-changes 10% allows \(10\)/,
    );
    expect(emu.requests().filter((r) => r.method === 'PATCH')).toHaveLength(0);
    const ok = await runGuarded({ ...base, results: join(dir, 'b.csv'), maxChanges: '20%' }, ctx());
    expect(ok.byOutcome.updated).toBe(20);
  });
});

describe('pure parts', () => {
  it('set columns and limits', () => {
    expect(setColumns({ ExtensionAttribute3: 'kiosk', accountEnabled: false, extensionAttribute4: null }, '#clear')).toEqual({
      extensionAttribute3: 'kiosk',
      accountEnabled: 'false',
      extensionAttribute4: '#clear',
    });
    expect(() => setColumns({ id: 'x' }, '#clear')).toThrow('not a property a job can change');
    expect(() => setColumns({ colour: 'x' }, '#clear')).toThrow('not a property');
    expect(() => setColumns({}, '#clear')).toThrow('at least one --set');
    expect(maxChangesLimit(undefined, 10)).toBe(Number.POSITIVE_INFINITY);
    expect(maxChangesLimit(false, 10)).toBe(Number.POSITIVE_INFINITY);
    expect(maxChangesLimit(7, 10)).toBe(7);
    expect(maxChangesLimit('7', 10)).toBe(7);
    expect(maxChangesLimit('15%', 99)).toBe(14);
  });
});

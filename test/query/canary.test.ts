/** --canary: the first N rows are written and read back before any other row is written. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { generateInventory, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runJob } from '../../src/job/run-job.js';
import { Capture } from '../helpers/job.js';
import { readResults, tempDir } from '../helpers/results.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function setup(cell: string, options: Parameters<typeof startEmulator>[0] = {}) {
  const devices = generateInventory(60, 3).map((d) => ({
    ...d,
    extensionAttributes: { ...d.extensionAttributes, extensionAttribute1: 'old' },
  }));
  emu = await startEmulator({ devices, writeBudget: false, ...options });
  const dir = tempDir();
  const manifest = join(dir, 'm.csv');
  writeFileSync(manifest, `id,extensionAttribute1\n${devices.map((d) => `${d.id},${cell}`).join('\n')}\n`);
  const run = (over: Record<string, unknown> = {}) =>
    runJob(
      {
        manifest,
        graphUrl: emu!.url,
        results: join(dir, 'r.csv'),
        progress: false,
        readBudget: false,
        writeBudget: false,
        canary: 5,
        ...over,
      },
      { tokenSource: staticTokenSource(emu!.token, 'test'), stderr: new Capture() },
    );
  return { devices, run, results: join(dir, 'r.csv') };
}

/** Device ids of the PATCHes the emulator saw (outer or inside $batch), in arrival order, and the GETs. */
const seen = (e: Emulator) =>
  e.requests().map((r) => ({ method: r.method, id: /devices\/([0-9a-f-]{36})/.exec(r.path)?.[1], body: r.body }));

describe('--canary', () => {
  it('all canary rows updated and read back: the rest go, and none before the canary was read back', async () => {
    const { devices, run } = await setup('new');
    const summary = await run();
    expect(summary.exitCode).toBe(0);
    expect(summary.byOutcome.updated).toBe(60);
    const log = seen(emu!).filter((r) => r.id);
    const patches = log.map((r, i) => ({ ...r, i })).filter((r) => r.method === 'PATCH');
    const canaryIds = new Set(patches.slice(0, 5).map((p) => p.id));
    expect(canaryIds.size).toBe(5);
    // each canary device is read again (the read-back) before the sixth PATCH goes out
    const sixth = patches[5]!.i;
    for (const id of canaryIds) {
      const gets = log.slice(0, sixth).filter((r) => r.method === 'GET' && r.id === id);
      expect(gets.length).toBe(2); // read before writing, read back after
    }
    for (const d of devices) expect(emu!.getDevice(d.id)!.extensionAttributes.extensionAttribute1).toBe('new');
  });

  it('a canary row not applied (a clear Graph acknowledged and dropped): stop, exit 2, the other rows skipped and never written', async () => {
    const { run, results } = await setup('#clear', { dropClear: true });
    const summary = await run();
    expect(summary.exitCode).toBe(2);
    expect(summary.stoppedReason).toMatch(/^the canary failed: row \d+ ended not-applied/);
    const patches = seen(emu!).filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(5);
    const lines = readResults(results);
    expect(lines).toHaveLength(60);
    expect(lines.filter((l) => l.outcome === 'not-applied').length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.outcome === 'skipped')).toHaveLength(55);
    const patched = new Set(patches.map((p) => p.id));
    for (const l of lines.filter((x) => x.outcome === 'skipped')) expect(patched.has(l.key)).toBe(false);
  });

  it('needs the read first: --no-read-first is refused before anything is sent', async () => {
    const { run } = await setup('new');
    await expect(run({ readFirst: false })).rejects.toThrow('--canary reads the canary rows back');
    expect(emu!.requests()).toHaveLength(0);
  });
});

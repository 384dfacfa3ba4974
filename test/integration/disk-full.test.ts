/**
 * A disk that fills up under the run (issue 14): results and rollback manifest on a small tmpfs (root
 * only: `mount -t tmpfs -o size=…`), and under `ulimit -f` at several sizes. The run stops (exit 3)
 * with whole lines only; after freeing space a resume finishes the job; the rollback manifests then
 * cover every changed device exactly once with its original values, running them restores the
 * initial inventory exactly, and no value that is not a manifest's or a device's own (a fragment) is
 * ever sent.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { rollbackPathFor } from '../../src/state/rollback-file.js';
import { runCli, startCli } from '../helpers/cli.js';
import { inventory, rollbackLines, rollbackProblems, runRollbacks, sentValues, TRICKY, trickyFleet } from '../helpers/crash.js';
import { completeLines, notExactlyOnce } from '../helpers/fleet.js';
import { readResults } from '../helpers/results.js';

const ROWS = 150;
const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];
let emu: Emulator | undefined;
const figures: Record<string, unknown>[] = [];

afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      /* not mounted */
    }
    rmSync(m, { recursive: true, force: true });
  }
  console.log(`disk-full figures: ${JSON.stringify(figures)}`);
});

/** The values a run may send: the manifest's targets, the devices' initial values, null (clear). */
function allowedValues(rows: number, tag: string): Set<string | null> {
  const s = new Set<string | null>([null, ...TRICKY]);
  for (let i = 1; i <= rows; i++) {
    s.add(`${tag}-${i}`);
    s.add(`w${i % 7}`);
  }
  return s;
}

/**
 * One trial: a first run whose files cannot grow past a limit (exit 3), space freed, a resume to the
 * end, then the rollback.
 * @param limited starts the first run with the limit in place; `free` lifts it.
 */
async function trial(
  name: string,
  folder: string,
  limited: (args: string[], env: Record<string, string>) => ReturnType<typeof startCli>,
  free: () => void,
) {
  const f = trickyFleet(ROWS, 900 + figures.length, 'new');
  emu = await startEmulator({ devices: f.devices(), latencyMs: 1 });
  const first = join(folder, 'run1.csv');
  const second = join(folder, 'run2.csv');
  const common = ['--graph-url', emu.url, '--no-progress', '--mode', 'single', '--concurrency', '2', '--no-write-budget'];
  const p = limited(['run', '--manifest', f.manifest, '--results', first, ...common], { GRAPH_ACCESS_TOKEN: emu.token });
  const { code } = await p.exited;
  expect(code, `${name}: ${p.stderr()}`).toBe(3);
  expect(p.stderr(), name).toMatch(/cannot write the (results file|rollback manifest)/);
  // Whole lines only: both files end with a line break.
  for (const file of [first, rollbackPathFor(first)]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (text !== '') expect(text.endsWith('\n'), `${name}: ${file} ends mid-line`).toBe(true);
  }
  const linesBefore = completeLines(first).length;
  free();
  const r = await runCli(['run', '--manifest', f.manifest, '--results', second, '--resume', first, ...common], {
    env: { GRAPH_ACCESS_TOKEN: emu.token },
  });
  expect(r.code, `${name}: ${r.stderr}`).toBe(0);
  const rows = readResults(second);
  expect(notExactlyOnce(rows, ROWS), name).toEqual([]);
  expect(
    rows.filter((x) => x.outcome !== 'updated' && x.outcome !== 'unchanged'),
    name,
  ).toEqual([]);
  const rollbacks = [first, second].map(rollbackPathFor);
  expect(rollbackProblems(f.initial, emu.devices(), rollbacks), name).toEqual([]);
  const lines = rollbackLines(rollbacks).length;
  for (const run of await runRollbacks(emu, rollbacks)) expect(run.code, `${name}: ${run.stderr}`).toBe(0);
  expect(inventory(emu.devices()), name).toEqual(inventory(f.initial));
  const allowed = allowedValues(ROWS, 'new');
  expect(
    sentValues(emu).filter((v) => !allowed.has(v)),
    `${name}: fragments sent`,
  ).toEqual([]);
  figures.push({ trial: name, resultLinesBeforeFull: linesBefore, rollbackLines: lines, devicesRestored: ROWS });
  await emu.stop();
  emu = undefined;
}

describe('disk full', () => {
  for (const kb of [12, 18, 24]) {
    it(`ulimit -f ${kb} KB: exit 3 with whole lines; resumed with space, the rollback restores every device exactly`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'gb-ulimit-'));
      await trial(
        `ulimit -f ${kb}`,
        folder,
        (args, env) => startCli(args, env, kb),
        () => {},
      );
    }, 90_000);
  }

  for (const size of ['16k', '24k', '40k']) {
    it.skipIf(!isRoot)(
      `a ${size} tmpfs: exit 3 with whole lines; remounted larger and resumed, the rollback restores every device exactly`,
      async () => {
        const mount = mkdtempSync(join(tmpdir(), 'gb-tmpfs-'));
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', mount]);
        mounts.push(mount);
        const folder = join(mount, 'results');
        mkdirSync(folder);
        await trial(
          `tmpfs ${size}`,
          folder,
          (args, env) => startCli(args, env),
          () => execFileSync('mount', ['-o', 'remount,size=16m', mount]),
        );
      },
      90_000,
    );
  }
});

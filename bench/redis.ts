/**
 * `npm run bench:redis`: one write budget shared by 4 graph-bulk processes, at full size.
 *
 * Four processes, each with its own manifest of 2,500 rows (distinct devices), run at once against
 * one emulator whose budget is a burst of 200 and 200 writes/s: the floor is (10,000 − 200) / 200 =
 * 49 s. The same run goes once without and once with `--redis`, then one 10,000-row manifest
 * split over 4 processes with `--shard i/4 --redis`, merged with `merge-results`. The table shows
 * what the emulator saw: writes (attempts), 429s, the most writes in any 1-second window (the budget
 * allows 200 + 200), and the time from first to last write against the floor.
 *
 * Redis: REDIS_URL or GRAPH_BULK_TEST_REDIS_URL, else a redis-server started here on a free port.
 * `--quick`: 4 × 1,000 rows at a burst of 200 and 400 writes/s (floor 9.5 s), as the tests run.
 * Separate from `npm run bench` (whose table another part of the project owns).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';
import { budgetFigures, distinctManifests, type BudgetFigures } from './shared-budget-runs.js';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js'); // graph-bulk's own build
const quick = process.argv.includes('--quick');
const ROWS = quick ? 1000 : 2500;
const BURST = 200;
const REFILL = quick ? 400 : 200;
const PROCESSES = 4;

interface Row {
  run: string;
  exitCodes: string;
  figures: BudgetFigures;
  wallMs: number;
  note?: string;
}

function runGraphBulk(args: string[], token: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, GRAPH_ACCESS_TOKEN: token },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => done(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function redisUrl(): Promise<{ url: string; child?: ChildProcess }> {
  const given = process.env.REDIS_URL || process.env.GRAPH_BULK_TEST_REDIS_URL;
  if (given) return { url: given };
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 300));
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** One bench run: `manifests` (or one manifest in `shards` shards) through PROCESSES processes at once. */
async function benchRun(name: string, redis: string | undefined, sharded: boolean): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'graph-bulk-bench-redis-'));
  const { devices, paths } = sharded ? distinctManifests(dir, 1, ROWS * PROCESSES) : distinctManifests(dir, PROCESSES, ROWS);
  const emu = await startEmulator({ devices, writeBudget: { burst: BURST, refillPerSecond: REFILL }, seed: 21, maxLogEntries: 1_000_000 });
  const started = Date.now();
  try {
    const runs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) =>
        runGraphBulk(
          [
            'run',
            '--manifest',
            sharded ? paths[0]! : paths[i]!,
            '--results',
            `${dir}/results/`,
            '--name',
            `p${i + 1}`,
            '--graph-url',
            emu.url,
            '--write-burst',
            String(BURST),
            '--write-refill',
            String(REFILL),
            '--no-progress',
            ...(redis ? ['--redis', redis] : []),
            ...(sharded ? ['--shard', `${i + 1}/${PROCESSES}`] : []),
          ],
          emu.token,
        ),
      ),
    );
    const wallMs = Date.now() - started;
    const figures = budgetFigures(emu);
    let note: string | undefined;
    if (sharded) {
      const files = readdirSync(join(dir, 'results')).map((f) => join(dir, 'results', f));
      const merged = await runGraphBulk(['merge-results', ...files, '-o', join(dir, 'merged.csv'), '--manifest', paths[0]!], emu.token);
      note = `merge-results exit ${merged.code}: ${/(\d+ lines for \d+ rows[^\n]*)/.exec(merged.stderr)?.[1] ?? merged.stderr.trim()}`;
    }
    for (const r of runs) if (r.code !== 0) process.stderr.write(r.stderr);
    return { run: name, exitCodes: runs.map((r) => r.code).join(','), figures, wallMs, note };
  } finally {
    await emu.stop();
  }
}

const { url, child } = await redisUrl();
try {
  const floorMs = ((ROWS * PROCESSES - BURST) / REFILL) * 1000;
  process.stdout.write(
    `graph-bulk bench:redis — ${PROCESSES} processes × ${ROWS} rows, emulator budget burst ${BURST} + ${REFILL} writes/s; floor ${(floorMs / 1000).toFixed(1)} s; ` +
      `a 1-second window may hold ${BURST + REFILL} writes\n\n`,
  );
  const rows: Row[] = [];
  rows.push(await benchRun('separate budgets (no --redis)', undefined, false));
  rows.push(await benchRun('--redis (one shared budget)', url, false));
  rows.push(await benchRun(`--redis --shard i/${PROCESSES} (one manifest)`, url, true));
  const header = [
    'run',
    'exit codes',
    'writes seen',
    '429s',
    '429 / 100 writes after burst',
    'max writes in 1 s',
    'first→last write',
    'vs floor',
    'wall',
  ];
  const table = rows.map((r) => {
    const f = r.figures;
    return [
      r.run,
      r.exitCodes,
      String(f.writes),
      String(f.throttled),
      ((f.throttled * 100) / Math.max(1, f.writes - BURST)).toFixed(2),
      `${f.maxPerSecond}${f.maxPerSecond > BURST + REFILL ? ' (over)' : ''}`,
      `${(f.spanMs / 1000).toFixed(1)} s`,
      `${((f.spanMs / floorMs - 1) * 100).toFixed(1)} %`,
      `${(r.wallMs / 1000).toFixed(1)} s`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n') + '\n');
  for (const r of rows) {
    process.stdout.write(`\n${r.run}: writes per second seen: ${r.figures.perSecond.join(' ')}${r.note ? `\n  ${r.note}` : ''}\n`);
  }
} finally {
  child?.kill('SIGKILL');
}

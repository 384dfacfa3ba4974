/**
 * `npm run bench`: graph-bulk beside the tools people use today, against the emulator in its own
 * process on loopback; one table, figures as ratios from one run (issue #4).
 *
 * Scenarios (sizes of the full run; `--quick` shrinks them):
 * - throttled: 10,000 rows, emulator write budget burst 500 + 500 writes/s, 20 ms latency; floor
 *   T* = (rows − burst) / refill; contenders graph-bulk batch and single (the CLI, its write budget
 *   set to the emulator's), a sequential foreach loop with a 3 s wait on 429, the Graph JS SDK v3
 *   with 20 PATCHes in flight, and the SDK's BatchRequestContent 4 × 20. A fresh emulator each.
 * - unthrottled: 100,000 rows, no budget, 0 ms: rows/s of graph-bulk batch and of the SDK peer,
 *   graph-bulk's CPU seconds per 10,000 rows.
 * - scale: 1,000,000 rows: graph-bulk --dry-run and batch against the unthrottled emulator (peak
 *   RSS, rows/s), csv-parse alone over the same file; and a dry run at 100,000 rows for the RSS ratio.
 *
 * - budgets (issue #16): a budget a tenth of the configured one (burst 50 + 50/s while graph-bulk is
 *   configured for 500 + 500/s) for graph-bulk batch and single and the SDK with 20 in flight; a
 *   delegated run against Graph's per-user budget (25 per 10 s) with graph-bulk's defaults and the SDK;
 *   300 ms latency in single mode (burst 100 + 20/s); three tenants of one app sharing one
 *   application budget (30 + 30/s) through Redis, one graph-bulk process per tenant. T* is each
 *   scenario's true floor: (rows − the binding burst) / its refill.
 *
 * Flags: `--quick`, `--only throttled,unthrottled,scale,budgets`, `--contenders batch,single,foreach,sdk-single,sdk-batch`
 * (throttled scenario), `--throttled-rows N`, `--unthrottled-rows N`, `--scale-rows N`, `--keep` (keep the temp folder).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PeerReport } from './peers.js';
import { ENTRY, runProbed, startEmulatorProcess, type EmulatorHandle, type ProcessRun } from './processes.js';
import { checkTargets, CONTENDER, renderTable, renderTargets, type BenchRow } from './table.js';

const ATTRIBUTE = 'extensionAttribute4';
const VALUE = 'bench-tagged';
const THROTTLED_BUDGET = { burst: 500, refillPerSecond: 500 };
const THROTTLED_LATENCY_MS = 20;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'throttled-rows': { type: 'string' },
    'unthrottled-rows': { type: 'string' },
    'scale-rows': { type: 'string' },
    keep: { type: 'boolean', default: false },
    contenders: { type: 'string' },
  },
});
/** Throttled contenders to run, by key (default all). */
const pick = new Set((flags.contenders ?? 'batch,single,foreach,sdk-single,sdk-batch').split(',').map((s) => s.trim()));
const sizes = {
  throttled: Number(flags['throttled-rows'] ?? (flags.quick ? 3_000 : 10_000)),
  unthrottled: Number(flags['unthrottled-rows'] ?? (flags.quick ? 20_000 : 100_000)),
  scale: Number(flags['scale-rows'] ?? (flags.quick ? 100_000 : 1_000_000)),
};
const only = new Set((flags.only ?? 'throttled,unthrottled,scale,budgets').split(',').map((s) => s.trim()));
const dir = mkdtempSync(join(tmpdir(), 'graph-bulk-bench-'));
let probeSeq = 0;
const probeFile = () => join(dir, `probe-${probeSeq++}.json`);
const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

/** Runs the graph-bulk CLI as its own process. */
function graphBulk(args: string[], token?: string): Promise<ProcessRun> {
  const results = join(dir, `results-${probeSeq}.csv`);
  return runProbed(
    [ENTRY.cli, 'run', '--results', results, '--no-progress', '--log-format', 'json', ...args],
    token ? { GRAPH_ACCESS_TOKEN: token } : {},
    probeFile(),
  );
}

function peer(name: string, args: { manifest: string; url?: string; token?: string }): Promise<ProcessRun> {
  return runProbed([ENTRY.peers, name, JSON.stringify(args)], {}, probeFile());
}

function checkExit(what: string, run: ProcessRun): void {
  if (run.exitCode !== 0) log(`${what} exited ${run.exitCode}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

function peerReport(run: ProcessRun): PeerReport | undefined {
  try {
    return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as PeerReport;
  } catch {
    return undefined;
  }
}

/** PATCHes the emulator received (outer PATCH routes plus every inner `$batch` request). */
function patchesReceived(stats: Awaited<ReturnType<EmulatorHandle['report']>>['stats']): number {
  let outer = 0;
  for (const [route, byStatus] of Object.entries(stats.requests.byRoute)) {
    if (route.startsWith('PATCH')) for (const n of Object.values(byStatus)) outer += n;
  }
  return outer + stats.innerRequests.total;
}

async function withEmulator<T>(options: Parameters<typeof startEmulatorProcess>[0], body: (emu: EmulatorHandle) => Promise<T>): Promise<T> {
  const emu = await startEmulatorProcess(options);
  try {
    return await body(emu);
  } finally {
    await emu.stop();
  }
}

function usage(run: ProcessRun, rows: number): Pick<BenchRow, 'cpuSPer10k' | 'peakRssMb'> {
  if (!run.probe) return {};
  return { cpuSPer10k: ((run.probe.userCpuS + run.probe.systemCpuS) * 10_000) / rows, peakRssMb: run.probe.maxRssBytes / 1e6 };
}

async function throttled(out: BenchRow[]): Promise<void> {
  const rows = sizes.throttled;
  const manifest = join(dir, 'throttled.csv');
  const floorS = (rows - THROTTLED_BUDGET.burst) / THROTTLED_BUDGET.refillPerSecond;
  const budgetFlags = [
    '--write-burst',
    String(THROTTLED_BUDGET.burst),
    '--write-refill',
    String(THROTTLED_BUDGET.refillPerSecond),
    '--no-read-budget',
  ];
  const all: Array<[string, string, (emu: EmulatorHandle) => Promise<ProcessRun>]> = [
    [
      'batch',
      CONTENDER.batch,
      (emu) => graphBulk(['--manifest', manifest, '--graph-url', emu.url, '--mode', 'batch', ...budgetFlags], emu.token),
    ],
    [
      'single',
      CONTENDER.single,
      (emu) => graphBulk(['--manifest', manifest, '--graph-url', emu.url, '--mode', 'single', ...budgetFlags], emu.token),
    ],
    ['foreach', CONTENDER.foreach, (emu) => peer('foreach', { manifest, url: emu.url, token: emu.token })],
    ['sdk-single', CONTENDER.sdkSingle, (emu) => peer('sdk-single', { manifest, url: emu.url, token: emu.token })],
    ['sdk-batch', CONTENDER.sdkBatch, (emu) => peer('sdk-batch', { manifest, url: emu.url, token: emu.token })],
  ];
  const contenders = all.filter(([key]) => pick.has(key)).map(([, name, run]) => [name, run] as const);
  let first = true;
  for (const [name, run] of contenders) {
    log(`throttled: ${name} (${rows.toLocaleString('en-US')} rows, floor ${floorS.toFixed(1)} s)`);
    const row = await withEmulator(
      {
        count: rows,
        writeBudget: THROTTLED_BUDGET,
        latencyMs: THROTTLED_LATENCY_MS,
        manifestPath: first ? manifest : undefined,
        manifestRows: rows,
        attribute: ATTRIBUTE,
        value: VALUE,
      },
      async (emu) => {
        const r = await run(emu);
        checkExit(name, r);
        const { stats, updated } = await emu.report();
        const writes = patchesReceived(stats);
        return {
          scenario: 'throttled',
          contender: name,
          rows,
          wallS: r.wallS,
          floorS,
          rowsPerS: rows / r.wallS,
          throttledPer100: writes ? (stats.throttled.total * 100) / writes : 0,
          earlyRetries: stats.earlyRetries,
          notUpdated: rows - updated,
          ...usage(r, rows),
        } satisfies BenchRow;
      },
    );
    first = false;
    out.push(row);
  }
}

async function unthrottled(out: BenchRow[]): Promise<void> {
  const rows = sizes.unthrottled;
  const manifest = join(dir, 'unthrottled.csv');
  let first = true;
  const contenders: Array<[string, (emu: EmulatorHandle) => Promise<ProcessRun>]> = [
    [
      CONTENDER.batch,
      (emu) =>
        graphBulk(['--manifest', manifest, '--graph-url', emu.url, '--mode', 'batch', '--no-write-budget', '--no-read-budget'], emu.token),
    ],
    [CONTENDER.sdkSingle, (emu) => peer('sdk-single', { manifest, url: emu.url, token: emu.token })],
  ];
  for (const [name, run] of contenders) {
    log(`unthrottled: ${name} (${rows.toLocaleString('en-US')} rows)`);
    const row = await withEmulator(
      {
        count: rows,
        writeBudget: false,
        latencyMs: 0,
        manifestPath: first ? manifest : undefined,
        manifestRows: rows,
        attribute: ATTRIBUTE,
        value: VALUE,
      },
      async (emu) => {
        const r = await run(emu);
        checkExit(name, r);
        const { updated } = await emu.report();
        return {
          scenario: 'unthrottled',
          contender: name,
          rows,
          wallS: r.wallS,
          rowsPerS: rows / r.wallS,
          notUpdated: rows - updated,
          ...usage(r, rows),
        } satisfies BenchRow;
      },
    );
    first = false;
    out.push(row);
  }
  // The dry run at this size is the small end of the memory ratio.
  log(`unthrottled: ${CONTENDER.dryRun} (${rows.toLocaleString('en-US')} rows)`);
  const dry = await graphBulk(['--manifest', manifest, '--dry-run']);
  checkExit('dry run', dry);
  out.push({
    scenario: 'unthrottled',
    contender: CONTENDER.dryRun,
    rows,
    wallS: dry.wallS,
    rowsPerS: rows / dry.wallS,
    ...usage(dry, rows),
  });
}

async function scale(out: BenchRow[]): Promise<void> {
  const rows = sizes.scale;
  const manifest = join(dir, 'scale.csv');
  log(`scale: generating ${rows.toLocaleString('en-US')} devices in the emulator process`);
  await withEmulator(
    { count: rows, writeBudget: false, latencyMs: 0, manifestPath: manifest, manifestRows: rows, attribute: ATTRIBUTE, value: VALUE },
    async (emu) => {
      log(`scale: ${CONTENDER.csvParse}`);
      const csv = await peer('csv-parse', { manifest });
      checkExit('csv-parse', csv);
      const parsed = peerReport(csv)?.rows;
      if (parsed !== rows) log(`csv-parse counted ${parsed} rows, expected ${rows}`);
      out.push({
        scenario: 'scale',
        contender: CONTENDER.csvParse,
        rows,
        wallS: csv.wallS,
        rowsPerS: rows / csv.wallS,
        ...usage(csv, rows),
      });
      log(`scale: ${CONTENDER.dryRun}`);
      const dry = await graphBulk(['--manifest', manifest, '--dry-run']);
      checkExit('dry run', dry);
      out.push({ scenario: 'scale', contender: CONTENDER.dryRun, rows, wallS: dry.wallS, rowsPerS: rows / dry.wallS, ...usage(dry, rows) });
      log(`scale: ${CONTENDER.batch}`);
      const batch = await graphBulk(
        ['--manifest', manifest, '--graph-url', emu.url, '--mode', 'batch', '--no-write-budget', '--no-read-budget'],
        emu.token,
      );
      checkExit('batch', batch);
      const { updated } = await emu.report();
      out.push({
        scenario: 'scale',
        contender: CONTENDER.batch,
        rows,
        wallS: batch.wallS,
        rowsPerS: rows / batch.wallS,
        notUpdated: rows - updated,
        ...usage(batch, rows),
      });
    },
  );
}

/** The figures of one throttled run as the emulator saw them. */
async function throttledRow(
  emu: EmulatorHandle,
  run: ProcessRun,
  base: { scenario: string; contender: string; rows: number; floorS: number },
): Promise<BenchRow> {
  const { stats, updated } = await emu.report();
  const writes = patchesReceived(stats);
  return {
    ...base,
    wallS: run.wallS,
    rowsPerS: base.rows / run.wallS,
    throttledPer100: writes ? (stats.throttled.total * 100) / writes : 0,
    earlyRetries: stats.earlyRetries,
    notUpdated: base.rows - updated,
    ...usage(run, base.rows),
  };
}

/** A Redis for the tenants scenario: REDIS_URL, GRAPH_BULK_TEST_REDIS_URL, else a redis-server started here. */
async function redisForBench(): Promise<{ url: string; stop: () => void }> {
  const given = process.env.REDIS_URL?.trim() || process.env.GRAPH_BULK_TEST_REDIS_URL?.trim();
  if (given) return { url: given, stop: () => undefined };
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 300));
  return { url: `redis://127.0.0.1:${port}`, stop: () => void child.kill('SIGTERM') };
}

async function budgets(out: BenchRow[]): Promise<void> {
  const small = flags.quick;
  // 1. A budget a tenth of the configured one: graph-bulk configured for 500 + 500/s, Graph has 50 + 50/s.
  {
    const rows = small ? 500 : 1000;
    const graph = { burst: 50, refillPerSecond: 50 };
    const floorS = (rows - graph.burst) / graph.refillPerSecond;
    const manifest = join(dir, 'tenth.csv');
    const configured = [
      '--write-burst',
      String(THROTTLED_BUDGET.burst),
      '--write-refill',
      String(THROTTLED_BUDGET.refillPerSecond),
      '--no-read-budget',
    ];
    const contenders: Array<[string, (emu: EmulatorHandle) => Promise<ProcessRun>]> = [
      [CONTENDER.batch, (emu) => graphBulk(['--manifest', manifest, '--graph-url', emu.url, '--mode', 'batch', ...configured], emu.token)],
      [
        CONTENDER.single,
        (emu) => graphBulk(['--manifest', manifest, '--graph-url', emu.url, '--mode', 'single', ...configured], emu.token),
      ],
      [CONTENDER.sdkSingle, (emu) => peer('sdk-single', { manifest, url: emu.url, token: emu.token })],
    ];
    let first = true;
    for (const [name, run] of contenders) {
      log(`budget a tenth of the configured: ${name} (${rows} rows, floor ${floorS.toFixed(1)} s)`);
      out.push(
        await withEmulator(
          {
            count: rows,
            writeBudget: graph,
            latencyMs: THROTTLED_LATENCY_MS,
            manifestPath: first ? manifest : undefined,
            manifestRows: rows,
            attribute: ATTRIBUTE,
            value: VALUE,
          },
          async (emu) => {
            const r = await run(emu);
            checkExit(name, r);
            return throttledRow(emu, r, { scenario: 'budget a tenth', contender: name, rows, floorS });
          },
        ),
      );
      first = false;
    }
  }
  // 2. A delegated run: Graph's budgets, a delegated token (scp): the per-user budget, 25 per 10 s, binds.
  {
    const rows = small ? 60 : 100;
    const floorS = (rows - 25) / 2.5;
    const manifest = join(dir, 'delegated.csv');
    const contenders: Array<[string, (emu: EmulatorHandle) => Promise<ProcessRun>]> = [
      [
        CONTENDER.batch,
        (emu) => graphBulk(['--manifest', manifest, '--graph-url', emu.url, '--mode', 'batch', '--no-read-budget'], emu.token),
      ],
      [CONTENDER.sdkSingle, (emu) => peer('sdk-single', { manifest, url: emu.url, token: emu.token })],
    ];
    let first = true;
    for (const [name, run] of contenders) {
      log(`delegated (per-user budget): ${name} (${rows} rows, floor ${floorS.toFixed(1)} s)`);
      out.push(
        await withEmulator(
          {
            count: rows,
            writeBudget: { burst: 3000, refillPerSecond: 20 },
            delegated: true,
            latencyMs: THROTTLED_LATENCY_MS,
            manifestPath: first ? manifest : undefined,
            manifestRows: rows,
            attribute: ATTRIBUTE,
            value: VALUE,
          },
          async (emu) => {
            const r = await run(emu);
            checkExit(name, r);
            return throttledRow(emu, r, { scenario: 'delegated', contender: name, rows, floorS });
          },
        ),
      );
      first = false;
    }
  }
  // 3. 300 ms latency, single mode.
  {
    const rows = small ? 400 : 700;
    const graph = { burst: 100, refillPerSecond: 20 };
    const floorS = (rows - graph.burst) / graph.refillPerSecond;
    const manifest = join(dir, 'latency.csv');
    log(`300 ms latency: ${CONTENDER.single} (${rows} rows, floor ${floorS.toFixed(1)} s)`);
    out.push(
      await withEmulator(
        { count: rows, writeBudget: graph, latencyMs: 300, manifestPath: manifest, manifestRows: rows, attribute: ATTRIBUTE, value: VALUE },
        async (emu) => {
          const r = await graphBulk(
            [
              '--manifest',
              manifest,
              '--graph-url',
              emu.url,
              '--mode',
              'single',
              '--write-burst',
              '100',
              '--write-refill',
              '20',
              '--no-read-budget',
            ],
            emu.token,
          );
          checkExit('300 ms single', r);
          return throttledRow(emu, r, { scenario: '300 ms latency', contender: CONTENDER.single, rows, floorS });
        },
      ),
    );
  }
  // 4. Three tenants of one app, one application budget, through Redis: one process per tenant.
  {
    const perTenant = small ? 150 : 300;
    const rows = perTenant * 3;
    const app = { burst: 30, refillPerSecond: 30 };
    const floorS = (rows - app.burst) / app.refillPerSecond;
    const tenantIds = [
      '0b0b0b0b-0000-4000-8000-000000000001',
      '0b0b0b0b-0000-4000-8000-000000000002',
      '0b0b0b0b-0000-4000-8000-000000000003',
    ];
    const manifest = join(dir, 'tenants.csv');
    const redis = await redisForBench();
    log(`three tenants, one app budget through Redis (${rows} rows, floor ${floorS.toFixed(1)} s)`);
    try {
      out.push(
        await withEmulator(
          {
            count: rows,
            writeBudget: { burst: 1000, refillPerSecond: 1000 },
            appWriteBudget: app,
            tenantIds,
            latencyMs: THROTTLED_LATENCY_MS,
            manifestPath: manifest,
            manifestRows: rows,
            attribute: ATTRIBUTE,
            value: VALUE,
          },
          async (emu) => {
            const lines = readFileSync(manifest, 'utf8').trim().split('\n');
            const [header, ...body] = lines;
            const parts = tenantIds.map((_, i) => {
              const path = join(dir, `tenant-${i}.csv`);
              writeFileSync(path, [header, ...body.slice(i * perTenant, (i + 1) * perTenant)].join('\n') + '\n');
              return path;
            });
            const t0 = performance.now();
            const runs = await Promise.all(
              tenantIds.map((tenantId, i) =>
                graphBulk(
                  [
                    '--manifest',
                    parts[i]!,
                    '--graph-url',
                    emu.url,
                    '--mode',
                    'batch',
                    '--no-read-budget',
                    '--redis',
                    redis.url,
                    '--app-write-burst',
                    String(app.burst),
                    '--app-write-refill',
                    String(app.refillPerSecond),
                  ],
                  emu.tenantTokens[tenantId],
                ),
              ),
            );
            for (const r of runs) checkExit('tenant', r);
            const wall = { wallS: (performance.now() - t0) / 1000, exitCode: 0, stdout: '', stderr: '' } as ProcessRun;
            return throttledRow(emu, wall, {
              scenario: 'three tenants, Redis',
              contender: '3 × graph-bulk --mode batch --redis',
              rows,
              floorS,
            });
          },
        ),
      );
    } finally {
      redis.stop();
    }
  }
}

const started = performance.now();
const rows: BenchRow[] = [];
try {
  if (only.has('throttled')) await throttled(rows);
  if (only.has('unthrottled')) await unthrottled(rows);
  if (only.has('scale')) await scale(rows);
  if (only.has('budgets')) await budgets(rows);
} finally {
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  else log(`kept ${dir}`);
}
const notes = [
  `Emulator in its own process on loopback, a fresh one per contender. Every contender is its own process; wall = spawn to exit.`,
  `graph-bulk runs as the CLI (node dist/cli/main.js run …); in "throttled" its write budget is set to the emulator's`,
  `(--write-burst ${THROTTLED_BUDGET.burst} --write-refill ${THROTTLED_BUDGET.refillPerSecond}), as a user sets their tenant's; concurrency is the default (auto).`,
  `graph-bulk reads each device before writing it (its default, read-first); the emulator puts no budget on reads, so neither does graph-bulk (--no-read-budget).`,
  `throttled: burst ${THROTTLED_BUDGET.burst}, refill ${THROTTLED_BUDGET.refillPerSecond} writes/s, ${THROTTLED_LATENCY_MS} ms latency; T* = (rows − burst) / refill.`,
  `unthrottled and scale: no write budget anywhere, 0 ms latency. CPU and peak RSS are the contender process's own (getrusage).`,
  `budget a tenth: Graph (the emulator) has burst 50 + 50 writes/s, graph-bulk is configured for ${THROTTLED_BUDGET.burst} + ${THROTTLED_BUDGET.refillPerSecond}/s; delegated: Graph's budgets with a delegated token (per user 25 per 10 s), graph-bulk with no budget flag;`,
  `300 ms latency: burst 100 + 20/s, single mode; three tenants: one app budget of 30 + 30/s across three tenants, one graph-bulk process per tenant with --redis (wall = first start to last exit). T* = (rows − binding burst) / its refill.`,
];
process.stdout.write(
  `\n${renderTable(rows)}\n\n${notes.map((n) => `  ${n}`).join('\n')}\n\nTargets (issue #4):\n${renderTargets(checkTargets(rows))}\n\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);

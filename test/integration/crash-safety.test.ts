/**
 * Failures that must not become silence, and a resume that trusts nothing (issue 14), each with real
 * `graph-bulk run` processes against an emulator: resume against another Graph/tenant, the manifest
 * overwritten mid-run, two resumes at once, a token with CR/LF, `Retry-After: 1000000000`, a huge
 * response body, stderr closed mid-run, SIGHUP. Each ends as the issue says, with a true result line
 * for every row.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, startCli, until } from '../helpers/cli.js';
import { fleet, notExactlyOnce, rowsNotApplied, sentIds } from '../helpers/fleet.js';
import { carriesPatch, startFront, type Front } from '../helpers/front.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { readResults } from '../helpers/results.js';

let emus: Emulator[] = [];
let fronts: Front[] = [];
afterEach(async () => {
  for (const e of emus) await e.stop();
  for (const f of fronts) await f.stop();
  emus = [];
  fronts = [];
});

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<Emulator> {
  const e = await startEmulator(options);
  emus.push(e);
  return e;
}

const fast = ['--no-progress', '--retry-base-delay-ms', '20', '--timeout-ms', '5000'];

/** Kills a run once `emu` has seen `requests` requests; resolves with the results path once it is dead. */
async function killedRun(emu: Emulator, manifest: string, results: string, requests: number, extra: string[] = []): Promise<void> {
  const before = emu.stats().requests.total;
  const p = startCli(['run', '--manifest', manifest, '--results', results, '--graph-url', emu.url, ...fast, ...extra], {
    GRAPH_ACCESS_TOKEN: emu.token,
  });
  let exited = false;
  void p.exited.then(() => (exited = true));
  await until('requests to kill at', () => exited || emu.stats().requests.total - before >= requests, 30_000);
  p.child.kill('SIGKILL');
  await p.exited;
}

describe('a resume that checks', () => {
  it('against another emulator (another tenant): refused before any request, exit 3, naming both', async () => {
    const f = fleet(60, 'tenantA', 31);
    const a = await emulator({ devices: f.devices, latencyMs: 5, tenantId: 'aaaaaaaa-0000-4000-8000-000000000001' });
    const first = join(f.dir, 'a.csv');
    await killedRun(a, f.manifest, first, 3, ['--mode', 'single', '--concurrency', '1']);
    const b = await emulator({ devices: f.devices, tenantId: 'bbbbbbbb-0000-4000-8000-000000000002' });
    const r = await runCli(
      ['run', '--manifest', f.manifest, '--results', join(f.dir, 'b.csv'), '--resume', first, '--graph-url', b.url, ...fast],
      {
        env: { GRAPH_ACCESS_TOKEN: b.token },
      },
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('aaaaaaaa-0000-4000-8000-000000000001');
    expect(r.stderr).toContain('bbbbbbbb-0000-4000-8000-000000000002');
    expect(r.stderr).toContain(a.url);
    expect(b.stats().requests.total).toBe(0);
  }, 60_000);

  it('the manifest overwritten mid-run: the run goes on with the manifest it hashed; every device holds its values', async () => {
    const f = fleet(150, 'orig', 32);
    const emu = await emulator({ devices: f.devices, latencyMs: 15 });
    const results = join(f.dir, 'r.csv');
    const p = startCli(
      ['run', '--manifest', f.manifest, '--results', results, '--graph-url', emu.url, '--mode', 'single', '--concurrency', '2', ...fast],
      {
        GRAPH_ACCESS_TOKEN: emu.token,
      },
    );
    await until('the first writes', () => sentIds(emu).length >= 5, 30_000);
    const other = f.rows.map((r) => `${r.id},other-${r.row},zz`).join('\n');
    writeFileSync(f.manifest, `id,extensionAttribute1,extensionAttribute7\n${other}\n`); // overwritten in place
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(rowsNotApplied(emu, f)).toEqual([]);
    expect(notExactlyOnce(readResults(results), 150)).toEqual([]);
  }, 60_000);

  it('two resumes of one results file at once: one runs, the other is refused before any request (exit 3); no device is written twice', async () => {
    const f = fleet(200, 'twice', 33);
    const emu = await emulator({ devices: f.devices, latencyMs: 20 });
    const first = join(f.dir, 'first.csv');
    await killedRun(emu, f.manifest, first, 4, ['--mode', 'single', '--concurrency', '2']);
    emu.resetLog();
    const args = (name: string) => [
      'run',
      '--manifest',
      f.manifest,
      '--results',
      join(f.dir, name),
      '--resume',
      first,
      '--graph-url',
      emu.url,
      '--mode',
      'single',
      '--concurrency',
      '2',
      ...fast,
    ];
    const [x, y] = await Promise.all([
      runCli(args('x.csv'), { env: { GRAPH_ACCESS_TOKEN: emu.token } }),
      runCli(args('y.csv'), { env: { GRAPH_ACCESS_TOKEN: emu.token } }),
    ]);
    const codes = [x.code, y.code].sort();
    expect(codes, x.stderr + y.stderr).toEqual([0, 3]);
    const refused = x.code === 3 ? x : y;
    expect(refused.stderr).toMatch(/another run of this results chain is going on \(process \d+/);
    const ids = sentIds(emu);
    expect(ids.length).toBe(new Set(ids).size);
    expect(rowsNotApplied(emu, f)).toEqual([]);
  }, 60_000);
});

describe('no failure becomes silence', () => {
  it('a token with CR/LF: every row failed RequestNotSent (redacted), exit 1, one line per row', async () => {
    const f = fleet(30, 'crlf', 34);
    const emu = await emulator({ devices: f.devices });
    const token = `${emu.token.slice(0, 20)}\r\nX-Injected: 1\r\n${emu.token.slice(20)}`;
    const results = join(f.dir, 'r.csv');
    const r = await runCli(['run', '--manifest', f.manifest, '--results', results, '--graph-url', emu.url, ...fast], {
      env: { GRAPH_ACCESS_TOKEN: token },
    });
    expect(r.code, r.stderr).toBe(1);
    const rows = readResults(results);
    expect(notExactlyOnce(rows, 30)).toEqual([]);
    expect(new Set(rows.map((x) => `${x.outcome} ${x.errorCode}`))).toEqual(new Set(['failed RequestNotSent']));
    expect(emu.stats().requests.total).toBe(0);
    expect(r.stderr + JSON.stringify(rows)).not.toContain(emu.token.slice(20, 60));
  }, 60_000);

  it('Retry-After: 1000000000 stops the run (exit 2) naming the value, rows skipped, no TimeoutOverflowWarning; it resumes to the end', async () => {
    const f = fleet(40, 'ra', 35);
    const emu = await emulator({ devices: f.devices });
    let throttle = true;
    const front = await startFront(emu.url, (method, _path, body) =>
      throttle && carriesPatch(method, body)
        ? {
            status: 429,
            headers: { 'retry-after': '1000000000' },
            body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'Too many requests' } }),
          }
        : undefined,
    );
    fronts.push(front);
    const results = join(f.dir, 'r.csv');
    const started = Date.now();
    const r = await runCli(['run', '--manifest', f.manifest, '--results', results, '--graph-url', front.url, ...fast], {
      env: { GRAPH_ACCESS_TOKEN: emu.token },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toContain('1000000000 s');
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
    expect(r.stderr.length).toBeLessThan(20_000);
    const rows = readResults(results);
    expect(notExactlyOnce(rows, 40)).toEqual([]);
    expect(new Set(rows.map((x) => x.outcome))).toEqual(new Set(['skipped']));
    throttle = false;
    const again = await runCli(
      ['run', '--manifest', f.manifest, '--results', join(f.dir, 'r2.csv'), '--resume', results, '--graph-url', front.url, ...fast],
      { env: { GRAPH_ACCESS_TOKEN: emu.token } },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(rowsNotApplied(emu, f)).toEqual([]);
  }, 60_000);

  it('a 64 MB response body fails those rows ResponseTooLarge (exit 1), never a crash; one line per row', async () => {
    const f = fleet(40, 'huge', 36);
    const emu = await emulator({ devices: f.devices });
    const front = await startFront(emu.url, (method, _path, body) =>
      carriesPatch(method, body) ? { status: 200, bytes: 64 * 1024 * 1024 } : undefined,
    );
    fronts.push(front);
    const results = join(f.dir, 'r.csv');
    const r = await runCli(
      ['run', '--manifest', f.manifest, '--results', results, '--graph-url', front.url, ...fast, '--max-response-bytes', '1048576'],
      {
        env: { GRAPH_ACCESS_TOKEN: emu.token },
      },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const rows = readResults(results);
    expect(notExactlyOnce(rows, 40)).toEqual([]);
    expect(new Set(rows.map((x) => `${x.outcome} ${x.errorCode}`))).toEqual(new Set(['failed ResponseTooLarge']));
    expect(front.answered).toBe(2); // one request per $batch of 20, not retried
  }, 60_000);

  it('stderr closed mid-run (… 2>&1 | head -1): the job goes on to the end, every row updated', async () => {
    const f = fleet(120, 'epipe', 37);
    const emu = await emulator({ devices: f.devices, latencyMs: 10 });
    const results = join(f.dir, 'r.csv');
    const child = spawn(
      process.execPath,
      [
        cliPath,
        'run',
        '--manifest',
        f.manifest,
        '--results',
        results,
        '--graph-url',
        emu.url,
        '--mode',
        'single',
        '--concurrency',
        '2',
        ...fast,
      ],
      { cwd: repoRoot, env: { ...process.env, GRAPH_ACCESS_TOKEN: emu.token }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.once('data', () => child.stderr!.destroy()); // the reading end goes away after the first line
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(0);
    const rows = readResults(results);
    expect(notExactlyOnce(rows, 120)).toEqual([]);
    expect(rows.filter((x) => x.outcome !== 'updated')).toEqual([]);
  }, 60_000);

  it('SIGHUP is handled like SIGTERM: exit 4 with a summary, every row one line, resumable', async () => {
    const f = fleet(150, 'hup', 38);
    const emu = await emulator({ devices: f.devices, latencyMs: 15 });
    const results = join(f.dir, 'r.csv');
    const p = startCli(
      ['run', '--manifest', f.manifest, '--results', results, '--graph-url', emu.url, '--mode', 'single', '--concurrency', '2', ...fast],
      {
        GRAPH_ACCESS_TOKEN: emu.token,
      },
    );
    await until('some writes', () => sentIds(emu).length >= 10, 30_000);
    p.child.kill('SIGHUP');
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(4);
    expect(p.stderr()).toContain('SIGHUP');
    expect(p.stderr()).toMatch(/skipped/);
    expect(notExactlyOnce(readResults(results), 150)).toEqual([]);
    const again = await runCli(
      ['run', '--manifest', f.manifest, '--results', join(f.dir, 'r2.csv'), '--resume', results, '--graph-url', emu.url, ...fast],
      {
        env: { GRAPH_ACCESS_TOKEN: emu.token },
      },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(rowsNotApplied(emu, f)).toEqual([]);
  }, 60_000);
});

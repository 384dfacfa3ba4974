/**
 * The CLI as an admin runs it: a child process against the emulator on loopback. Asserts exit codes,
 * the results file, what the emulator saw, and device state read back with GET over HTTP.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { caseDevices, casesDir, cliPath, repoRoot } from '../helpers/paths.js';
import { readResults, tempDir } from '../helpers/results.js';

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator({ devices: caseDevices, seed: 3 });
});
afterEach(async () => {
  await emu.stop();
});

const c = (name: string) => resolve(casesDir, name);
const common = () => ['--graph-url', emu.url, '--no-progress'];
const env = () => ({ GRAPH_ACCESS_TOKEN: emu.token });

async function getDevice(id: string, select: string) {
  const res = await fetch(`${emu.url}/v1.0/devices/${id}?$select=${select}`, { headers: { Authorization: `Bearer ${emu.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

describe('graph-bulk run (process)', () => {
  it('exit 0: every row updated, one results line per row, state readable with GET', async () => {
    const results = join(tempDir(), 'r.csv');
    const r = await runCli(['run', '--manifest', c('H01-bom.csv'), '--results', results, ...common()], { env: env() });
    expect(r.stderr).toMatch(/3 rows: updated 3/);
    expect(r.code).toBe(0);
    const rows = readResults(results);
    expect(rows.map((x) => x.outcome)).toEqual(['updated', 'updated', 'updated']);
    for (const row of rows) {
      expect(row.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const device = await getDevice(row.key!, 'id,extensionAttributes');
      expect(device.extensionAttributes.extensionAttribute1).toBe('Finance');
    }
    // batch mode is the default: the rows were read in one $batch of GETs and written in one of PATCHes
    expect(emu.stats().requests.byRoute['POST /$batch']).toEqual({ '200': 2 });
    expect(emu.requests().filter((x) => x.method === 'PATCH')).toHaveLength(3);
  });

  it('exit 1 when rows are invalid or failed; the summary counts them', async () => {
    const results = join(tempDir(), 'r.csv');
    const r = await runCli(['run', '-m', c('H03-crlf-whitespace.csv'), '-o', results, '--mode', 'single', ...common()], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/updated 2, invalid 2/);
    expect(readResults(results)).toHaveLength(4);
    // one $batch reading the 2 valid rows' devices, then one PATCH each (--mode single is about writes)
    expect(emu.stats().requests.total).toBe(3);
    expect(emu.stats().requests.byRoute['PATCH /devices/{id}']).toEqual({ '204': 2 });
  });

  it('exit 3 and no request for a bad manifest header, with the reason', async () => {
    const r = await runCli(['run', '-m', c('H07-mdm-columns.csv'), ...common()], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/deviceOwnership/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(emu.stats().requests.total).toBe(0);
  });

  it('exit 3 before any request when sign-in is not configured, naming what is missing', async () => {
    const r = await runCli(['run', '-m', c('H01-bom.csv'), '--auth', 'client-secret', ...common()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/AZURE_TENANT_ID/);
    expect(emu.stats().requests.total).toBe(0);
  });

  it('--dry-run plans every row and sends nothing', async () => {
    const results = join(tempDir(), 'r.csv');
    const r = await runCli(['run', '-m', c('H09-booleans.csv'), '-o', results, '--dry-run', ...common()], { env: env() });
    const rows = readResults(results);
    expect(rows.map((x) => x.outcome)).toEqual(['planned', 'planned', 'planned', 'invalid', 'invalid']);
    expect(rows[0]!.errorMessage).toBe('PATCH /devices/db5b5fab-8f4d-4e27-9da1-494c73cf256d {"accountEnabled":true}');
    expect(r.code).toBe(1); // invalid rows
    expect(emu.stats().requests.total).toBe(0);
  });

  it('a job file: paths relative to it, flags override it, results into a folder', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'm.csv'), 'id,displayName\ndb5b5fab-8f4d-4e27-9da1-494c73cf256d,From job\n');
    writeFileSync(
      join(dir, 'nightly.json'),
      JSON.stringify({ manifest: 'data/m.csv', results: 'out/', mode: 'batch', graphUrl: emu.url, progress: false }),
    );
    const elsewhere = tempDir();
    const r = await runCli(['run', join(dir, 'nightly.json'), '--mode', 'single'], { env: env(), cwd: elsewhere });
    expect(r.code).toBe(0);
    // the results file, its end marker, sidecar and report, and the rollback manifest of the row written
    const files = readdirSync(join(dir, 'out')).sort();
    expect(files).toHaveLength(5);
    expect(files[0]).toMatch(/^nightly-\d{4}-\d\d-\d\dT\d{6}Z\.csv$/);
    expect(files[1]).toBe(`${files[0]}.end.json`);
    expect(files[2]).toBe(`${files[0]}.meta.json`);
    expect(files[3]).toBe(`${files[0]}.report.html`);
    expect(files[4]).toBe(files[0]!.replace(/\.csv$/, '.rollback.csv'));
    expect(readResults(join(dir, 'out', files[0]!))[0]!.outcome).toBe('updated');
    expect(emu.stats().requests.byRoute['PATCH /devices/{id}']).toEqual({ '204': 1 }); // --mode single won
    expect((await getDevice('db5b5fab-8f4d-4e27-9da1-494c73cf256d', 'displayName')).displayName).toBe('From job');
  });

  it('a job file with an unknown field is refused, naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ manifest: c('H01-bom.csv'), batchSize: 50, postRun: 'rm -rf /' }));
    const r = await runCli(['run', join(dir, 'bad.json'), ...common()], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/batchSize/);
    expect(r.stderr).toMatch(/postRun/);
    expect(emu.stats().requests.total).toBe(0);
  });

  it('--log-format json writes one JSON object per stderr line, ending with the summary', async () => {
    const results = join(tempDir(), 'r.csv');
    const r = await runCli(['run', '-m', c('H12-rows.jsonl'), '-o', results, '--log-format', 'json', ...common()], { env: env() });
    expect(r.code).toBe(0);
    const lines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ msg: 'summary', exitCode: 0, byOutcome: { updated: 3 } });
  });

  it('exit 3 and no request when the token lacks the permission to write devices, saying what to grant', async () => {
    const token = emu.issueToken(undefined, { roles: [] });
    const r = await runCli(['run', '-m', c('H01-bom.csv'), '-o', join(tempDir(), 'r.csv'), ...common()], {
      env: { GRAPH_ACCESS_TOKEN: token },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/permission missing, nothing sent: the token is app-only .*\(it has: none\): grant .*Device\.ReadWrite\.All/);
    expect(emu.stats().requests.total).toBe(0);
  });

  it('graph-bulk plan: same options as run; reads, writes a plan file, prints the plan line, sends no PATCH', async () => {
    const results = join(tempDir(), 'plan.csv');
    const r = await runCli(['plan', '-m', c('H09-booleans.csv'), '-o', results, '--mode', 'single', ...common()], { env: env() });
    expect(r.stderr).toMatch(/plan: 2 to change, 1 unchanged, 0 not found/);
    expect(r.code).toBe(1); // two rows are invalid
    expect(readResults(results).map((x) => x.outcome)).toEqual(['unchanged', 'planned', 'planned', 'invalid', 'invalid']);
    expect(emu.requests().filter((x) => x.method === 'PATCH')).toEqual([]);
    expect(emu.stats().requests.byRoute['POST /$batch']).toEqual({ '200': 1 });
  });

  it('the demo job file is valid and names the built-in emulator', async () => {
    const r = await runCli(['run', join(repoRoot, 'jobs/demo.json'), '--dry-run', '-o', join(tempDir(), 'demo.csv')]);
    expect(r.stderr).toMatch(/1500 rows: planned 1500/);
    expect(r.code).toBe(0);
  });
});

describe('graph-bulk emulator (process)', () => {
  it('serves Graph on loopback with the token it prints, until SIGTERM', async () => {
    const child = spawn(process.execPath, [cliPath, 'emulator', '--port', '0', '--token', 'tok-123', '--count', '50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((res, rej) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) res(m[1]!);
      });
      child.on('exit', () => rej(new Error(`emulator exited: ${out}`)));
    });
    expect(out).toContain('tok-123');
    const res = await fetch(`${url}/v1.0/devices?$top=5`, { headers: { Authorization: 'Bearer tok-123' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { value: unknown[] }).value).toHaveLength(5);
    const denied = await fetch(`${url}/v1.0/devices`, { headers: { Authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(401);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  });
});

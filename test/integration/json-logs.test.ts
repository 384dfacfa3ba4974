/**
 * `--log-format json` means every stderr line: each line a run writes parses as one JSON object, on
 * every path — argument errors, a bad manifest, a failed sign-in with its "check:" advice, a signal,
 * the summary. (The network failure paths are in test/network/.)
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, startCli, until } from '../helpers/cli.js';
import { fleet } from '../helpers/fleet.js';
import { jsonLines } from '../helpers/json-lines.js';
import { tempDir, tempFile } from '../helpers/results.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('--log-format json: every stderr line is one JSON object', () => {
  it('an unknown argument', async () => {
    const run = await runCli(['run', '--manifest', 'x.csv', '--log-format', 'json', '--bogus-flag']);
    expect(run.code).toBe(3);
    const lines = jsonLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', exitCode: 3 });
    expect(String(lines[0]!.msg)).toMatch(/bogus-flag/);
  });

  it('--log-format=json, and a job file asking for json, count too', async () => {
    const a = await runCli(['run', '--log-format=json', '--bogus']);
    expect(jsonLines(a.stderr)).toHaveLength(1);
    const job = tempFile('job.json', JSON.stringify({ manifest: 'nope.csv', logFormat: 'json' }));
    const b = await runCli(['run', job, '--bogus']);
    expect(jsonLines(b.stderr)[0]).toMatchObject({ level: 'error' });
  });

  it('a manifest that cannot be read', async () => {
    const run = await runCli(['run', '--manifest', join(tempDir(), 'missing.csv'), '--log-format', 'json', '--emulator']);
    expect(run.code).toBe(3);
    const lines = jsonLines(run.stderr);
    expect(lines.at(-1)).toMatchObject({ level: 'error', exitCode: 3 });
    expect(String(lines.at(-1)!.msg)).toMatch(/missing\.csv/);
  });

  it('a failed sign-in: message and its "check:" advice in one object', async () => {
    emu = await startEmulator({ https: true, entra: true });
    const manifest = tempFile('m.csv', `id,extensionAttribute1\n${emu.devices()[0]!.id},x\n`);
    const entra = emu.entra!;
    const run = await runCli(
      [
        'run',
        '--manifest',
        manifest,
        '--graph-url',
        emu.url,
        '--log-format',
        'json',
        '--auth',
        'client-secret',
        '--authority-host',
        entra.url,
      ],
      {
        env: {
          NODE_EXTRA_CA_CERTS: emu.caPath!,
          AZURE_TENANT_ID: entra.tenantId,
          AZURE_CLIENT_ID: entra.clientId,
          AZURE_CLIENT_SECRET: 'not-the-secret-at-all',
        },
      },
    );
    expect(run.code).toBe(3);
    const lines = jsonLines(run.stderr);
    const fatal = lines.at(-1)!;
    expect(fatal).toMatchObject({ level: 'error', exitCode: 3 });
    expect(String(fatal.msg)).toMatch(/sign-in failed/);
    expect(String(fatal.check)).toMatch(/AZURE_CLIENT_SECRET/);
    expect(run.stderr).not.toContain('not-the-secret-at-all');
  }, 30_000);

  it("Node's own process warnings (a library's deprecation) become JSON lines too", async () => {
    const f = fleet(60, 'json-warn');
    emu = await startEmulator({ devices: f.devices, writeBudget: false, latencyMs: 100 });
    // A library warning mid-run, as a deprecated call in a dependency would raise it.
    const preload = tempFile(
      'warn.cjs',
      [
        // At the first request: graph-bulk is running by then.
        "const http = require('node:http');",
        'const request = http.request;',
        'let warned = false;',
        'http.request = function (...args) {',
        "  if (!warned) { warned = true; process.emitWarning('a library called a deprecated API', 'DeprecationWarning', 'DEP0999'); }",
        '  return request.apply(this, args);',
        '};',
        '',
      ].join('\n'),
    );
    const p = startCli(
      [
        'run',
        '--manifest',
        f.manifest,
        '--results',
        join(f.dir, 'r.csv'),
        '--graph-url',
        emu.url,
        '--log-format',
        'json',
        '--mode',
        'single',
        '--concurrency',
        '1',
        '--no-read-first',
      ],
      { GRAPH_ACCESS_TOKEN: emu.token, NODE_OPTIONS: `--require ${preload}` },
    );
    await until('the warning', () => p.stderr().includes('deprecated API'), 20_000);
    p.child.kill('SIGINT');
    await p.exited;
    const lines = jsonLines(p.stderr());
    expect(lines.find((l) => /deprecated API/.test(String(l.msg)))).toMatchObject({ level: 'warn', code: 'DEP0999' });
  }, 40_000);

  it('SIGINT and the summary', async () => {
    const f = fleet(200, 'json-int');
    emu = await startEmulator({ devices: f.devices, writeBudget: false, latencyMs: 100 });
    const results = join(f.dir, 'r.csv');
    const p = startCli(
      [
        'run',
        '--manifest',
        f.manifest,
        '--results',
        results,
        '--graph-url',
        emu.url,
        '--log-format',
        'json',
        '--mode',
        'single',
        '--concurrency',
        '2',
      ],
      { GRAPH_ACCESS_TOKEN: emu.token },
    );
    await until('a few rows updated', () => emu!.stats().writesApplied >= 4);
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code).toBe(4);
    const lines = jsonLines(p.stderr());
    expect(lines.some((l) => l.signal === 'SIGINT' && /finishing requests in flight/.test(String(l.msg)))).toBe(true);
    expect(lines.at(-1)).toMatchObject({ msg: 'summary', exitCode: 4 });
  }, 30_000);
});

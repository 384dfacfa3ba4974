/**
 * graph-bulk as a process inside a company network made of real components on loopback: a forward
 * proxy from Debian's packages (squid with basic authentication), TLS interception (mitmdump with a CA
 * of its own), dead paths (a closed port, a name that cannot resolve), an outage mid-run, a token for
 * another API, Graph refusing every token. Every failure path runs with `--log-format json` and every
 * stderr line must parse as one JSON object. See docs/company-network.md.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateInventory, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, startCli, until } from '../helpers/cli.js';
import { fleet, notExactlyOnce } from '../helpers/fleet.js';
import { jsonLines } from '../helpers/json-lines.js';
import { freePort, type ProxyProcess, startMitmdump, startSquid } from '../helpers/proxies.js';
import { readResults, tempDir } from '../helpers/results.js';
import { manifestFor } from '../auth/helpers.js';

let emu: Emulator | undefined;
let proxy: ProxyProcess | undefined;
afterEach(async () => {
  await proxy?.stop();
  await emu?.stop();
  emu = proxy = undefined;
});

const PROXY_PASSWORD = 'Sq%uid-pass-77';

/** Runs `graph-bulk run` on `manifest` against `emu` (no NODE_EXTRA_CA_CERTS: the CA comes from the flags or not at all). */
async function run(manifest: string, args: string[], env: Record<string, string> = {}) {
  const results = join(tempDir('gb-net-'), 'results.csv');
  const started = Date.now();
  const r = await runCli(['run', '--manifest', manifest, '--results', results, '--no-progress', ...args], { env, timeoutMs: 60_000 });
  let rows: ReturnType<typeof readResults> = [];
  try {
    rows = readResults(results);
  } catch {
    rows = [];
  }
  return { ...r, rows, results, seconds: (Date.now() - started) / 1000 };
}

/** The fatal line of a JSON run: its last error-level line. */
const fatalOf = (stderr: string) => jsonLines(stderr).filter((l) => l.level === 'error' || l.msg === 'summary');

describe('through squid with basic proxy authentication', () => {
  it('sign-in and Graph both go through the proxy: the job succeeds and the access log shows both', async () => {
    emu = await startEmulator({ devices: generateInventory(25, 3), https: true, entra: true, writeBudget: false });
    proxy = await startSquid({ alice: PROXY_PASSWORD });
    const entra = emu.entra!;
    const { path, ids } = manifestFor(emu, 25, 'via-proxy');
    const r = await run(
      path,
      ['--graph-url', emu.url, '--auth', 'client-secret', '--authority-host', entra.url, '--ca-file', emu.caPath!],
      {
        HTTPS_PROXY: proxy.urlWith('alice', PROXY_PASSWORD),
        AZURE_TENANT_ID: entra.tenantId,
        AZURE_CLIENT_ID: entra.clientId,
        AZURE_CLIENT_SECRET: entra.clientSecret,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.rows.map((x) => x.outcome)).toEqual(ids.map(() => 'updated'));
    const entraPort = new URL(entra.url).port;
    const graphPort = new URL(emu.url).port;
    // squid logs a tunnel once it is closed, just after the process exited.
    const tunnelTo = (port: string) => (l: string) => l.includes('TCP_TUNNEL/200') && l.includes(`CONNECT 127.0.0.1:${port} alice`);
    await until(
      'both tunnels in the access log',
      () => proxy!.accessLog().some(tunnelTo(entraPort)) && proxy!.accessLog().some(tunnelTo(graphPort)),
    );
    const log = proxy.accessLog();
    // The token requests (discovery and token endpoint) and the Graph requests, each through a CONNECT tunnel as alice.
    expect(
      log.filter((l) => l.includes(`TCP_TUNNEL/200`) && l.includes(`CONNECT 127.0.0.1:${entraPort} alice`)).length,
    ).toBeGreaterThanOrEqual(1);
    expect(
      log.filter((l) => l.includes(`TCP_TUNNEL/200`) && l.includes(`CONNECT 127.0.0.1:${graphPort} alice`)).length,
    ).toBeGreaterThanOrEqual(1);
    expect(entra.requests().some((q) => q.endpoint === 'token' && q.status === 200)).toBe(true);
    expect(r.stderr).toMatch(/proxy http:\/\/alice:<redacted>@127\.0\.0\.1:\d+/);
    expect(r.stderr + r.stdout).not.toContain(PROXY_PASSWORD);
    expect(r.stderr + r.stdout).not.toContain(encodeURIComponent(PROXY_PASSWORD));
  }, 60_000);

  it('a wrong proxy password stops at once (exit 3) naming the proxy — at sign-in, and on the Graph path', async () => {
    emu = await startEmulator({ devices: generateInventory(30, 3), https: true, entra: true, writeBudget: false });
    proxy = await startSquid({ alice: PROXY_PASSWORD });
    const entra = emu.entra!;
    const { path } = manifestFor(emu, 30);
    const wrong = proxy.urlWith('alice', 'not-the-password');
    const signIn = await run(
      path,
      ['--graph-url', emu.url, '--auth', 'client-secret', '--authority-host', entra.url, '--ca-file', emu.caPath!, '--log-format', 'json'],
      { HTTPS_PROXY: wrong, AZURE_TENANT_ID: entra.tenantId, AZURE_CLIENT_ID: entra.clientId, AZURE_CLIENT_SECRET: entra.clientSecret },
    );
    expect(signIn.code, signIn.stderr).toBe(3);
    const fatal = fatalOf(signIn.stderr).at(-1)!;
    expect(String(fatal.msg)).toMatch(
      new RegExp(`proxy http://alice:<redacted>@127\\.0\\.0\\.1:${proxy.port} requires authentication \\(407`),
    );
    expect(signIn.stderr).not.toContain('not-the-password');
    expect(emu.requests()).toHaveLength(0);

    // GRAPH_ACCESS_TOKEN: no sign-in, the first Graph request meets the 407.
    const graph = await run(path, ['--graph-url', emu.url, '--ca-file', emu.caPath!, '--log-format', 'json'], {
      HTTPS_PROXY: wrong,
      GRAPH_ACCESS_TOKEN: emu.token,
    });
    expect(graph.code, graph.stderr).toBe(3);
    const lines = jsonLines(graph.stderr);
    expect(lines.some((l) => /requires authentication \(407/.test(String(l.msg)))).toBe(true);
    expect(lines.at(-1)).toMatchObject({ msg: 'summary', exitCode: 3 });
    expect(emu.requests()).toHaveLength(0);
    expect(notExactlyOnce(graph.rows, 30)).toEqual([]);
    expect(graph.rows.every((x) => x.outcome === 'skipped')).toBe(true);
    expect(proxy.accessLog().filter((l) => l.includes('TCP_DENIED/407')).length).toBeLessThanOrEqual(3);
  }, 60_000);
});

describe('TLS interception by a CA the run does not trust (mitmdump)', () => {
  it('untrusted: exit 3 within a few requests, naming host and certificate problem; every row skipped, resumable', async () => {
    emu = await startEmulator({ devices: generateInventory(60, 3), https: true, writeBudget: false });
    const mitm = await startMitmdump(emu.caPath!);
    proxy = mitm;
    const { path } = manifestFor(emu, 60);
    const r = await run(path, ['--graph-url', emu.url, '--log-format', 'json'], { HTTPS_PROXY: mitm.url, GRAPH_ACCESS_TOKEN: emu.token });
    expect(r.code, r.stderr).toBe(3);
    const lines = jsonLines(r.stderr);
    const stopping = lines.find((l) => /^stopping: cannot trust/.test(String(l.msg)));
    expect(stopping, r.stderr).toBeDefined();
    expect(String(stopping!.msg)).toContain(new URL(emu.url).host);
    expect(String(stopping!.msg)).toMatch(/not signed by a CA this machine trusts/);
    expect(String(stopping!.msg)).toMatch(/--ca-file/);
    expect(emu.requests()).toHaveLength(0);
    expect(notExactlyOnce(r.rows, 60)).toEqual([]);
    expect(r.rows.every((x) => x.outcome === 'skipped')).toBe(true);
    expect(r.seconds).toBeLessThan(20);
  }, 60_000);

  it('with the inspecting CA given (--ca-file): sign-in and Graph through the interception succeed', async () => {
    emu = await startEmulator({ devices: generateInventory(20, 3), https: true, entra: true, writeBudget: false });
    const mitm = await startMitmdump(emu.caPath!);
    proxy = mitm;
    const entra = emu.entra!;
    const { path, ids } = manifestFor(emu, 20, 'inspected');
    const r = await run(
      path,
      ['--graph-url', emu.url, '--auth', 'client-secret', '--authority-host', entra.url, '--ca-file', mitm.caPath],
      {
        HTTPS_PROXY: mitm.url,
        AZURE_TENANT_ID: entra.tenantId,
        AZURE_CLIENT_ID: entra.clientId,
        AZURE_CLIENT_SECRET: entra.clientSecret,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.rows.map((x) => x.outcome)).toEqual(ids.map(() => 'updated'));
    expect(entra.requests().some((q) => q.endpoint === 'token' && q.status === 200)).toBe(true);
    // mitmdump saw (and decrypted) the token request to Entra and the Graph requests.
    await until('the flows', () => mitm.accessLog().some((l) => l.includes('/v1.0/$batch')));
    const flows = mitm.accessLog();
    expect(flows.some((l) => l.includes(`POST https://127.0.0.1:${new URL(entra.url).port}/`))).toBe(true);
    expect(flows.some((l) => l.includes(`POST https://127.0.0.1:${new URL(emu!.url).port}/v1.0/$batch`))).toBe(true);
  }, 60_000);
});

describe('unreachable Graph', () => {
  it('a closed port: exit 3 within seconds, naming host and "connection refused"', async () => {
    const port = await freePort();
    const f = fleet(100, 'refused');
    const r = await run(f.manifest, ['--graph-url', `http://127.0.0.1:${port}`, '--log-format', 'json'], {
      GRAPH_ACCESS_TOKEN: 'opaque-token',
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.seconds).toBeLessThan(15);
    const lines = jsonLines(r.stderr);
    expect(lines.some((l) => new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`).test(String(l.msg)))).toBe(true);
    expect(notExactlyOnce(r.rows, 100)).toEqual([]);
    expect(r.rows.every((x) => x.outcome === 'skipped')).toBe(true);
  }, 60_000);

  it('a name that does not resolve: exit 3 within seconds, naming the host', async () => {
    const f = fleet(10, 'dns');
    const r = await run(f.manifest, ['--graph-url', 'https://graph.example.invalid', '--allow-unknown-host', '--log-format', 'json'], {
      GRAPH_ACCESS_TOKEN: 'opaque-token',
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.seconds).toBeLessThan(15);
    const lines = jsonLines(r.stderr);
    expect(lines.some((l) => /cannot resolve graph\.example\.invalid \((ENOTFOUND|EAI_AGAIN)/.test(String(l.msg)))).toBe(true);
  }, 60_000);
});

describe('an outage mid-run', () => {
  it('stops (exit 2) after the quiet period, says so while waiting, every row one true line, resume finishes', async () => {
    const f = fleet(200, 'outage');
    emu = await startEmulator({ devices: f.devices, writeBudget: false, latencyMs: 20 });
    const first = join(f.dir, 'first.csv');
    const p = startCli(
      [
        'run',
        '--manifest',
        f.manifest,
        '--results',
        first,
        '--graph-url',
        emu.url,
        '--no-progress',
        '--log-format',
        'json',
        '--mode',
        'single',
        '--concurrency',
        '2',
        '--no-read-first',
        '--outage-timeout-ms',
        '3000',
        '--retry-base-delay-ms',
        '200',
      ],
      { GRAPH_ACCESS_TOKEN: emu.token },
    );
    await until('some rows updated', () => emu!.stats().writesApplied >= 20);
    emu.configure({ rateDrop: 1 }); // every connection dropped without an answer
    const started = Date.now();
    const { code } = await p.exited;
    const seconds = (Date.now() - started) / 1000;
    expect(code, p.stderr()).toBe(2);
    expect(seconds).toBeGreaterThanOrEqual(2.5);
    expect(seconds).toBeLessThan(15);
    const lines = jsonLines(p.stderr());
    expect(lines.filter((l) => /^waiting: /.test(String(l.msg))).length).toBeGreaterThanOrEqual(1);
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ msg: 'summary', exitCode: 2 });
    expect(String(summary.stoppedReason)).toMatch(/no answer from Graph for \d+ s/);
    const rows = readResults(first);
    expect(notExactlyOnce(rows, 200)).toEqual([]);
    const updated = rows.filter((x) => x.outcome === 'updated');
    expect(updated.length).toBeGreaterThanOrEqual(20);
    expect(rows.filter((x) => x.outcome !== 'updated').every((x) => x.outcome === 'skipped')).toBe(true);
    // Every updated row's write is on the device (a true line).
    for (const row of updated) {
      expect(emu.getDevice(row.key ?? '')!.extensionAttributes.extensionAttribute1).toBe(f.rows[Number(row.row) - 1]!.extensionAttribute1);
    }

    emu.configure({ rateDrop: 0 });
    const second = join(f.dir, 'second.csv');
    const resumed = await runCli(
      ['run', '--manifest', f.manifest, '--results', second, '--graph-url', emu.url, '--no-progress', '--resume', first],
      {
        env: { GRAPH_ACCESS_TOKEN: emu.token },
      },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const all = readResults(second);
    expect(notExactlyOnce(all, 200)).toEqual([]);
    expect(all.every((x) => x.outcome === 'updated' || x.outcome === 'unchanged')).toBe(true);
  }, 90_000);
});

describe('the token and the preflight', () => {
  it('a token for another API (aud) is refused before any request, exit 3, the hint filled in', async () => {
    emu = await startEmulator({ devices: generateInventory(5, 3), writeBudget: false });
    const f = manifestFor(emu, 5);
    // A JWT-shaped token as `az account get-access-token` gives without --resource: for the Azure management API.
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({
      aud: 'https://management.azure.com/',
      tid: '11111111-2222-3333-4444-555555555555',
      appid: '66666666-7777-8888-9999-000000000000',
      roles: ['Device.ReadWrite.All'],
      exp: Math.floor(Date.now() / 1000) + 3600,
    })}.c2lnbmF0dXJl`;
    const r = await run(f.path, ['--graph-url', emu.url, '--log-format', 'json'], { GRAPH_ACCESS_TOKEN: token });
    expect(r.code, r.stderr).toBe(3);
    const fatal = jsonLines(r.stderr).at(-1)!;
    expect(String(fatal.msg)).toMatch(
      /the token is for https:\/\/management\.azure\.com\/ \(its aud claim\), not Microsoft Graph at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(String(fatal.msg)).not.toMatch(/[{}]/);
    expect(emu.requests()).toHaveLength(0);
  }, 30_000);

  it('Graph refusing the token on a run shorter than the auth threshold still ends with the auth stop (exit 2) and a filled-in hint', async () => {
    emu = await startEmulator({ devices: generateInventory(5, 3), writeBudget: false });
    const f = manifestFor(emu, 5);
    emu.configure({ forceError: { status: 401, code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } });
    const r = await run(f.path, ['--graph-url', emu.url, '--no-read-first', '--log-format', 'json'], { GRAPH_ACCESS_TOKEN: emu.token });
    expect(r.code, r.stderr).toBe(2);
    const summary = jsonLines(r.stderr).at(-1)!;
    expect(summary).toMatchObject({ msg: 'summary', exitCode: 2 });
    expect(String(summary.advice)).toContain(`${emu.url}/.default`);
    expect(String(summary.advice)).not.toMatch(/[{}]/);
  }, 30_000);
});

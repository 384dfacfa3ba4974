/**
 * The transport through real proxies on loopback: squid with basic authentication, mitmdump
 * intercepting TLS with a CA of its own, and dead paths (a closed port, a name that cannot resolve).
 * Requests go to the emulator's Graph over https, as graph-bulk sends them (`sendHttp`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateInventory, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { sendHttp, type HttpResult } from '../../src/send/http.js';
import { createNetwork, type Network } from '../../src/send/network.js';
import { until } from '../helpers/cli.js';
import { freePort, type ProxyProcess, startMitmdump, startSquid } from '../helpers/proxies.js';

let emu: Emulator | undefined;
let proxy: ProxyProcess | undefined;
let network: Network | undefined;
afterEach(async () => {
  network?.destroy();
  await proxy?.stop();
  await emu?.stop();
  emu = proxy = network = undefined;
});

async function getDevice(url: string, token: string, net: Network | undefined): Promise<HttpResult> {
  return sendHttp({ method: 'GET', url, headers: { Authorization: `Bearer ${token}` }, timeoutMs: 10_000, network: net });
}

describe('through squid with basic proxy authentication', () => {
  it('the right account reaches Graph through a CONNECT tunnel the proxy logged', async () => {
    emu = await startEmulator({ devices: generateInventory(3, 1), https: true });
    proxy = await startSquid({ alice: 'Pr@xy-pass-1' });
    network = createNetwork({ env: { HTTPS_PROXY: proxy.urlWith('alice', 'Pr@xy-pass-1') }, caFile: emu.caPath });
    const id = emu.devices()[0]!.id;
    const res = await getDevice(`${emu.url}/v1.0/devices/${id}`, emu.token, network);
    expect(res.ok && res.status).toBe(200);
    // squid logs a tunnel when it closes: close the idle keep-alive connection.
    network.destroy();
    const tunnel = `TCP_TUNNEL/200`;
    const connect = `CONNECT 127.0.0.1:${new URL(emu.url).port} alice`;
    await until('the tunnel in the access log', () => proxy!.accessLog().some((l) => l.includes(tunnel) && l.includes(connect)));
  }, 30_000);

  it('a wrong password is a proxy-auth fault (407) naming the proxy, never its password', async () => {
    emu = await startEmulator({ devices: generateInventory(1, 1), https: true });
    proxy = await startSquid({ alice: 'Pr@xy-pass-1' });
    network = createNetwork({ env: { HTTPS_PROXY: proxy.urlWith('alice', 'wrong-password-9') }, caFile: emu.caPath });
    const res = await getDevice(`${emu.url}/v1.0/devices/${emu.devices()[0]!.id}`, emu.token, network);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.fault).toMatchObject({ kind: 'proxy-auth', permanent: true, host: `127.0.0.1:${proxy.port}` });
    expect(res.message).toContain(`proxy http://alice:<redacted>@127.0.0.1:${proxy.port} requires authentication (407`);
    expect(res.message).not.toContain('wrong-password-9');
    // squid writes its log line just after answering.
    await until('the 407 in the access log', () => proxy!.accessLog().some((l) => l.includes('TCP_DENIED/407') && l.includes('CONNECT')));
  }, 30_000);

  it('NO_PROXY sends the request direct: the proxy sees nothing', async () => {
    emu = await startEmulator({ devices: generateInventory(1, 1), https: true });
    proxy = await startSquid();
    network = createNetwork({ env: { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, caFile: emu.caPath });
    const res = await getDevice(`${emu.url}/v1.0/devices/${emu.devices()[0]!.id}`, emu.token, network);
    expect(res.ok && res.status).toBe(200);
    expect(proxy.accessLog()).toEqual([]);
  }, 30_000);
});

describe('TLS interception (mitmdump with its own CA)', () => {
  it('untrusted: a permanent tls fault naming the host and how to trust the CA; trusted with --ca-file: 200', async () => {
    emu = await startEmulator({ devices: generateInventory(1, 1), https: true });
    const mitm = await startMitmdump(emu.caPath!);
    proxy = mitm;
    const url = `${emu.url}/v1.0/devices/${emu.devices()[0]!.id}`;
    const host = new URL(emu.url).host;
    network = createNetwork({ env: { HTTPS_PROXY: mitm.url } });
    const untrusted = await getDevice(url, emu.token, network);
    expect(untrusted.ok).toBe(false);
    if (!untrusted.ok) {
      expect(untrusted.fault).toMatchObject({ kind: 'tls', permanent: true, host });
      expect(untrusted.message).toMatch(/not signed by a CA this machine trusts/);
      expect(untrusted.message).toMatch(/--ca-file/);
    }
    network.destroy();
    network = createNetwork({ env: { HTTPS_PROXY: mitm.url }, caFile: mitm.caPath });
    const trusted = await getDevice(url, emu.token, network);
    expect(trusted.ok && trusted.status).toBe(200);
  }, 60_000);
});

describe('dead paths', () => {
  it('a closed port: refused, naming host and port', async () => {
    const port = await freePort();
    const res = await getDevice(`https://127.0.0.1:${port}/v1.0/devices/x`, 't', createNetwork({ env: {} }));
    expect(!res.ok && res.fault).toMatchObject({ kind: 'refused', host: `127.0.0.1:${port}`, deadPath: true });
  });

  it('a name that does not resolve: dns, naming the host', async () => {
    const res = await getDevice('https://graph.example.invalid/v1.0/devices/x', 't', createNetwork({ env: {} }));
    expect(!res.ok && res.fault).toMatchObject({ kind: 'dns', host: 'graph.example.invalid:443', deadPath: true });
    expect(!res.ok && res.message).toMatch(/cannot resolve graph\.example\.invalid/);
  });

  it('a proxy that is not there: refused, naming the proxy', async () => {
    const port = await freePort();
    const network = createNetwork({ env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } });
    const res = await getDevice('https://graph.microsoft.com/v1.0/devices/x', 't', network);
    expect(!res.ok && res.fault).toMatchObject({ kind: 'refused', host: `127.0.0.1:${port}`, proxy: `http://127.0.0.1:${port}` });
    network.destroy();
  });
});

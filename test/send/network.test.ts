import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/graph/errors.js';
import { bypassesProxy, createNetwork, NetworkConfigError, parseProxyUrl, proxyFor, readCaBundle } from '../../src/send/network.js';
import { classifyNetworkFault, classifyProxyAnswer } from '../../src/send/network-fault.js';
import { tempDir } from '../helpers/results.js';

const GRAPH = new URL('https://graph.microsoft.com/v1.0/$batch');
const LOGIN = new URL('https://login.microsoftonline.com/tenant/oauth2/v2.0/token');
const LOCAL = new URL('http://127.0.0.1:8080/v1.0/devices');

describe('proxyFor: the variables as the ecosystem spells them', () => {
  it('HTTPS_PROXY for https targets, in either case; HTTP_PROXY for http targets', () => {
    expect(proxyFor(GRAPH, { HTTPS_PROXY: 'http://proxy.corp:3128' })?.display).toBe('http://proxy.corp:3128');
    expect(proxyFor(GRAPH, { https_proxy: 'http://proxy.corp:3128' })?.source).toBe('https_proxy');
    expect(proxyFor(LOCAL, { HTTPS_PROXY: 'http://proxy.corp:3128' })).toBeUndefined();
    expect(proxyFor(LOCAL, { http_proxy: 'http://p:8080' })?.display).toBe('http://p:8080');
  });

  it('an https target falls back to ALL_PROXY, then HTTP_PROXY (as @azure/identity does)', () => {
    expect(proxyFor(GRAPH, { HTTP_PROXY: 'http://only-http:3128' })?.display).toBe('http://only-http:3128');
    expect(proxyFor(GRAPH, { HTTP_PROXY: 'http://h:1', ALL_PROXY: 'http://all:2' })?.display).toBe('http://all:2');
    expect(proxyFor(GRAPH, { HTTP_PROXY: 'http://h:1', HTTPS_PROXY: 'http://s:3' })?.display).toBe('http://s:3');
  });

  it('--proxy wins over the variables; NO_PROXY still exempts hosts', () => {
    expect(proxyFor(GRAPH, { HTTPS_PROXY: 'http://env:1' }, 'http://flag:2')?.source).toBe('--proxy');
    expect(proxyFor(GRAPH, { NO_PROXY: '.microsoft.com' }, 'http://flag:2')).toBeUndefined();
  });

  it('no variable, no proxy', () => {
    expect(proxyFor(GRAPH, {})).toBeUndefined();
    expect(proxyFor(GRAPH, { HTTPS_PROXY: '  ' })).toBeUndefined();
  });

  it('a bare host:port is an http proxy; socks and garbage are refused naming the variable', () => {
    expect(proxyFor(GRAPH, { HTTPS_PROXY: 'proxy.corp:8080' })?.display).toBe('http://proxy.corp:8080');
    expect(() => proxyFor(GRAPH, { HTTPS_PROXY: 'socks5://p:1080' })).toThrow(/HTTPS_PROXY: socks5:\/\/ proxies are not supported/);
    expect(() => proxyFor(GRAPH, {}, 'http://')).toThrow(NetworkConfigError);
  });
});

describe('bypassesProxy: NO_PROXY', () => {
  it.each([
    ['graph.microsoft.com', GRAPH, true],
    ['microsoft.com', GRAPH, true],
    ['.microsoft.com', GRAPH, true],
    ['*.microsoft.com', GRAPH, true],
    ['soft.com', GRAPH, false],
    ['login.microsoftonline.com', GRAPH, false],
    ['*', GRAPH, true],
    ['localhost, 127.0.0.1', LOCAL, true],
    ['127.0.0.1:8080', LOCAL, true],
    ['127.0.0.1:9090', LOCAL, false],
    ['27.0.0.1', LOCAL, false],
    ['GRAPH.Microsoft.COM', GRAPH, true],
    ['a.example.com graph.microsoft.com:443', GRAPH, true],
    ['', GRAPH, false],
  ])('NO_PROXY=%j, %s → %s', (noProxy, url, bypass) => {
    expect(bypassesProxy(url, noProxy)).toBe(bypass);
  });

  it('IPv6 entries, bracketed or bare', () => {
    const v6 = new URL('http://[::1]:8080/');
    expect(bypassesProxy(v6, '::1')).toBe(true);
    expect(bypassesProxy(v6, '[::1]:8080')).toBe(true);
    expect(bypassesProxy(v6, '[::1]:1')).toBe(false);
  });

  it('NO_PROXY in lower case applies too', () => {
    expect(proxyFor(LOGIN, { HTTPS_PROXY: 'http://p:1', no_proxy: 'login.microsoftonline.com' })).toBeUndefined();
    expect(proxyFor(GRAPH, { HTTPS_PROXY: 'http://p:1', no_proxy: 'login.microsoftonline.com' })?.display).toBe('http://p:1');
  });
});

describe('proxy credentials never reach output', () => {
  it('the display form hides the password, and the password is redacted everywhere', () => {
    const p = parseProxyUrl('http://alice:Pr%40xy-pass-99@proxy.corp:3128', 'HTTPS_PROXY');
    expect(p.display).toBe('http://alice:<redacted>@proxy.corp:3128');
    expect(p.url.password).toBe('Pr%40xy-pass-99');
    expect(redactSecrets('failed: Pr@xy-pass-99 and Pr%40xy-pass-99')).toBe('failed: <redacted> and <redacted>');
  });

  it('user:password@ in any URL in free text is redacted', () => {
    expect(redactSecrets('cannot connect to http://bob:hunter2@10.0.0.1:8080 now')).toBe(
      'cannot connect to http://bob:<redacted>@10.0.0.1:8080 now',
    );
  });
});

describe('readCaBundle and createNetwork', () => {
  it('reads every certificate of a PEM bundle', async () => {
    const a = await generate([{ name: 'commonName', value: 'Corp Root A' }], { keySize: 2048 });
    const b = await generate([{ name: 'commonName', value: 'Corp Root B' }], { keySize: 2048 });
    const path = join(tempDir(), 'corp-ca.pem');
    writeFileSync(path, `${a.cert}\n${b.cert}\n`);
    expect(readCaBundle(path)).toHaveLength(2);
    const network = createNetwork({ caFile: path, env: {} });
    expect(network.extraCaCount).toBe(2);
    network.destroy();
  });

  it('a missing file, a file without certificates, and a broken certificate are refused naming the file', () => {
    const dir = tempDir();
    expect(() => readCaBundle(join(dir, 'nope.pem'))).toThrow(/--ca-file .*nope\.pem: cannot read it \(ENOENT\)/);
    const der = join(dir, 'ca.der');
    writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    expect(() => readCaBundle(der)).toThrow(/ca\.der: no PEM certificate in it/);
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(() => readCaBundle(broken)).toThrow(/broken\.pem: certificate 1 of 1 is not valid/);
  });

  it('a bad --proxy stops createNetwork', () => {
    expect(() => createNetwork({ proxy: 'ftp://x:21', env: {} })).toThrow(/--proxy: ftp:\/\/ proxies are not supported/);
  });

  it('agents: direct without a proxy, one proxy agent per scheme with one', () => {
    const network = createNetwork({ env: { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'localhost' } });
    const a = network.agentFor(GRAPH);
    expect(network.agentFor(LOGIN)).toBe(a);
    expect(network.agentFor(new URL('https://localhost:1/'))).not.toBe(a);
    expect(network.proxyFor(GRAPH)?.display).toBe('http://p:3128');
    network.destroy();
  });
});

describe('classifyNetworkFault', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('untrusted, mismatched and expired certificates are permanent, with how to trust the company CA', () => {
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
    ]) {
      const f = classifyNetworkFault(err(code), { url: GRAPH });
      expect(f).toMatchObject({ kind: 'tls', host: 'graph.microsoft.com:443', code, permanent: true });
      expect(f.message).toContain('graph.microsoft.com:443');
      expect(f.message).toContain(code);
      expect(f.message).toMatch(/--ca-file <file>.*NODE_EXTRA_CA_CERTS/);
    }
  });

  it('DNS, refused and no route are dead paths naming the host; through a proxy, the proxy', () => {
    expect(classifyNetworkFault(err('ENOTFOUND'), { url: new URL('https://graph.example.invalid') })).toMatchObject({
      kind: 'dns',
      host: 'graph.example.invalid:443',
      deadPath: true,
      permanent: false,
    });
    const refused = classifyNetworkFault(err('ECONNREFUSED'), { url: LOCAL });
    expect(refused).toMatchObject({ kind: 'refused', host: '127.0.0.1:8080', deadPath: true });
    expect(refused.message).toMatch(/connection refused by 127\.0\.0\.1:8080/);
    const viaProxy = classifyNetworkFault(err('ECONNREFUSED'), { url: GRAPH, proxy: 'http://alice:<redacted>@proxy.corp:3128' });
    expect(viaProxy).toMatchObject({ kind: 'refused', host: 'proxy.corp:3128' });
    expect(viaProxy.message).toMatch(/proxy http:\/\/alice:<redacted>@proxy\.corp:3128/);
    expect(classifyNetworkFault(err('EHOSTUNREACH'), { url: GRAPH }).kind).toBe('unreachable');
  });

  it('resets and timeouts are transient; a wrapped cause is looked into', () => {
    expect(classifyNetworkFault(err('ECONNRESET'), { url: GRAPH })).toMatchObject({ kind: 'reset', deadPath: false, permanent: false });
    expect(classifyNetworkFault({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } }, { url: GRAPH }).kind).toBe('refused');
  });

  it("a proxy's 407 is permanent and says how to give the account; other refusals are dead paths", () => {
    const ctx = { url: GRAPH, proxy: 'http://alice:<redacted>@proxy.corp:3128' };
    const auth = classifyProxyAnswer(407, ctx);
    expect(auth).toMatchObject({ kind: 'proxy-auth', host: 'proxy.corp:3128', permanent: true });
    expect(auth.message).toMatch(/proxy http:\/\/alice:<redacted>@proxy\.corp:3128 requires authentication \(407/);
    expect(classifyProxyAnswer(403, ctx)).toMatchObject({ kind: 'proxy', permanent: false, deadPath: true });
    expect(classifyProxyAnswer(503, ctx, 'ERR_DNS_FAIL 0').message).toContain('ERR_DNS_FAIL');
  });
});

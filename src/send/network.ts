/**
 * The way out of a company network, for Graph requests and token requests alike: which forward proxy a
 * URL goes through (`--proxy`, else `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY`, either case, minus
 * `NO_PROXY`), which CAs a TLS connection trusts (Node's roots, `NODE_EXTRA_CA_CERTS`, `--ca-file`), and
 * one keep-alive agent per way (direct or proxied, http or https). Proxying uses the
 * `https-proxy-agent` / `http-proxy-agent` libraries (the ones @azure/core-rest-pipeline itself uses):
 * CONNECT tunnels for https, absolute-form requests for http, `user:password@` as basic proxy
 * authentication. Decisions ({@link proxyFor}, {@link bypassesProxy}, {@link parseProxyUrl}) are pure.
 *
 * Source: docs/graph-behaviour.md §6 (company networks).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent as RoutingAgentBase, type AgentConnectOpts } from 'agent-base';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { rememberSecret } from '../secrets/redact.js';

/** A proxy setting that cannot be used (a bad URL, a scheme other than http/https, an unreadable CA file). */
export class NetworkConfigError extends Error {
  override readonly name = 'NetworkConfigError';
}

/** A forward proxy, as given. */
export interface ProxySetting {
  /** The proxy URL, credentials included (never log it: use {@link display}). */
  url: URL;
  /** `http://host:port` with any password replaced by `<redacted>`: safe for logs and errors. */
  display: string;
  /** Where it came from: `--proxy` or the variable's name as set (`HTTPS_PROXY`, `https_proxy`, …). */
  source: string;
}

/**
 * Parses a proxy URL as users write it: `http://host:port`, `https://host:port`, with optional
 * `user:password@` (percent-encoded), or a bare `host:port` (taken as http). The password is
 * remembered as a secret (redacted from every output).
 * @throws {NetworkConfigError} naming `source` for anything else (socks, no host, not a URL).
 */
export function parseProxyUrl(value: string, source: string): ProxySetting {
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new NetworkConfigError(
      `${source}: not a proxy URL (expected http://host:port, with user:password@ before the host for an authenticating proxy)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NetworkConfigError(`${source}: ${url.protocol}// proxies are not supported; use an http:// or https:// proxy URL`);
  }
  if (!url.hostname) throw new NetworkConfigError(`${source}: the proxy URL has no host`);
  if (url.password) rememberSecret(url.password, decodeURIComponent(url.password));
  return { url, display: displayProxy(url), source };
}

/** `scheme://[user:<redacted>@]host:port` of a proxy URL: never its password. */
export function displayProxy(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const user = url.username ? `${url.username}${url.password ? ':<redacted>' : ''}@` : '';
  return `${url.protocol}//${user}${url.hostname}:${port}`;
}

/** Value of an environment variable in upper or lower case (upper first, as @azure/identity reads them), with its name. */
function envValue(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } | undefined {
  for (const n of [name, name.toLowerCase()]) {
    const v = env[n]?.trim();
    if (v) return { name: n, value: v };
  }
  return undefined;
}

/**
 * Is `target` exempt from proxying by the `NO_PROXY` list? Entries are separated by commas or
 * spaces: `*` (everything), a host name (that host and its subdomains: `example.com` and `.example.com`
 * both match `a.example.com` and `example.com`; `*.example.com` likewise), an IP address, each with an
 * optional `:port` that must then match too. Case-insensitive; IPv6 in brackets or bare.
 */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (v6) {
      entry = v6[1]!;
      entryPort = v6[2];
    } else if (isIP(entry) !== 6) {
      const m = /^(.*):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1]!;
        entryPort = m[2];
      }
    }
    if (entryPort && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '');
    if (host === entry || (isIP(host) === 0 && host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/**
 * The proxy `target` goes through, or undefined for a direct connection: `option` (`--proxy`) if
 * given, else for https targets `HTTPS_PROXY`, `ALL_PROXY`, then `HTTP_PROXY`, for http targets
 * `HTTP_PROXY` then `ALL_PROXY` (each in upper or lower case) — unless `NO_PROXY` (either case) exempts it.
 * @throws {NetworkConfigError} when the proxy URL that applies cannot be used.
 */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv, option?: string): ProxySetting | undefined {
  if (bypassesProxy(target, envValue(env, 'NO_PROXY')?.value)) return undefined;
  if (option?.trim()) return parseProxyUrl(option, '--proxy');
  const names = target.protocol === 'https:' ? ['HTTPS_PROXY', 'ALL_PROXY', 'HTTP_PROXY'] : ['HTTP_PROXY', 'ALL_PROXY'];
  for (const name of names) {
    const found = envValue(env, name);
    if (found) return parseProxyUrl(found.value, found.name);
  }
  return undefined;
}

/** Settings of {@link createNetwork}. */
export interface NetworkSettings {
  /** `--proxy`: every request goes through it (except `NO_PROXY` hosts). */
  proxy?: string;
  /** `--ca-file`: a PEM bundle of CA certificates trusted beside Node's own and `NODE_EXTRA_CA_CERTS`. */
  caFile?: string;
  /** Where the proxy variables and `NODE_EXTRA_CA_CERTS` are read. */
  env: NodeJS.ProcessEnv;
}

/**
 * Reads a PEM bundle and returns its certificates (PEM text each).
 * @throws {NetworkConfigError} naming the file when it cannot be read or holds no valid certificate.
 */
export function readCaBundle(path: string, what = '--ca-file'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NetworkConfigError(`${what} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) {
    throw new NetworkConfigError(
      `${what} ${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE----- blocks; export the CA as Base-64 / PEM)`,
    );
  }
  pems.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new NetworkConfigError(`${what} ${path}: certificate ${i + 1} of ${pems.length} is not valid (${(err as Error).message})`);
    }
  });
  return pems;
}

/** How requests leave this process: one agent per way, shared by Graph requests and token requests. */
export interface Network {
  /** The keep-alive agent for `url` (direct or through its proxy; http or https). */
  agentFor(url: URL): http.Agent;
  /** The proxy `url` goes through, if any. */
  proxyFor(url: URL): ProxySetting | undefined;
  /**
   * One agent that routes each request as {@link agentFor} would: for libraries that take a single
   * agent for all their requests (@azure/identity's `agent` client option).
   */
  readonly routingAgent: http.Agent;
  /** The extra CAs trusted (`--ca-file`), if any: their count, for the log. */
  readonly extraCaCount: number;
  /** Closes idle pooled connections. */
  destroy(): void;
}

/**
 * Builds the agents for `settings`. Without `--ca-file`, TLS trusts Node's roots plus
 * `NODE_EXTRA_CA_CERTS` (Node reads it at start); with it, both plus the file's CAs.
 * @throws {NetworkConfigError} for a bad proxy URL or CA file.
 */
export function createNetwork(settings: NetworkSettings): Network {
  const { env } = settings;
  if (settings.proxy) parseProxyUrl(settings.proxy, '--proxy'); // a bad --proxy stops before anything is sent
  let ca: string[] | undefined;
  if (settings.caFile) {
    const extra = env.NODE_EXTRA_CA_CERTS?.trim();
    // An explicit `ca` replaces Node's default trust: keep its roots and NODE_EXTRA_CA_CERTS beside the file's.
    let fromEnv: string[] = [];
    if (extra) {
      try {
        fromEnv = readCaBundle(extra, 'NODE_EXTRA_CA_CERTS');
      } catch {
        fromEnv = []; // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS
      }
    }
    ca = [...rootCertificates, ...fromEnv, ...readCaBundle(settings.caFile)];
  }
  const tlsOptions = ca ? { ca } : {};
  const direct = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true, ...tlsOptions }) };
  const proxied = new Map<string, http.Agent>();
  const choose = (url: URL): ProxySetting | undefined => proxyFor(url, env, settings.proxy);
  const agentFor = (url: URL): http.Agent => {
    const scheme = url.protocol === 'https:' ? 'https:' : 'http:';
    const proxy = choose(url);
    if (!proxy) return direct[scheme];
    const key = `${scheme} ${proxy.url.href}`;
    let agent = proxied.get(key);
    if (!agent) {
      agent =
        scheme === 'https:'
          ? new TunnelAgent(proxy.url, { keepAlive: true, ...tlsOptions }, tlsOptions)
          : new HttpProxyAgent(proxy.url, { keepAlive: true });
      proxied.set(key, agent);
    }
    return agent;
  };
  const routingAgent = new RoutingAgent(agentFor);
  return {
    agentFor,
    proxyFor: choose,
    routingAgent,
    extraCaCount: ca ? ca.length - rootCertificates.length : 0,
    destroy() {
      for (const a of [...Object.values(direct), ...proxied.values(), routingAgent]) a.destroy();
    },
  };
}

/**
 * An `https-proxy-agent` whose TLS through the tunnel trusts `tls.ca`: the library keeps its
 * constructor options for the connection to the proxy only, so they are added to each tunnel's.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: URL,
    options: ConstructorParameters<typeof HttpsProxyAgent>[1],
    private readonly tls: { ca?: string[] },
  ) {
    super(proxy, options);
  }

  override connect(req: http.ClientRequest, opts: AgentConnectOpts) {
    return super.connect(req, { ...opts, ...this.tls });
  }
}

/** Hands each request to the agent {@link Network.agentFor} picks for its URL. */
class RoutingAgent extends RoutingAgentBase {
  constructor(private readonly pick: (url: URL) => http.Agent) {
    super();
  }

  override connect(_req: http.ClientRequest, opts: AgentConnectOpts): http.Agent {
    const host = opts.host ?? 'localhost';
    const bracketed = isIP(host) === 6 ? `[${host}]` : host;
    const scheme = opts.secureEndpoint ? 'https:' : 'http:';
    return this.pick(new URL(`${scheme}//${bracketed}:${opts.port}`));
  }
}

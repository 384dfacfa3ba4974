/**
 * National clouds, the Graph root a run talks to, and the token scope for it.
 *
 * Encodes docs/graph-behaviour.md §4 ("Authentication" and its "National clouds" table).
 * Sources: learn.microsoft.com/en-us/graph/deployments (Graph roots per cloud),
 * learn.microsoft.com/entra/identity-platform/access-tokens (`{resource}/.default` scope).
 *
 * Everything here is pure: no I/O, no environment reads.
 */

/** A Microsoft cloud graph-bulk can target. `global` is the public cloud. */
export type Cloud = 'global' | 'usgov' | 'usgov-dod' | 'china';

/**
 * Thrown when configuration would send requests (and bearer tokens) somewhere unsafe or malformed:
 * a bad Graph URL, an http URL to a non-loopback host, an unknown host without `allowHost`,
 * an unknown cloud name, or a device key that is not a GUID (see {@link ./urls.ts}).
 */
export class GraphConfigError extends Error {
  override readonly name: string = 'GraphConfigError';
  constructor(message: string) {
    super(message);
  }
}

/**
 * Graph root and Entra authority host of each cloud, exactly as in docs/graph-behaviour.md §4's table
 * (source: learn.microsoft.com/en-us/graph/deployments). Both are origins: https, no trailing slash.
 *
 * - `global`: https://graph.microsoft.com, https://login.microsoftonline.com
 * - `usgov` (US Gov L4, GCC High): https://graph.microsoft.us, https://login.microsoftonline.us
 * - `usgov-dod` (US Gov L5, DoD): https://dod-graph.microsoft.us, https://login.microsoftonline.us
 * - `china` (21Vianet): https://microsoftgraph.chinacloudapi.cn, https://login.chinacloudapi.cn
 */
export const CLOUDS: Readonly<Record<Cloud, Readonly<{ graphRoot: string; authorityHost: string }>>> = Object.freeze({
  global: Object.freeze({
    graphRoot: 'https://graph.microsoft.com',
    authorityHost: 'https://login.microsoftonline.com',
  }),
  usgov: Object.freeze({
    graphRoot: 'https://graph.microsoft.us',
    authorityHost: 'https://login.microsoftonline.us',
  }),
  'usgov-dod': Object.freeze({
    graphRoot: 'https://dod-graph.microsoft.us',
    authorityHost: 'https://login.microsoftonline.us',
  }),
  china: Object.freeze({
    graphRoot: 'https://microsoftgraph.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
  }),
});

/** Type guard: is `value` one of the {@link Cloud} names? */
export function isCloud(value: unknown): value is Cloud {
  return typeof value === 'string' && Object.hasOwn(CLOUDS, value);
}

const IPV4_DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Is `hostname` a loopback host? True for `localhost` (any case), any IPv4 address in 127.0.0.0/8
 * written as a dotted quad (each octet 0–255), and IPv6 `::1` with or without brackets (`[::1]`, as
 * `URL.hostname` spells it). Nothing else: no DNS, no `*.localhost`, no `0.0.0.0`.
 *
 * Used for docs/graph-behaviour.md §4: "A Graph base URL may be http only for loopback (localhost, 127.0.0.1, [::1])".
 */
export function isLoopbackHost(hostname: string): boolean {
  if (typeof hostname !== 'string') return false;
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  const m = IPV4_DOTTED.exec(h);
  if (!m) return false;
  const octets = m.slice(1).map((o) => Number(o));
  return octets[0] === 127 && octets.every((o) => o >= 0 && o <= 255);
}

/** Hosts (`URL.host`, i.e. hostname plus any non-default port) of every cloud's Graph root. */
const KNOWN_GRAPH_HOSTS: ReadonlySet<string> = new Set(Object.values(CLOUDS).map((c) => new URL(c.graphRoot).host));

/**
 * The Graph root (an origin: scheme, host and any port, **no trailing slash**) a run talks to,
 * e.g. `https://graph.microsoft.com` or `http://127.0.0.1:4567`.
 *
 * - `graphUrl` given: it must parse as an absolute `http:`/`https:` URL with no path beyond `/`, no query,
 *   no fragment and no user info. `http:` is accepted only for a loopback host ({@link isLoopbackHost};
 *   docs/graph-behaviour.md §4). The host must be the Graph root host of one of {@link CLOUDS} (any cloud, default
 *   port) or a loopback host, unless `allowHost` is true: bearer tokens for Graph must never go to
 *   another host. `allowHost` never relaxes the http rule.
 * - otherwise: `CLOUDS[cloud].graphRoot`, `cloud` defaulting to `'global'`.
 *
 * @throws GraphConfigError for every rule above and for an unknown `cloud`.
 */
export function resolveGraphRoot(opts: { graphUrl?: string; cloud?: Cloud; allowHost?: boolean }): string {
  const cloud = opts.cloud ?? 'global';
  if (!isCloud(cloud)) {
    throw new GraphConfigError(`unknown cloud ${JSON.stringify(cloud)}: expected one of ${Object.keys(CLOUDS).join(', ')}`);
  }
  if (opts.graphUrl === undefined) return CLOUDS[cloud].graphRoot;

  const raw = opts.graphUrl;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new GraphConfigError('Graph URL is empty');
  }
  const shown = showUrl(raw);
  if (raw !== raw.trim()) {
    throw new GraphConfigError(`Graph URL ${shown} has leading or trailing whitespace`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GraphConfigError(`Graph URL ${shown} is not a valid absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GraphConfigError(`Graph URL ${shown} must use https (or http for loopback only)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new GraphConfigError(`Graph URL ${shown} must not contain credentials`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new GraphConfigError(
      `Graph URL ${shown} must be a root such as https://graph.microsoft.com ` + `(no path: the API version is added per request)`,
    );
  }
  // `new URL` drops an empty "?" or "#": check the raw text too.
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
    throw new GraphConfigError(`Graph URL ${shown} must not have a query or fragment`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === 'http:' && !loopback) {
    throw new GraphConfigError(
      `Graph URL ${shown} uses http for a non-loopback host: only https is allowed ` + `(http only for localhost, 127.0.0.0/8 or [::1])`,
    );
  }
  if (!loopback && !KNOWN_GRAPH_HOSTS.has(url.host) && opts.allowHost !== true) {
    throw new GraphConfigError(
      `Graph URL host ${JSON.stringify(url.host)} is not a Microsoft Graph root ` +
        `(${[...KNOWN_GRAPH_HOSTS].join(', ')}) nor loopback; access tokens would be sent to it. ` +
        `Pass allowUnknownHost (--allow-unknown-host) to accept it deliberately.`,
    );
  }
  return url.origin;
}

/** A URL for a message, JSON-quoted, with any user info (`user:password@`) replaced by `…@`. */
function showUrl(raw: string): string {
  return JSON.stringify(raw.replace(/^([^:/?#]*:\/\/)[^/?#]*@/, '$1…@'));
}

/** Hosts (`URL.host`) of every cloud's Entra sign-in authority. */
const KNOWN_AUTHORITY_HOSTS: ReadonlySet<string> = new Set(Object.values(CLOUDS).map((c) => new URL(c.authorityHost).host));

/**
 * Checks a sign-in authority host (`authorityHost` option or `AZURE_AUTHORITY_HOST`) before a client
 * secret, certificate assertion or federated token is sent to it. It must be an absolute `https:`
 * URL without user info, query or fragment, whose host is the authority host of one of
 * {@link CLOUDS} (`login.microsoftonline.com`, `login.microsoftonline.us`, `login.chinacloudapi.cn`)
 * or a loopback host ({@link isLoopbackHost}), unless `allowHost` is true (a private authority).
 * `allowHost` never relaxes the https rule (Entra sign-in is https only; docs/graph-behaviour.md §4).
 * @returns the URL as given, without trailing slashes.
 * @throws GraphConfigError for every rule above.
 */
export function checkAuthorityHost(authorityHost: string, opts: { allowHost?: boolean } = {}): string {
  const shown = showUrl(String(authorityHost));
  let url: URL;
  try {
    url = new URL(authorityHost);
  } catch {
    throw new GraphConfigError(`authority host ${shown} is not a valid absolute URL`);
  }
  if (url.protocol !== 'https:') {
    throw new GraphConfigError(`authority host ${shown} must be an https URL (Entra sign-in is https only)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new GraphConfigError(`authority host ${shown} must not contain credentials`);
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(authorityHost)) {
    throw new GraphConfigError(`authority host ${shown} must not have a query or fragment`);
  }
  if (!isLoopbackHost(url.hostname) && !KNOWN_AUTHORITY_HOSTS.has(url.host) && opts.allowHost !== true) {
    throw new GraphConfigError(
      `authority host ${JSON.stringify(url.host)} is not a Microsoft Entra sign-in host ` +
        `(${[...KNOWN_AUTHORITY_HOSTS].join(', ')}) nor loopback; the client secret or certificate would be sent to it. ` +
        `Pass allowUnknownHost (--allow-unknown-host) to accept it deliberately.`,
    );
  }
  return authorityHost.replace(/\/+$/, '');
}

/**
 * The OAuth 2.0 scope to request a Graph token for: `${graphRoot}/.default`, e.g.
 * `https://graph.microsoft.com/.default` (docs/graph-behaviour.md §4). A trailing slash on `graphRoot` is
 * ignored. Loopback roots keep the same form (`http://127.0.0.1:4567/.default`); the emulator does not
 * validate the audience.
 */
export function tokenScope(graphRoot: string): string {
  return `${graphRoot.replace(/\/+$/, '')}/.default`;
}

/**
 * What a failed connection means, as one pure function: which host (or proxy) failed, how, whether a
 * retry can cure it, and what to tell the admin. Node's socket and TLS error codes are mapped to a
 * few kinds:
 *
 * - `tls`: the certificate cannot be trusted (unknown or self-signed CA — typical of TLS inspection —,
 *   name mismatch, expired, not yet valid, revoked) or TLS could not be spoken at all. Never cured by
 *   retrying.
 * - `proxy-auth`: the proxy answered 407 (no or wrong `user:password@`). Never cured by retrying.
 * - `proxy`: the proxy refused or could not make the tunnel (403 by its rules, 502/503/504 when it
 *   cannot reach the host).
 * - `dns`: the host name does not resolve; `refused`: nothing listens on the port; `unreachable`:
 *   no route. Curable only by a change on this side or a return of the service: a dead path when no
 *   request has succeeded yet.
 * - `timeout`, `reset`, `other`: transient as far as we know.
 *
 * Source: docs/graph-behaviour.md §6.
 */

/** Kinds of network failure; see the module comment. */
export type NetworkFaultKind = 'tls' | 'proxy-auth' | 'proxy' | 'dns' | 'refused' | 'unreachable' | 'timeout' | 'reset' | 'other';

/** One classified network failure. Texts hold no secret (proxy passwords are never in `proxy`). */
export interface NetworkFault {
  kind: NetworkFaultKind;
  /** The host:port that failed: the proxy's when the failure is the proxy's, else the target's. */
  host: string;
  /** Node's error code (`ECONNREFUSED`, `SELF_SIGNED_CERT_IN_CHAIN`, …) or `HTTP 407` for a proxy answer. */
  code: string;
  /** The proxy in use (display form, no password), when the request went through one. */
  proxy?: string;
  /** True when no retry can cure it (`tls`, `proxy-auth`): the run stops at once. */
  permanent: boolean;
  /** True for the kinds that mean "this way out does not work" before any success: dns, refused, unreachable, proxy. */
  deadPath: boolean;
  /** One line naming the host, the problem and what to do. */
  message: string;
}

/** What was being reached when the failure happened. */
export interface FaultContext {
  /** The request's URL (target). */
  url: URL;
  /** The proxy used, display form (see `displayProxy`), if any. */
  proxy?: string;
}

const TLS_UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);
const TLS_NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const TLS_TIME = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const TLS_OTHER = new Set(['CERT_REVOKED', 'CERT_REJECTED', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO', 'ERR_TLS_HANDSHAKE_TIMEOUT']);

/** What to do about a certificate nobody here trusts. */
export const TRUST_ADVICE =
  "if your network inspects TLS, trust the company's root CA: export it as PEM (Base-64) and run with --ca-file <file>, or set NODE_EXTRA_CA_CERTS=<file> before starting; never turn verification off";

function hostOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** `host:port` of a proxy display URL (`http://user:<redacted>@h:p` → `h:p`). */
function proxyHost(display: string): string {
  try {
    const u = new URL(display.replace(':<redacted>@', '@'));
    return hostOf(u);
  } catch {
    return display;
  }
}

/**
 * Classifies a socket/TLS error from Node's `http`/`https` client (or one with the real error as
 * `cause`, as fetch and @azure/core-rest-pipeline wrap them).
 * Connection failures that happen before the tunnel (refused, DNS, unreachable) are the proxy's when a
 * proxy is in use; TLS failures are the target's (TLS runs end to end through the tunnel).
 */
export function classifyNetworkFault(err: unknown, context: FaultContext): NetworkFault {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const code = String(e?.code ?? e?.cause?.code ?? '') || 'unknown';
  const text = String(e?.cause?.message ?? e?.message ?? err ?? '');
  const target = hostOf(context.url);
  const via = context.proxy ? ` through proxy ${context.proxy}` : '';
  const fault = (kind: NetworkFaultKind, host: string, message: string): NetworkFault => ({
    kind,
    host,
    code,
    ...(context.proxy ? { proxy: context.proxy } : {}),
    permanent: kind === 'tls' || kind === 'proxy-auth',
    deadPath: kind === 'dns' || kind === 'refused' || kind === 'unreachable' || kind === 'proxy',
    message,
  });
  if (TLS_UNTRUSTED.has(code) || TLS_NAME.has(code) || TLS_TIME.has(code) || TLS_OTHER.has(code) || /certificate/i.test(code)) {
    const problem = TLS_UNTRUSTED.has(code)
      ? `its certificate is not signed by a CA this machine trusts (${code})`
      : TLS_NAME.has(code)
        ? `its certificate is for another host name (${code})`
        : TLS_TIME.has(code)
          ? `its certificate is outside its validity dates (${code}; also check this machine's clock)`
          : `TLS failed (${code}: ${text})`;
    return fault('tls', target, `cannot trust ${target}${via}: ${problem}; ${TRUST_ADVICE}`);
  }
  const where = context.proxy ? proxyHost(context.proxy) : target;
  const whose = context.proxy ? `proxy ${context.proxy}` : target;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return fault(
        'dns',
        where,
        `cannot resolve ${where.replace(/:\d+$/, '')} (${code}): check the ${context.proxy ? 'proxy URL' : 'host name (--graph-url, --authority-host)'} and this machine's DNS${context.proxy ? '' : '; a network that only lets you out through a proxy needs HTTPS_PROXY or --proxy'}`,
      );
    case 'ECONNREFUSED':
      return fault(
        'refused',
        where,
        `connection refused by ${whose} (ECONNREFUSED): nothing listens there${context.proxy ? ': check the proxy URL and port' : ': check --graph-url / --authority-host, and whether this network needs a proxy (HTTPS_PROXY or --proxy)'}`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return fault(
        'unreachable',
        where,
        `no route to ${whose} (${code}): check the network, the firewall, or the proxy (HTTPS_PROXY or --proxy)`,
      );
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return fault('timeout', where, `connecting to ${whose} timed out (${code})`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return fault('reset', target, `the connection to ${target}${via} was dropped (${code})`);
    default:
      return fault('other', target, `network error reaching ${target}${via}: ${code === 'unknown' ? '' : `${code}: `}${text}`);
  }
}

/**
 * Classifies a proxy's own answer: the proxy's status to a `CONNECT` (for an https target), or a 407
 * for an http target. 407 → `proxy-auth`; anything else → `proxy` (a refusal by the proxy's rules,
 * or a proxy that cannot reach the host).
 * @param status the proxy's HTTP status; `detail` e.g. squid's `X-Squid-Error` header, if any.
 */
export function classifyProxyAnswer(status: number, context: FaultContext & { proxy: string }, detail?: string): NetworkFault {
  const target = hostOf(context.url);
  const code = `HTTP ${status}`;
  const extra = detail ? ` (${detail})` : '';
  if (status === 407) {
    return {
      kind: 'proxy-auth',
      host: proxyHost(context.proxy),
      code,
      proxy: context.proxy,
      permanent: true,
      deadPath: true,
      message: `proxy ${context.proxy} requires authentication (407 Proxy Authentication Required)${extra}: give the proxy account as user:password@ before the host in HTTPS_PROXY or --proxy (percent-encode special characters), and check the password`,
    };
  }
  return {
    kind: 'proxy',
    host: proxyHost(context.proxy),
    code,
    proxy: context.proxy,
    permanent: false,
    deadPath: true,
    message: `proxy ${context.proxy} did not connect to ${target}: it answered ${status}${extra}; ${status === 403 ? 'the proxy does not allow this host: ask for graph.microsoft.com and login.microsoftonline.com (or your cloud) to be allowed' : 'the proxy cannot reach the host: check the host name and the proxy'}`,
  };
}

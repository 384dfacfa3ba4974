import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Network } from './network.js';
import { classifyNetworkFault, classifyProxyAnswer, type NetworkFault } from './network-fault.js';

/** One HTTP request as graph-bulk sends it. */
export interface HttpRequest {
  method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** JSON-serialisable body; sent with `Content-Type: application/json`. */
  body?: unknown;
  /** Abort after this many ms (connection, request and the whole answer); reported as a `timeout` network error. */
  timeoutMs: number;
  /** Aborting it abandons the request (the run is stopping); reported as an `other` network error. */
  signal?: AbortSignal;
  /** The way out (proxy, CAs; see `createNetwork`). Default: direct, Node's trust. */
  network?: Network;
  /** Largest response body read, in bytes (default {@link MAX_RESPONSE_BYTES}); a larger one fails the request (`tooLarge`). */
  maxResponseBytes?: number;
}

/**
 * Default limit of a response body, bytes: 16 MiB. Graph's answers are kilobytes (a `$batch` of 20
 * device reads with every property is well under 100 KB); anything near this is not Graph's answer,
 * and reading it whole would only exhaust memory.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Response headers: lower-case names, as Node's HTTP client hands them over. */
export type ResponseHeaders = IncomingHttpHeaders;

/** What came back: a response, or a network failure with no response. */
export type HttpResult =
  | { ok: true; status: number; headers: ResponseHeaders; text: string; json: unknown }
  | {
      ok: false;
      networkError: 'timeout' | 'reset' | 'refused' | 'other';
      message: string;
      /** What the failure means (host, kind, whether retrying can help): absent for timeouts and abandoned requests. */
      fault?: NetworkFault;
      /** The answer's body passed `maxResponseBytes` and was not read. */
      tooLarge?: true;
    };

/** Keep-alive connection pools, one per scheme (idle connections do not keep the process alive). */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * Sends one request with Node's own `http`/`https` client over keep-alive pooled connections and
 * reads the whole body. (Not `fetch`: at hundreds of requests a second its WHATWG streams and abort
 * signals cost about four times the CPU per request.) Never throws for network trouble: a timeout,
 * a dropped connection or a refused connection comes back as `{ok: false, networkError}` so the
 * retry policy can decide, with a {@link NetworkFault} saying what it means (host, certificate, proxy).
 * With `req.network` the request goes the way it says (a forward proxy, extra CAs); a proxy's own
 * refusal (407, or a failed `CONNECT`) comes back as a failure with a `proxy-auth` / `proxy` fault,
 * never as a Graph answer. The body is parsed as JSON when it is JSON, else `json` is undefined and
 * `text` holds it.
 */
export function sendHttp(req: HttpRequest): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      finish({ ok: false, networkError: 'other', message: 'network error: invalid URL' });
      return;
    }
    const headers: Record<string, string> = { ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const client = url.protocol === 'https:' ? https : http;
    let agent: http.Agent;
    let proxy: string | undefined;
    try {
      agent = req.network ? req.network.agentFor(url) : url.protocol === 'https:' ? AGENTS['https:'] : AGENTS['http:'];
      proxy = req.network?.proxyFor(url)?.display;
    } catch (err) {
      finish({ ok: false, networkError: 'other', message: `network error: ${(err as Error).message}` });
      return;
    }
    const failed = (err: unknown): HttpResult => {
      const fault = classifyNetworkFault(err, { url, proxy });
      const coarse = classifyNetworkError(err);
      return { ok: false, ...coarse, ...(coarse.networkError === 'timeout' ? {} : { message: fault.message, fault }) };
    };
    const request = client.request(url, { method: req.method, headers, agent }, (res) => {
      // The proxy's own answer: a 407 (http target), or any answer to the CONNECT of an https target,
      // which comes back over the plain socket to the proxy instead of a TLS one (https-proxy-agent).
      if (proxy && (res.statusCode === 407 || (url.protocol === 'https:' && !(res.socket as TLSSocket | null)?.encrypted))) {
        res.resume();
        const detail = [res.headers['x-squid-error'], res.statusMessage].find((v) => typeof v === 'string' && v) as string | undefined;
        const fault = classifyProxyAnswer(res.statusCode ?? 0, { url, proxy }, detail);
        finish({ ok: false, networkError: 'other', message: fault.message, fault });
        request.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      const limit = req.maxResponseBytes ?? MAX_RESPONSE_BYTES;
      let received = Number(res.headers['content-length'] ?? 0) > limit ? limit + 1 : 0;
      const tooLarge = () => {
        const message = `response body larger than ${limit} bytes (HTTP ${res.statusCode}): not read`;
        finish({ ok: false, networkError: 'other', message, tooLarge: true });
        request.destroy();
      };
      if (received > limit) {
        tooLarge();
        return;
      }
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit) tooLarge();
        else chunks.push(chunk);
      });
      res.on('error', (err) => finish(failed(err)));
      res.on('aborted', () => finish({ ok: false, networkError: 'reset', message: 'connection dropped before a response' }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        if (text.length > 0 && /json/i.test(res.headers['content-type'] ?? '')) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        finish({ ok: true, status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    timer = setTimeout(() => {
      finish({ ok: false, networkError: 'timeout', message: 'request timed out' });
      request.destroy();
    }, req.timeoutMs);
    // The run abandoning what is in flight (drain timeout after a stop).
    const abandon = () => {
      finish({ ok: false, networkError: 'other', message: 'request abandoned: the run is stopping' });
      request.destroy();
    };
    req.signal?.addEventListener('abort', abandon, { once: true });
    request.on('close', () => req.signal?.removeEventListener('abort', abandon));
    request.on('error', (err) => finish(failed(err)));
    if (req.signal?.aborted) abandon();
    else request.end(body);
  });
}

/** Maps an HTTP client failure (Node's socket errors, or fetch's with the cause attached) to the
 * retry policy's network error kinds. Messages carry no secrets. */
export function classifyNetworkError(err: unknown): { networkError: 'timeout' | 'reset' | 'refused' | 'other'; message: string } {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return { networkError: 'timeout', message: 'request timed out' };
  }
  const code = e?.code ?? e?.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return { networkError: 'refused', message: 'connection refused' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    return { networkError: 'reset', message: 'connection dropped before a response' };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return { networkError: 'timeout', message: 'request timed out' };
  }
  return { networkError: 'other', message: `network error${code ? ` ${code}` : ''}: ${e?.cause?.message ?? e?.message ?? String(err)}` };
}

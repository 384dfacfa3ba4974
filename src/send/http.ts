/** One HTTP request as graph-bulk sends it. */
export interface HttpRequest {
  method: 'GET' | 'PATCH' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** JSON-serialisable body; sent with `Content-Type: application/json`. */
  body?: unknown;
  /** Abort after this many ms; reported as a `timeout` network error. */
  timeoutMs: number;
  /** Aborting it abandons the request (the run is stopping); reported as an `other` network error. */
  signal?: AbortSignal;
}

/** What came back: a response, or a network failure with no response. */
export type HttpResult =
  | { ok: true; status: number; headers: Headers; text: string; json: unknown }
  | { ok: false; networkError: 'timeout' | 'reset' | 'refused' | 'other'; message: string };

/**
 * Sends one request with Node's fetch (keep-alive pooled connections) and reads the whole body.
 * Never throws for network trouble: a timeout, a dropped connection or a refused connection comes
 * back as `{ok: false, networkError}` so the retry policy can decide. The body is parsed as JSON
 * when it is JSON, else `json` is undefined and `text` holds it.
 */
export async function sendHttp(req: HttpRequest): Promise<HttpResult> {
  const headers: Record<string, string> = { ...req.headers };
  let body: string | undefined;
  if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['Content-Type'] = 'application/json';
  }
  // One controller per request: the timeout, or the run abandoning what is in flight.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), req.timeoutMs);
  const abandon = () => controller.abort();
  req.signal?.addEventListener('abort', abandon, { once: true });
  try {
    if (req.signal?.aborted) abandon();
    const res = await fetch(req.url, { method: req.method, headers, body, signal: controller.signal });
    const text = await res.text();
    let json: unknown;
    if (text.length > 0 && /json/i.test(res.headers.get('content-type') ?? '')) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { ok: true, status: res.status, headers: res.headers, text, json };
  } catch (err) {
    if (req.signal?.aborted) return { ok: false, networkError: 'other', message: 'request abandoned: the run is stopping' };
    return { ok: false, ...classifyNetworkError(err) };
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', abandon);
  }
}

/** Maps a fetch failure to the retry policy's network error kinds. Messages carry no secrets. */
export function classifyNetworkError(err: unknown): { networkError: 'timeout' | 'reset' | 'refused' | 'other'; message: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return { networkError: 'timeout', message: 'request timed out' };
  }
  const code = e?.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return { networkError: 'refused', message: 'connection refused' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    return { networkError: 'reset', message: 'connection dropped before a response' };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return { networkError: 'timeout', message: 'request timed out' };
  }
  return { networkError: 'other', message: `network error${code ? ` ${code}` : ''}: ${e?.cause?.message ?? e?.message ?? String(err)}` };
}

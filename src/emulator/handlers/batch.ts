/**
 * `POST /$batch` (docs/graph-behaviour.md §2). The envelope is validated as a whole (400 for the whole
 * batch); then each inner request is evaluated — and throttled — on its own, in request order;
 * the responses are returned in a seeded shuffled order with outer status 200.
 *
 * Inner requests: urls relative to the version root (`/devices/…`; a url starting `/v1.0/`, or
 * an absolute url, gets an inner 400 "Resource not found for the segment 'v1.0'."); no auth check
 * (the outer request's token covers the batch); a body whose Content-Type is not JSON is
 * unreadable (inner 400); `dependsOn` on a failed request → inner 424.
 * Inner responses: `{"id","status","headers":{…},"body"?}` — `body` is omitted for 204; a body
 * that is not JSON (an HTML error page) is base64-encoded, its `Content-Type` in `headers`; the
 * `Retry-After` header name of an inner 429 is `Retry-After` or `retry-after` (seeded), since
 * the header case varies in Graph; no `request-id` or `client-request-id` headers (Graph sends few
 * inner headers: docs/graph-behaviour.md §2).
 */
import { randomUUID } from 'node:crypto';
import { headerValue, isJsonContentType, parseBatchEnvelope, type BatchInnerRequest } from '../batch.js';
import { errorResult, type CallBody, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import { SERVICE_UNAVAILABLE_HTML, planInnerFault } from '../faults.js';
import { renderResult } from '../respond.js';
import { parseResourcePath, type ResourceRoute } from '../routes.js';
import { logHeaders } from '../stats.js';

/** One inner response as serialised in `{"responses":[…]}`. */
export interface BatchInnerResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Resolves an inner url to a route and query. */
function innerRoute(url: string): { route: ResourceRoute; path: string; params: URLSearchParams } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    // Absolute url: Graph resolves it against the version root and trips on its first segment.
    let first = '';
    try {
      first = safeDecode(new URL(url).pathname).replace(/^\/+/, '').split('/')[0] ?? '';
    } catch {
      first = url;
    }
    return { route: { kind: 'error', error: GraphErrors.segmentNotFound(first) }, path: url, params: new URLSearchParams() };
  }
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const path = safeDecode(rawPath);
  return { route: parseResourcePath(path), path, params };
}

function innerBody(req: BatchInnerRequest): CallBody {
  if (!req.hasBody) return { kind: 'none' };
  if (!isJsonContentType(headerValue(req.headers, 'content-type'))) return { kind: 'unreadable' };
  return { kind: 'json', value: req.body };
}

/** Handles one inner request whose route is parsed (the dispatcher's `dispatchRoute`, passed in so
 * this module does not import the dispatcher that imports it). */
export type RouteHandler = (ctx: EmulatorContext, call: GraphCall, route: ResourceRoute) => GraphResult;

/** Handles a `$batch` call (outer): each inner request goes to `dispatchInner`. */
export function handleBatch(ctx: EmulatorContext, call: GraphCall, dispatchInner: RouteHandler): GraphResult {
  if (call.body.kind !== 'json') return errorResult(GraphErrors.unreadableJson());
  const envelope = parseBatchEnvelope(call.body.value);
  if (!envelope.ok) return errorResult(envelope.error);

  const statusById = new Map<string, number>();
  const responses: BatchInnerResponse[] = [];
  for (const req of envelope.requests) {
    const entry = ctx.log.add({
      at: Date.now(),
      method: req.method,
      path: req.url,
      viaBatch: true,
      batchId: req.id,
      batchRequestId: call.requestId,
      requestId: randomUUID(),
      body: req.hasBody ? structuredClone(req.body) : undefined,
      headers: logHeaders(req.headers),
    });
    const fault = planInnerFault(ctx.prng, ctx.settings);
    const caseVariant = ctx.prng.chance(0.5);
    let result: GraphResult;
    const failedDep = req.dependsOn.find((d) => {
      const s = statusById.get(d.toLowerCase());
      return s === undefined || s < 200 || s > 299;
    });
    if (failedDep !== undefined) {
      result = errorResult(GraphErrors.failedDependency());
    } else if (fault === 'ServiceUnavailableHtml') {
      ctx.stats.faults.inner503 += 1;
      result = { status: 503, headers: {}, text: { contentType: 'text/html', body: SERVICE_UNAVAILABLE_HTML } };
    } else if (fault) {
      ctx.stats.faults.inner500 += 1;
      result = errorResult(GraphErrors.internal(fault));
    } else {
      const { route, path, params } = innerRoute(req.url);
      const inner: GraphCall = {
        ...call,
        method: req.method,
        path,
        params,
        body: innerBody(req),
        viaBatch: true,
        // an inner request carries its own headers (docs/graph-behaviour.md §5: ConsistencyLevel goes there)
        consistencyLevel: headerValue(req.headers, 'consistencylevel'),
      };
      result = dispatchInner(ctx, inner, route);
    }
    const clientRequestId = headerValue(req.headers, 'client-request-id') ?? call.clientRequestId;
    const rendered = renderResult(result, { requestId: entry.requestId, clientRequestId }, Date.now(), true);
    const headers = { ...rendered.headers };
    if (headers['Retry-After'] !== undefined && caseVariant) {
      headers['retry-after'] = headers['Retry-After'];
      delete headers['Retry-After'];
    }
    entry.status = result.status;
    entry.outcome = 'answered';
    const retryAfter = result.headers['Retry-After'];
    if (retryAfter !== undefined) entry.retryAfter = Number(retryAfter);
    ctx.stats.inner(result.status);
    statusById.set(req.id.toLowerCase(), result.status);
    const response: BatchInnerResponse = { id: req.id, status: result.status, headers };
    if (rendered.json !== undefined) response.body = rendered.json;
    // Not JSON: base64 (docs/graph-behaviour.md §2, "base64 URL-encoded value").
    else if (rendered.text !== undefined) response.body = Buffer.from(rendered.text, 'utf8').toString('base64');
    responses.push(response);
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' },
    json: { responses: ctx.prng.shuffle(responses) },
  };
}

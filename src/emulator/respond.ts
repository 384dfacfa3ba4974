/**
 * Turns a {@link GraphResult} into the headers and body Graph would send, for an outer HTTP
 * response or an inner batch response. Every response carries `request-id` (a GUID),
 * `client-request-id` (echoed, or the request-id when the client sent none) and
 * `x-ms-resource-unit: 1`; errors get Graph's error body with the same ids in `innerError`.
 * An inner `$batch` response carries no `request-id` / `client-request-id` headers (Graph sends
 * few inner headers: docs/graph-behaviour.md §2); its error body still names the ids.
 */
import type { GraphResult } from './context.js';
import { errorBody } from './errors.js';

/** Rendered response: headers (names as Graph spells them) and body (JSON value, text, or none). */
export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body (undefined = no body). */
  json?: unknown;
  /** Non-JSON body text. */
  text?: string;
}

/**
 * @param result the handler's answer
 * @param ids `request-id` and `client-request-id` of this response
 * @param epochMs time for the error `innerError.date`
 * @param inner render an inner response of a `$batch` (no id headers)
 */
export function renderResult(
  result: GraphResult,
  ids: { requestId: string; clientRequestId: string },
  epochMs: number,
  inner = false,
): RenderedResponse {
  const headers: Record<string, string> = {
    'Cache-Control': 'no-cache',
    ...(inner ? {} : { 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId }),
    'x-ms-resource-unit': '1',
    ...result.headers,
  };
  if (result.text) {
    headers['Content-Type'] = result.text.contentType;
    return { status: result.status, headers, text: result.text.body };
  }
  if (result.error) {
    headers['Content-Type'] = 'application/json';
    return { status: result.status, headers, json: errorBody(result.error, ids, epochMs) };
  }
  if (result.json !== undefined) return { status: result.status, headers, json: result.json };
  return { status: result.status, headers };
}

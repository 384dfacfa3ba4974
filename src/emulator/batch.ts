/**
 * JSON batching envelope rules (docs/graph-behaviour.md §2), pure: parsing and whole-batch validation.
 * Inner requests are then executed one by one by the batch handler.
 */
import { GraphErrors, type GraphErrorSpec } from './errors.js';

/** Graph's limit on requests in one `$batch`. */
export const MAX_BATCH_REQUESTS = 20;

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT']);
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

/** One inner request after envelope validation. */
export interface BatchInnerRequest {
  /** As sent (string). Unique in the batch, compared case-insensitively. */
  id: string;
  /** Upper case. */
  method: string;
  /** As sent, e.g. `/devices/{id}` (relative to the version root). */
  url: string;
  /** As sent (header names keep their case). */
  headers: Record<string, string>;
  /** `true` when the request carried a non-null `body`. */
  hasBody: boolean;
  /** The JSON value of `body` (only meaningful when `hasBody`). */
  body: unknown;
  /** Ids of earlier requests this one waits for. */
  dependsOn: string[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Case-insensitive header lookup. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Validates a parsed `$batch` body `{"requests":[…]}`. Whole-batch 400 `BadRequest` when:
 * not an object with a `requests` array, or empty; more than 20 requests ("Number of requests
 * inside batch exceeds the limit"); an entry without a string `id`, a known `method`, a string
 * `url`; `headers` not an object of strings; duplicate ids (case-insensitive: "Request Id … has to
 * be unique in a batch."); a write (POST/PATCH/PUT) without body, or any body without a
 * `Content-Type` header ("Write request id : … does not contain Content-Type header or body.");
 * `dependsOn` naming an id that is not an earlier request.
 * The Content-Type *value* is checked later, per inner request (not JSON → inner 400).
 */
export function parseBatchEnvelope(json: unknown): { ok: true; requests: BatchInnerRequest[] } | { ok: false; error: GraphErrorSpec } {
  const fail = (error: GraphErrorSpec) => ({ ok: false as const, error });
  if (!isPlainObject(json) || !Array.isArray(json.requests)) return fail(GraphErrors.batchInvalid('Expected {"requests":[…]}.'));
  const list = json.requests as unknown[];
  if (list.length > MAX_BATCH_REQUESTS) return fail(GraphErrors.batchTooLarge());
  if (list.length === 0) return fail(GraphErrors.batchInvalid('The batch contains no requests.'));
  const seen = new Set<string>();
  const out: BatchInnerRequest[] = [];
  for (const [index, entry] of list.entries()) {
    if (!isPlainObject(entry)) return fail(GraphErrors.batchInvalid(`Request #${index + 1} is not an object.`));
    const { id, method, url, headers, body, dependsOn } = entry;
    if (typeof id !== 'string' || id === '') return fail(GraphErrors.batchInvalid(`Request #${index + 1}: id must be a non-empty string.`));
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) {
      return fail(GraphErrors.batchInvalid(`Request id ${id}: invalid method ${JSON.stringify(method)}.`));
    }
    if (typeof url !== 'string' || url === '') return fail(GraphErrors.batchInvalid(`Request id ${id}: url must be a non-empty string.`));
    if (headers !== undefined && headers !== null) {
      if (!isPlainObject(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
        return fail(GraphErrors.batchInvalid(`Request id ${id}: headers must be an object of strings.`));
      }
    }
    const lowerId = id.toLowerCase();
    if (seen.has(lowerId)) return fail(GraphErrors.batchDuplicateId(id));
    const hdrs = (headers ?? {}) as Record<string, string>;
    const upper = method.toUpperCase();
    const hasBody = body !== undefined && body !== null;
    if ((WRITE_METHODS.has(upper) || hasBody) && (!hasBody || headerValue(hdrs, 'content-type') === undefined)) {
      return fail(GraphErrors.batchMissingContentType(id));
    }
    let deps: string[] = [];
    if (dependsOn !== undefined && dependsOn !== null) {
      if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
        return fail(GraphErrors.batchInvalid(`Request id ${id}: dependsOn must be an array of ids.`));
      }
      deps = dependsOn as string[];
      for (const dep of deps) if (!seen.has(dep.toLowerCase())) return fail(GraphErrors.batchUnknownDependency(id, dep));
    }
    seen.add(lowerId);
    out.push({ id, method: upper, url, headers: { ...hdrs }, hasBody, body, dependsOn: deps });
  }
  return { ok: true, requests: out };
}

/** True when a Content-Type value is JSON (`application/json`, optionally with parameters). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * JSON batching: building `POST /$batch` bodies and matching the responses back to requests.
 *
 * Encodes docs/graph-behaviour.md §2. Sources: learn.microsoft.com/en-us/graph/json-batching
 * (microsoft-graph-docs-contrib concepts/json-batching.md), learn.microsoft.com/en-us/graph/throttling
 * ("Throttling and batching"), msgraph-sdk-javascript issues 1178 and 1451 (the `/v1.0/` inner url bug).
 */
import { getHeader } from './headers.js';
import { parseRetryAfterMs } from './retry-after.js';

/** Most requests one `$batch` may carry; more and Graph rejects the whole batch with 400 (docs/graph-behaviour.md §2). */
export const MAX_BATCH_REQUESTS = 20;

/**
 * One request inside a batch.
 * - `id`: synthetic, unique case-insensitively within the batch (use e.g. the row number, never the device id).
 * - `url`: relative to the version root, e.g. `/devices/{id}` (see `devicePath` in ./urls.ts).
 * - `body`: JSON value for PATCH; absent for GET.
 * - `headers`: extra request headers; `Content-Type: application/json` is added when there is a body.
 */
export interface BatchItem {
  id: string;
  method: 'PATCH' | 'GET' | 'DELETE';
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by {@link buildBatchBody} for a batch Graph would reject (or that would address the wrong resource). */
export class BatchBuildError extends Error {
  override readonly name: string = 'BatchBuildError';
  constructor(message: string) {
    super(message);
  }
}

/** Thrown by {@link parseBatchResponse} when the `$batch` response is not `{ "responses": [ … ] }` of well-formed entries. */
export class BatchResponseError extends Error {
  override readonly name: string = 'BatchResponseError';
  constructor(message: string) {
    super(message);
  }
}

function checkInnerUrl(url: unknown, id: string): asserts url is string {
  const bad = (why: string): never => {
    throw new BatchBuildError(`batch request ${JSON.stringify(id)}: url ${JSON.stringify(url)} ${why}`);
  };
  if (typeof url !== 'string' || url === '') bad('is empty');
  const u = url as string;
  if (/^http/i.test(u)) bad('must be relative to the version root, not absolute');
  if (!u.startsWith('/')) bad("must start with '/'");
  if (u.startsWith('//')) bad("must not start with '//'");
  if (/^\/(?:v1\.0|beta)(?:[/?#]|$)/i.test(u)) {
    bad('must not include the API version (Graph answers 400 "Resource not found for the segment \'v1.0\'")');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(u)) bad('contains whitespace or control characters');
  if (/(?:^|\/)(?:\.|%2e){1,2}(?:[/?#]|$)/i.test(u)) bad("contains a '.' or '..' path segment");
}

/**
 * Build the JSON body of a `$batch` request: `{ requests: [{ id, method, url, headers?, body? }] }`,
 * in the order given.
 *
 * Items with a `body` get `headers: { 'Content-Type': 'application/json', …item.headers }` (Graph requires
 * it when there is a body, docs/graph-behaviour.md §2); a caller-supplied Content-Type (any name case) is kept if it
 * is `application/json` (parameters allowed). Header objects are copied, not shared.
 *
 * @throws BatchBuildError when: there are 0 items or more than {@link MAX_BATCH_REQUESTS}; an id is empty,
 * not a string, or duplicated case-insensitively; the method is not PATCH/GET; a GET has a body; a
 * body-carrying item has a non-JSON Content-Type; a url is not relative to the version root (must start
 * with `/`, not `//`, not `/v1.0/` or `/beta/`, not `http…`), contains whitespace/control characters or a
 * `.`/`..` segment (also percent-encoded).
 */
export function buildBatchBody(items: readonly BatchItem[]): {
  requests: Array<{ id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown }>;
} {
  if (!Array.isArray(items) || items.length === 0) throw new BatchBuildError('a batch needs at least one request');
  if (items.length > MAX_BATCH_REQUESTS) {
    throw new BatchBuildError(`a batch holds at most ${MAX_BATCH_REQUESTS} requests, got ${items.length}`);
  }
  const seen = new Map<string, string>();
  const requests = items.map((item) => {
    const { id, method, url, body } = item;
    if (typeof id !== 'string' || id.trim() === '') {
      throw new BatchBuildError(`batch request id ${JSON.stringify(id)} must be a non-empty string`);
    }
    const folded = id.toLowerCase();
    const prior = seen.get(folded);
    if (prior !== undefined) {
      throw new BatchBuildError(
        `batch request id ${JSON.stringify(id)} duplicates ${JSON.stringify(prior)} (ids are compared case-insensitively)`,
      );
    }
    seen.set(folded, id);
    if (method !== 'PATCH' && method !== 'GET' && method !== 'DELETE') {
      throw new BatchBuildError(`batch request ${JSON.stringify(id)}: method ${JSON.stringify(method)} is not PATCH, GET or DELETE`);
    }
    checkInnerUrl(url, id);

    const out: { id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown } = {
      id,
      method,
      url,
    };
    const headers: Record<string, string> = { ...(item.headers ?? {}) };
    if (body !== undefined) {
      if (method !== 'PATCH') throw new BatchBuildError(`batch request ${JSON.stringify(id)}: a ${method} must not have a body`);
      const ct = getHeader(headers, 'content-type');
      if (ct === undefined) {
        out.headers = { 'Content-Type': 'application/json', ...headers };
      } else if (!/^application\/json\s*(?:;|$)/i.test(ct.trim())) {
        throw new BatchBuildError(`batch request ${JSON.stringify(id)}: Content-Type ${JSON.stringify(ct)} is not application/json`);
      } else {
        out.headers = headers;
      }
      out.body = body;
    } else if (item.headers !== undefined) {
      out.headers = headers;
    }
    return out;
  });
  return { requests };
}

/**
 * One inner response of a `$batch`.
 * - `status`: the inner HTTP status (the outer one is 200 whenever the batch parsed).
 * - `headers`: names lower-cased, values strings (`retry-after` is here for inner 429s).
 * - `body`: as Graph returned it (parsed JSON for JSON responses; absent → undefined); a body that
 *   is not JSON (inner `Content-Type` other than JSON) comes base64-encoded from Graph and is
 *   decoded here to its text (docs/graph-behaviour.md §2), e.g. an HTML error page.
 */
export interface InnerResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lowerCaseHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(h)) return out;
  for (const [k, v] of Object.entries(h)) {
    const name = k.toLowerCase();
    if (name in out) continue;
    if (typeof v === 'string') out[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = String(v);
    else if (Array.isArray(v) && v.length > 0) out[name] = v.map((x) => String(x)).join(', ');
  }
  return out;
}

/**
 * Match a `$batch` response to the requests sent (docs/graph-behaviour.md §2: responses come back **in any order**;
 * ids compare **case-insensitively**).
 *
 * `json` is the parsed response body (or its text, which is parsed). Returns:
 * - `byId`: inner responses keyed by the id **exactly as sent** (the response's `id` spelling is kept in
 *   `InnerResponse.id`); response headers lower-cased.
 * - `missing`: sent ids with no response, in `sentIds` order (treat as not attempted: re-queue them).
 * - `unexpected`: response ids that match no sent id, and ids answered more than once (only the first
 *   answer is kept in `byId`).
 *
 * An entry's `id` may be a string or number; `status` an integer 100–599 (or a numeric string).
 *
 * @throws BatchResponseError if `json` is not `{ responses: [...] }`, an entry is not an object with an id
 * and a valid status, or `sentIds` contains case-insensitive duplicates.
 */
export function parseBatchResponse(
  json: unknown,
  sentIds: readonly string[],
): { byId: Map<string, InnerResponse>; missing: string[]; unexpected: string[] } {
  let doc = json;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      throw new BatchResponseError('$batch response is not valid JSON');
    }
  }
  if (!isRecord(doc) || !Array.isArray(doc['responses'])) {
    throw new BatchResponseError('$batch response is not an object with a "responses" array');
  }
  const sentByFolded = new Map<string, string>();
  for (const id of sentIds) {
    const folded = String(id).toLowerCase();
    if (sentByFolded.has(folded)) throw new BatchResponseError(`sent ids contain ${JSON.stringify(id)} twice (case-insensitively)`);
    sentByFolded.set(folded, id);
  }

  const byId = new Map<string, InnerResponse>();
  const unexpected: string[] = [];
  (doc['responses'] as unknown[]).forEach((entry, i) => {
    if (!isRecord(entry)) throw new BatchResponseError(`$batch responses[${i}] is not an object`);
    const rawId = entry['id'];
    if (!((typeof rawId === 'string' && rawId !== '') || (typeof rawId === 'number' && Number.isFinite(rawId)))) {
      throw new BatchResponseError(`$batch responses[${i}] has no id`);
    }
    const id = String(rawId);
    const rawStatus = entry['status'];
    const status =
      typeof rawStatus === 'number'
        ? rawStatus
        : typeof rawStatus === 'string' && /^\d{3}$/.test(rawStatus.trim())
          ? Number(rawStatus)
          : NaN;
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new BatchResponseError(`$batch responses[${i}] (id ${JSON.stringify(id)}) has no valid status`);
    }
    const sent = sentByFolded.get(id.toLowerCase());
    if (sent === undefined || byId.has(sent)) {
      unexpected.push(id);
      return;
    }
    const headers = lowerCaseHeaders(entry['headers']);
    byId.set(sent, { id, status, headers, body: decodeInnerBody(entry['body'], headers['content-type']) });
  });
  const missing = sentIds.filter((id) => !byId.has(id));
  return { byId, missing, unexpected };
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * An inner body as the product reads it: Graph base64-encodes (URL-safe or not) a body whose
 * `Content-Type` is not JSON (docs/graph-behaviour.md §2; learn.microsoft.com/en-us/graph/json-batching).
 * Such a string is decoded to UTF-8 text; JSON values, bodies without a Content-Type and strings that
 * are not base64 are returned as they are. Pure, never throws.
 */
export function decodeInnerBody(body: unknown, contentType: string | undefined): unknown {
  if (typeof body !== 'string' || contentType === undefined) return body;
  if (/^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i.test(contentType.trim())) return body;
  const compact = body.replace(/\s+/g, '');
  if (compact === '' || !BASE64.test(compact)) return body;
  return Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

/**
 * The longest `Retry-After` (in **milliseconds**, via `parseRetryAfterMs`) among inner responses with
 * status 429, 503 or 504; `undefined` when none of them carries a parseable one. After a batch with inner
 * 429s, the failed requests are re-queued after this delay (docs/graph-behaviour.md §2: "after the longest inner
 * Retry-After"; learn.microsoft.com/en-us/graph/throttling).
 *
 * @param nowMs current time in ms since the epoch (for HTTP-date values).
 * @param outerDate the outer response's `Date` header: an HTTP-date `Retry-After` of an inner response
 *   without a `Date` of its own is measured against it (docs/graph-behaviour.md §6).
 */
export function longestRetryAfterMs(responses: Iterable<InnerResponse>, nowMs: number, outerDate?: string): number | undefined {
  let longest: number | undefined;
  for (const r of responses) {
    if (r.status !== 429 && r.status !== 503 && r.status !== 504) continue;
    const ms = parseRetryAfterMs(getHeader(r.headers, 'retry-after'), nowMs, getHeader(r.headers, 'date') ?? outerDate);
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}

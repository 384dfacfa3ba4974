/**
 * Graph error bodies → a small, safe {@link GraphError}, their text redacted (src/secrets/redact.ts).
 *
 * Encodes docs/graph-behaviour.md §1 ("Error body shape": decide by `status` and `error.code`, never by
 * `message`; bodies are not always JSON: 503s with an HTML page, or HTML inside `message`) and §3
 * (429 body). Sources: learn.microsoft.com/en-us/graph/errors, learn.microsoft.com/en-us/graph/throttling.
 */
import { redactSecrets } from '../secrets/redact.js';
import { getHeader, type HeaderBag } from './headers.js';

// The secret registry moved to src/secrets/redact.ts; re-exported for code that imports it from here.
export {
  MAX_REMEMBERED_SECRETS,
  MIN_REMEMBERED_SECRET_CHARS,
  redactSecrets,
  rememberEnvironmentSecrets,
  rememberSecret,
  SECRET_ENVIRONMENT_VARIABLES,
} from '../secrets/redact.js';

/**
 * One failed Graph response, reduced to what the results file and logs need.
 * - `status`: HTTP status of the (inner) response.
 * - `code`: `error.code` from the body, else derived from the status (see {@link statusErrorCode}).
 * - `message`: plain text, one line, secrets redacted, at most {@link MAX_MESSAGE_CHARS} characters
 *   ({@link MAX_SUMMARY_CHARS} when summarised from HTML or a non-JSON body).
 * - `requestId` / `clientRequestId`: from `error.innerError` or the `request-id` / `client-request-id`
 *   response headers; quote them to Microsoft support.
 */
export interface GraphError {
  status: number;
  code: string;
  message: string;
  requestId?: string;
  clientRequestId?: string;
}

/** Longest `message` kept from a JSON error body (characters). */
export const MAX_MESSAGE_CHARS = 500;
/** Longest summary made from an HTML page, HTML-bearing message, or other non-JSON body (characters). */
export const MAX_SUMMARY_CHARS = 200;

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  424: 'Failed Dependency',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const STATUS_CODES: Readonly<Record<number, string>> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/**
 * The error code used when a body carries none: `TooManyRequests` (429), `InternalServerError` (500),
 * `BadGateway` (502), `ServiceUnavailable` (503), `GatewayTimeout` (504), else `HTTP<status>`
 * (e.g. `HTTP404`).
 */
export function statusErrorCode(status: number): string {
  return STATUS_CODES[status] ?? `HTTP${status}`;
}

/** Does `s` look like HTML (contains a tag, comment, or doctype)? */
export function looksLikeHtml(s: string): boolean {
  return /<(?:!doctype|!--|\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>)/i.test(s);
}

function decodeEntities(s: string): string {
  return s
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&(?:apos|#39);/gi, "'")
    .replace(/&#(\d{1,7});/g, (all, d: string) => safeCodePoint(Number(d)) ?? all)
    .replace(/&#x([0-9a-f]{1,6});/gi, (all, h: string) => safeCodePoint(parseInt(h, 16)) ?? all)
    .replace(/&amp;/gi, '&');
}

function safeCodePoint(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0x20 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return undefined;
  return String.fromCodePoint(n);
}

function stripHtml(s: string): string {
  return decodeEntities(
    s
      .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
      .replace(/<(script|style|head)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, (m, tag: string) =>
        // keep a page's <title> (inside <head>) as the most useful line of an error page
        tag.toLowerCase() === 'head' ? ` ${/<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(m)?.[1] ?? ''} ` : ' ',
      )
      .replace(/<[^>]*(?:>|$)/g, ' '),
  );
}

function collapseWhitespace(s: string): string {
  // also turns control characters (C0, DEL and C1, e.g. a terminal's CSI \u009b) into spaces:
  // one line for logs and CSV cells, nothing a terminal would act on
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/** Cut `s` to at most `max` characters, ending with `…` when cut (never splitting a surrogate pair). */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 1);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${s.slice(0, end).trimEnd()}…`;
}

/**
 * A short, single-line, plain-text, redacted summary of server text: HTML is reduced to its text
 * (scripts/styles dropped, a `<title>` kept, tags stripped, entities decoded), whitespace collapsed,
 * at most `max` characters (default {@link MAX_SUMMARY_CHARS}).
 */
export function summarizeText(text: string, max: number = MAX_SUMMARY_CHARS): string {
  let s = redactSecrets(text);
  if (looksLikeHtml(s)) s = stripHtml(s);
  return truncate(collapseWhitespace(redactSecrets(s)), max);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function member(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const wanted = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === wanted) return obj[k];
  return undefined;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder('utf-8', { fatal: false }).decode(body);
  return undefined;
}

function cleanId(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = truncate(collapseWhitespace(redactSecrets(v)), 100);
  return s === '' ? undefined : s;
}

/**
 * Reduce a failed response to a {@link GraphError}.
 *
 * `body` may be the raw text, already-parsed JSON, bytes (`Uint8Array`, decoded as UTF-8) or
 * undefined. Graph's shape (docs/graph-behaviour.md §1):
 * `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * (`innererror` also accepted). The OAuth shape `{"error":"invalid_client","error_description":"…"}` is
 * understood too.
 *
 * - `code`: `error.code`, else {@link statusErrorCode}(status).
 * - `message`: `error.message` (redacted, one line, ≤ {@link MAX_MESSAGE_CHARS}); if it contains HTML, or
 *   the body is not a JSON error (HTML 503 page, plain text), a plain-text summary
 *   ≤ {@link MAX_SUMMARY_CHARS} ({@link summarizeText}). An empty body gives e.g.
 *   `Service Unavailable (HTTP 503, empty body)`. An HTML page never lands whole in the result.
 * - `requestId` / `clientRequestId`: `innerError['request-id']` / `['client-request-id']`, else the
 *   `request-id` / `client-request-id` headers.
 * Never throws.
 */
export function parseGraphError(status: number, body: unknown, headers?: HeaderBag): GraphError {
  const text = bodyText(body);
  let parsed: unknown = text === undefined ? body : undefined;
  if (text !== undefined && /^\s*[{[]/.test(text)) {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = undefined;
    }
  }

  let code: string | undefined;
  let message: string | undefined;
  let inner: Record<string, unknown> | undefined;
  if (isRecord(parsed)) {
    const err = member(parsed, 'error');
    if (isRecord(err)) {
      code = nonEmptyString(member(err, 'code'));
      const msg = nonEmptyString(member(err, 'message'));
      if (msg !== undefined) {
        message = looksLikeHtml(msg) ? summarizeText(msg) : truncate(collapseWhitespace(redactSecrets(msg)), MAX_MESSAGE_CHARS);
      }
      const ie = member(err, 'innerError');
      if (isRecord(ie)) inner = ie;
    } else if (typeof err === 'string' && err.trim() !== '') {
      code = err.trim();
      const desc = nonEmptyString(member(parsed, 'error_description'));
      if (desc !== undefined) message = summarizeText(desc, MAX_MESSAGE_CHARS);
    }
  }

  if (message === undefined || message === '') {
    const raw = text ?? (parsed !== undefined && parsed !== null ? safeStringify(parsed) : undefined);
    const summary = raw === undefined ? '' : summarizeText(raw);
    const reason = REASON_PHRASES[status] ?? 'HTTP error';
    message =
      summary !== '' && summary !== '{}'
        ? summary
        : `${reason} (HTTP ${status}, ${raw === undefined || raw.trim() === '' ? 'empty body' : 'no error details'})`;
  }

  const out: GraphError = { status, code: cleanId(code) ?? statusErrorCode(status), message };
  const requestId = cleanId(nonEmptyString(inner && member(inner, 'request-id')) ?? nonEmptyString(getHeader(headers, 'request-id')));
  const clientRequestId = cleanId(
    nonEmptyString(inner && member(inner, 'client-request-id')) ?? nonEmptyString(getHeader(headers, 'client-request-id')),
  );
  if (requestId !== undefined) out.requestId = requestId;
  if (clientRequestId !== undefined) out.clientRequestId = clientRequestId;
  return out;
}

function safeStringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

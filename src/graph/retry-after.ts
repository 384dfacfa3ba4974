/**
 * Parsing of Graph's throttling headers. Pure: "now" is passed in, in milliseconds since the epoch.
 *
 * Encodes docs/graph-behaviour.md §3: `Retry-After` is in seconds, may be fractional (`2.128`, `0.249`), may be an
 * HTTP date (measured against the response's own `Date` header, §6), may be missing; `x-ms-throttle-limit-percentage` is a fraction of the budget (0.8–1.8).
 * Sources: learn.microsoft.com/en-us/graph/throttling, learn.microsoft.com/en-us/graph/throttling-limits,
 * RFC 9110 §10.2.3 (Retry-After) and §5.6.7 (HTTP-date).
 */

const DELAY_SECONDS = /^(\d+)(?:\.(\d+))?$/;

const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{1,2}) ${MONTH} (\\d{4}) ${TIME} (?:GMT|UTC)$`, 'i');
/** obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{1,2})-${MONTH}-(\\d{2}) ${TIME} (?:GMT|UTC)$`, 'i');
/** obsolete asctime: `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} +(\\d{1,2}) ${TIME} (\\d{4})$`, 'i');

function utcMs(year: number, monthName: string, day: number, h: number, m: number, s: number): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, month, day, h, m, Math.min(s, 59));
  const d = new Date(ms);
  // Reject dates that roll over (e.g. 31 Feb).
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month || d.getUTCDate() !== day) return undefined;
  return ms;
}

/**
 * Parse an HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime forms that RFC 9110 §5.6.7 says
 * recipients must accept) to milliseconds since the epoch. Names are matched case-insensitively; `UTC`
 * is accepted as well as `GMT`. A two-digit RFC 850 year more than 50 years after `nowMs`'s year is
 * taken as the previous century. Returns undefined for anything else (unlike `Date.parse`, which accepts
 * many non-HTTP strings).
 */
export function parseHttpDateMs(value: string, nowMs: number): number | undefined {
  const v = value.trim();
  let m = IMF_FIXDATE.exec(v);
  if (m) return utcMs(Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850_DATE.exec(v);
  if (m) {
    const nowYear = new Date(Number.isFinite(nowMs) ? nowMs : 0).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + 100 + Number(m[3]);
    while (year > nowYear + 50) year -= 100;
    return utcMs(year, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME_DATE.exec(v);
  if (m) return utcMs(Number(m[6]), m[1]!, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}

/**
 * Parse a `Retry-After` header value to a delay in **milliseconds**.
 *
 * - delay-seconds, integer or fractional (Graph sends e.g. `2.128` and `0.249`): converted exactly from
 *   the decimal text and rounded **up** to a whole millisecond (`2.128` → 2128, `0.249` → 249,
 *   `0.0001` → 1, `120` → 120000).
 * - an HTTP-date ({@link parseHttpDateMs}): measured against the response's own `Date` header when
 *   `responseDate` is a valid HTTP-date (`date − responseDate`: the server's two clock readings, so a
 *   client clock an hour off neither retries early nor waits an hour too long), else against
 *   `nowMs` (`date − nowMs`); at least 0 (a date in the past → 0).
 * - surrounding whitespace is ignored.
 * - `undefined`, `null`, empty, negative (`-1`), signed, exponent (`1e3`), NaN, or any other text →
 *   `undefined` (the caller falls back to exponential backoff). Values beyond
 *   `Number.MAX_SAFE_INTEGER` ms → `undefined`.
 *
 * No upper cap is applied: capping a huge server-requested delay is the caller's policy.
 * Source: docs/graph-behaviour.md §3; learn.microsoft.com/en-us/graph/throttling ("Retry-After").
 *
 * @param nowMs current time, milliseconds since the epoch (injected; only used for HTTP dates without
 *   a usable `responseDate`).
 * @param responseDate the same response's `Date` header (RFC 9110 §6.6.1: when the server made the
 *   response), if any.
 */
export function parseRetryAfterMs(value: string | undefined | null, nowMs: number, responseDate?: string | null): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  const m = DELAY_SECONDS.exec(v);
  if (m) {
    const whole = Number(m[1]);
    const frac = m[2] ?? '';
    const msDigits = Number((frac + '000').slice(0, 3));
    const roundUp = /[1-9]/.test(frac.slice(3)) ? 1 : 0;
    const ms = whole * 1000 + msDigits + roundUp;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const yearHint = Number.isFinite(nowMs) ? nowMs : 0; // only for two-digit RFC 850 years
  const dateMs = parseHttpDateMs(v, yearHint);
  if (dateMs === undefined) return undefined;
  const serverNowMs = typeof responseDate === 'string' ? parseHttpDateMs(responseDate, yearHint) : undefined;
  const reference = serverNowMs ?? (Number.isFinite(nowMs) ? nowMs : undefined);
  if (reference === undefined) return undefined;
  return Math.max(0, Math.ceil(dateMs - reference));
}

/**
 * Parse `x-ms-throttle-limit-percentage` to a fraction of the throttle budget used (`"0.85"` → 0.85;
 * 1.0 = throttling starts). Graph sends it only between 0.8 and 1.8; any non-negative decimal number
 * is accepted. Empty, missing, negative, non-numeric or non-finite → `undefined`.
 * Source: docs/graph-behaviour.md §3; learn.microsoft.com/en-us/graph/throttling-limits.
 */
export function parseThrottleLimitPercentage(value: string | undefined | null): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Default longest `Retry-After` a run waits for, ms: 10 minutes (`maxRetryAfterMs`). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * Decides whether a `Retry-After` asks for more waiting than the run accepts. Graph's own waits are
 * seconds to a few minutes (docs/graph-behaviour.md §3); a longer one (or one beyond what a timer can
 * hold, 2³¹−1 ms) stops the run, resumable, rather than hanging it. Pure.
 * @param retryAfterMs the parsed delay ({@link parseRetryAfterMs}), ms; undefined = none.
 * @param maxMs the limit, ms (the `maxRetryAfterMs` option).
 * @returns undefined when the wait is acceptable, else the reason naming the value (in seconds).
 */
export function retryAfterBeyondMax(retryAfterMs: number | undefined, maxMs: number): string | undefined {
  if (retryAfterMs === undefined || (retryAfterMs <= maxMs && retryAfterMs <= MAX_TIMER_MS)) return undefined;
  return `Graph asked to wait ${retryAfterMs / 1000} s (Retry-After), more than the longest wait allowed, ${Math.min(maxMs, MAX_TIMER_MS) / 1000} s (maxRetryAfterMs)`;
}

/** The longest delay a Node timer holds, ms (longer ones fire at once, with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

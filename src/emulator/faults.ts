/**
 * Fault injection decisions, deterministic under a seeded PRNG. Pure: the caller performs them.
 *
 * Per outer request, exactly four numbers are drawn (latency, fault kind, two variants), so the
 * sequence of decisions depends only on the seed and the order of arrival.
 * Per inner batch request, two numbers are drawn.
 */
import type { Prng } from './prng.js';

/** Response latency: fixed ms, or uniform in [min, max] ms. */
export type Latency = number | { min: number; max: number };

/**
 * Parses a latency setting: `50` (fixed) or `20-80` (uniform range), in ms.
 * @throws Error on anything else.
 */
export function parseLatency(text: string): Latency {
  const range = /^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text)) return Number(text);
  throw new Error(`--latency-ms: expected <ms> or <min>-<max>, got "${text}"`);
}

/**
 * THE FAULT OPTIONS, DECLARED ONCE: each is a field of {@link FaultOptions} (its type from `type`, or
 * from `parse`'s result), a flag of `graph-bulk emulator` (`rate503` → `--rate-503`; `rate: true`
 * checks 0..1) and a line of the emulator's flag table in src/emulator/README.md (`npm run
 * docs:options`). To add a fault, add an entry here and draw for it in `planOuterFaults` /
 * `planInnerFault`; `configure()` and the command pick it up.
 */
export const FAULT_FLAGS = {
  /** Added before every Graph request is handled (ms): fixed, or uniform in a range. Default 0. */
  latencyMs: { type: 'string', describe: 'Added latency per request, ms: <ms> or <min>-<max>', parse: parseLatency },
  /** 503: half with `Retry-After`, half without; a third with an HTML body (text/html), a third
   * JSON with an HTML page inside `message`. Never applies the write. */
  rate503: { type: 'number', rate: true, describe: 'Fraction of requests answered 503 (some HTML, some without Retry-After)' },
  /** 504: the work may have been done (50%, decided per request), as Graph's gateway timeouts. */
  rate504: { type: 'number', rate: true, describe: 'Fraction of requests answered 504 (work done or not, 50/50)' },
  /** Destroy the socket without answering. Never applies the write. */
  rateDrop: { type: 'number', rate: true, describe: 'Fraction of requests whose socket is destroyed unanswered' },
  /** Hold the request `slowMs` before handling it; handled (and applied) only if the client is
   * still connected then. */
  rateSlow: { type: 'number', rate: true, describe: 'Fraction of requests held --slow-ms before handling' },
  /** Delay of a slow request (ms). Default 5,000. */
  slowMs: { type: 'number', describe: 'Delay of a slow request, ms (default 5000)' },
  /** Inner batch response 500 (`InternalServerError` or `UnknownError`). Never applies the write. */
  rateInner500: { type: 'number', rate: true, describe: 'Fraction of inner batch requests answered 500' },
  /** Inner batch response 503 with an HTML page as its body (base64-encoded inside the batch, as
   * Graph does for bodies that are not JSON: docs/graph-behaviour.md §2). Never applies the write. */
  rateInner503Html: { type: 'number', rate: true, describe: 'Fraction of inner batch requests answered 503 with an HTML body (base64)' },
  /** A write answered 429 although every budget has room (docs/graph-behaviour.md §3: 429s happen
   * below the limits); scope `Tenant_Application`, seeded Retry-After 0.1–2 s. */
  rate429BelowLimit: { type: 'number', rate: true, describe: 'Fraction of writes answered 429 although every budget has room' },
  /** A retry that comes on time for its reserved write is refused once more with the same wait
   * (docs/graph-behaviour.md §3: a retry after the full Retry-After may get 429 again). */
  rateRepeat429: { type: 'number', rate: true, describe: 'Fraction of on-time retries refused again with the same Retry-After' },
  /** A PATCH that clears (`null`) an extension attribute answers 204 without clearing it. */
  dropClear: { type: 'boolean', describe: 'Acknowledge extension attribute clears (null) without applying them' },
} as const satisfies Record<
  string,
  { type: 'string' | 'number' | 'boolean'; describe: string; rate?: boolean; parse?: (text: string) => unknown }
>;

type FaultValue<D> = D extends { parse: (text: string) => infer R } ? R : D extends { type: 'number' } ? number : boolean;

/** Fault settings (from {@link FAULT_FLAGS}; see each entry there). Rates are probabilities 0..1 per request. */
export type FaultOptions = { [K in keyof typeof FAULT_FLAGS]?: FaultValue<(typeof FAULT_FLAGS)[K]> } & {
  /** Answer every (authenticated) Graph request with this error. `undefined` = off. (Not a flag.) */
  forceError?: { status: number; code: string; message: string } | undefined;
};

/** Every key of {@link FaultOptions}: what `configure()` copies. */
export const FAULT_KEYS = [...(Object.keys(FAULT_FLAGS) as (keyof typeof FAULT_FLAGS)[]), 'forceError'] as const;

/** What to do with one outer request. */
export interface OuterFaultPlan {
  /** Delay before handling (ms). */
  latencyMs: number;
  kind: 'none' | 'drop' | '503' | '504' | 'slow';
  /** 503: `Retry-After` header value, or undefined for none. */
  retryAfter503?: string;
  /** 503 body flavour. */
  body503?: 'json' | 'html' | 'json-with-html-message';
  /** 504: whether the request is processed (and its writes applied) before the 504. */
  applied504?: boolean;
  /** slow: delay (ms). */
  slowMs?: number;
}

const clampRate = (r: number | undefined): number => (typeof r === 'number' && r > 0 ? Math.min(1, r) : 0);

/** Latency in ms for a {@link Latency} setting, drawing one number. */
function drawLatency(prng: Prng, latency: Latency | undefined): number {
  const r = prng.next();
  if (latency === undefined) return 0;
  if (typeof latency === 'number') return Math.max(0, latency);
  const min = Math.max(0, Math.min(latency.min, latency.max));
  const max = Math.max(latency.min, latency.max);
  return min + r * (max - min);
}

/** Decides latency and fault for one outer request. Rates are taken in the order drop, 503, 504,
 * slow on one draw (their sum is capped at 1). */
export function planOuterFaults(prng: Prng, options: FaultOptions): OuterFaultPlan {
  const latencyMs = drawLatency(prng, options.latencyMs);
  const r = prng.next();
  const v1 = prng.next();
  const v2 = prng.next();
  let edge = 0;
  const bands: [OuterFaultPlan['kind'], number][] = [
    ['drop', clampRate(options.rateDrop)],
    ['503', clampRate(options.rate503)],
    ['504', clampRate(options.rate504)],
    ['slow', clampRate(options.rateSlow)],
  ];
  for (const [kind, rate] of bands) {
    edge += rate;
    if (r < edge) {
      switch (kind) {
        case '503':
          return {
            latencyMs,
            kind,
            retryAfter503: v1 < 0.5 ? String(1 + Math.floor(v1 * 4)) : undefined,
            body503: v2 < 1 / 3 ? 'json' : v2 < 2 / 3 ? 'html' : 'json-with-html-message',
          };
        case '504':
          return { latencyMs, kind, applied504: v1 < 0.5 };
        case 'slow':
          return { latencyMs, kind, slowMs: Math.max(0, options.slowMs ?? 5000) };
        default:
          return { latencyMs, kind };
      }
    }
  }
  return { latencyMs, kind: 'none' };
}

/** Decides the fault of one inner batch request: `undefined` (none), a 500 code, or an HTML 503. */
export function planInnerFault(
  prng: Prng,
  options: FaultOptions,
): 'InternalServerError' | 'UnknownError' | 'ServiceUnavailableHtml' | undefined {
  const r = prng.next();
  const v = prng.next();
  const r500 = clampRate(options.rateInner500);
  if (r < r500) return v < 0.5 ? 'InternalServerError' : 'UnknownError';
  if (r < r500 + clampRate(options.rateInner503Html)) return 'ServiceUnavailableHtml';
  return undefined;
}

/** The HTML page of an injected 503 (docs/graph-behaviour.md §1: bodies are not always JSON). */
export const SERVICE_UNAVAILABLE_HTML =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The service is temporarily unavailable. Please try again later.</p></body></html>';

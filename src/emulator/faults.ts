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

/** Fault settings. Rates are probabilities 0..1 per request. */
export interface FaultOptions {
  /** Added before every Graph request is handled (ms). Default 0. */
  latencyMs?: Latency;
  /** 503: half with `Retry-After`, half without; a third with an HTML body (text/html), a third
   * JSON with an HTML page inside `message`. Never applies the write. */
  rate503?: number;
  /** 504: the work may have been done (50%, decided per request), as Graph's gateway timeouts. */
  rate504?: number;
  /** Destroy the socket without answering. Never applies the write. */
  rateDrop?: number;
  /** Hold the request `slowMs` before handling it; handled (and applied) only if the client is
   * still connected then. */
  rateSlow?: number;
  /** Delay of a slow request (ms). Default 5,000. */
  slowMs?: number;
  /** Inner batch response 500 (`InternalServerError` or `UnknownError`). Never applies the write. */
  rateInner500?: number;
  /** A PATCH that clears (`null`) an extension attribute answers 204 without clearing it. */
  dropClear?: boolean;
  /** Answer every (authenticated) Graph request with this error. `undefined` = off. */
  forceError?: { status: number; code: string; message: string } | undefined;
}

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

/** Decides the fault of one inner batch request: `undefined` (none) or a 500 code. */
export function planInnerFault(prng: Prng, options: FaultOptions): 'InternalServerError' | 'UnknownError' | undefined {
  const r = prng.next();
  const v = prng.next();
  if (r < clampRate(options.rateInner500)) return v < 0.5 ? 'InternalServerError' : 'UnknownError';
  return undefined;
}

/** The HTML page of an injected 503 (docs/graph-behaviour.md §1: bodies are not always JSON). */
export const SERVICE_UNAVAILABLE_HTML =
  '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The service is temporarily unavailable. Please try again later.</p></body></html>';

/**
 * Shared state of one running emulator and the request/result shapes its handlers exchange.
 * Handlers work on {@link GraphCall} → {@link GraphResult} so that a request arriving over HTTP
 * and an inner request of a `$batch` go through exactly the same code.
 */
import type { TokenStore } from './auth.js';
import type { FaultOptions } from './faults.js';
import type { GraphErrorSpec } from './errors.js';
import type { Prng } from './prng.js';
import type { GraphVersion } from './routes.js';
import type { RequestLog, StatsCollector } from './stats.js';
import type { DeviceStore } from './store.js';
import type { BudgetLevels, Caller } from './budget-levels.js';

/** Budget of a token bucket: `burst` tokens, refilled at `refillPerSecond` tokens/s. */
export interface BudgetOptions {
  burst: number;
  refillPerSecond: number;
}

/** Settings that `configure()` may change at run time. */
export interface RuntimeSettings extends FaultOptions {
  appOnly: boolean;
  mdmApp: boolean;
  appId: string;
  tenantId: string;
  /** ms a throttled target's reserved token is held after its Retry-After time. */
  reservationGraceMs: number;
  /** ms before its Retry-After time a retry still counts as on time. */
  retryToleranceMs: number;
}

/** Everything a handler may touch. */
export interface EmulatorContext {
  store: DeviceStore;
  tokens: TokenStore;
  /** Write budgets (one token per PATCH from each of the caller's buckets), or undefined when write
   * throttling is off. */
  writeLevels: BudgetLevels | undefined;
  /** Read budget (one token per GET, per app and tenant), or undefined (default). */
  readLevels: BudgetLevels | undefined;
  /** Seeded randomness for faults and batch response order. */
  prng: Prng;
  stats: StatsCollector;
  log: RequestLog;
  settings: RuntimeSettings;
  /** Monotonic ms (for throttling). */
  monoNow: () => number;
  /** BitLocker recovery keys escrowed in Entra, by deviceId (lower case): how many. */
  recoveryKeys: Map<string, number>;
  /** The emulated tenant's wall clock, epoch ms (sign-in times, error dates); injectable for tests. */
  clock: () => number;
}

/** The body of a call: absent, parsed JSON, or present but unreadable (not JSON, or a
 * Content-Type other than application/json). */
export type CallBody = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'unreadable' };

/** One Graph request to handle, outer or inner. */
export interface GraphCall {
  /** Upper case. */
  method: string;
  /** Path relative to the version root, percent-decoded, without query: `/devices/…`. */
  path: string;
  params: URLSearchParams;
  version: GraphVersion;
  body: CallBody;
  viaBatch: boolean;
  /** `http://host:port` as the client addressed the emulator (for `@odata.nextLink`). */
  baseUrl: string;
  /** Application permissions (`roles`) of the caller's token; `undefined` = not checked (the
   * emulator's own tokens). */
  roles?: readonly string[];
  /** Delegated permissions (`scp`) of the caller's token: the caller is a signed-in user, not app-only. */
  scopes?: readonly string[];
  /** Whom the request is charged to (the token's `tid`, `appid`, and `oid`/`upn` when delegated). */
  caller: Caller;
  /** The outer request's ids (inner requests of a batch get their own request-id later). */
  requestId: string;
  clientRequestId: string;
  /** Epoch ms of arrival. */
  arrivedAt: number;
  /** `ConsistencyLevel` request header (outer request, or the inner request's own `headers` in a
   * `$batch`): `eventual` allows advanced queries (docs/graph-behaviour.md §5). */
  consistencyLevel?: string;
}

/** A handler's answer. Errors carry a spec; the writer adds ids and date. */
export interface GraphResult {
  status: number;
  /** Extra response headers (Retry-After, x-ms-throttle-*, …). */
  headers: Record<string, string>;
  /** JSON body of a success. */
  json?: unknown;
  /** Error to render as Graph's error body. */
  error?: GraphErrorSpec;
  /** Non-JSON body (e.g. an HTML 503 page). */
  text?: { contentType: string; body: string };
  /** True when a write was applied. */
  applied?: boolean;
}

/** Content-Type Graph uses for successful JSON bodies. */
export const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Shorthand for an error result. */
export function errorResult(error: GraphErrorSpec, headers: Record<string, string> = {}): GraphResult {
  return { status: error.status, headers, error };
}

/**
 * Counters and the in-process request log of the emulator.
 */
import type { LevelSnapshot } from './budget-levels.js';

/**
 * Counters served at `GET /_emulator/stats` and by `Emulator.stats()`.
 * Status keys are HTTP statuses as strings (`"204"`, `"429"`), plus `"dropped"` (socket destroyed
 * by a fault) and `"aborted"` (client went away before an answer).
 */
export interface EmulatorStats {
  /** ISO 8601 UTC time the emulator started. */
  startedAt: string;
  /** ms since start. */
  uptimeMs: number;
  /** Outer HTTP requests on Graph routes (not `/_emulator/*`). */
  requests: {
    total: number;
    /** route label (`PATCH /devices/{id}`, `PATCH /devices(deviceId='{deviceId}')`, `GET /devices/{id}`,
     * `GET /devices`, `POST /$batch`, `<METHOD> (unrouted)`) → status → count. */
    byRoute: Record<string, Record<string, number>>;
    byStatus: Record<string, number>;
  };
  /** Inner requests of `$batch` requests. */
  innerRequests: { total: number; byStatus: Record<string, number> };
  /** PATCHes whose changes were applied (answered 204, or applied before an injected 504). */
  writesApplied: number;
  /** 429 responses sent: outer (single requests), inner (inside batches), total; `byScope` by
   * `<Scope>/<Limit>` of their `x-ms-throttle-scope` (e.g. `Tenant_User/Write`); `belowLimit` = 429s
   * sent although every budget had room (`rate429BelowLimit`); `repeated` = retries that came on time
   * and were refused once more (`rateRepeat429`). */
  throttled: {
    outer: number;
    inner: number;
    total: number;
    byScope: Record<string, number>;
    belowLimit: number;
    repeated: number;
  };
  /** Writes to a device that had been told to wait by a 429 and came back before that
   * Retry-After elapsed (each was answered 429 again with the remaining wait). */
  earlyRetries: number;
  /** Injected faults by kind. `droppedClears` = extension attribute clears acknowledged but not applied. */
  faults: {
    dropped: number;
    status503: number;
    status504: number;
    slow: number;
    inner500: number;
    inner503: number;
    droppedClears: number;
    forced: number;
  };
  /** 401 responses. */
  unauthorized: number;
  /** Current write budget, or `null` when throttling is off. `tokens` may be negative while
   * reservations are outstanding; `usage` = consumed / burst. */
  writeBudget: { burst: number; refillPerSecond: number; tokens: number; usage: number; reservations: number } | null;
  /** Every write bucket used so far, one per scope and key (user, app+tenant, tenant, app). */
  writeBudgets: LevelSnapshot[];
}

/** One Graph request as the emulator saw it (outer, or an inner request of a batch). */
export interface LoggedRequest {
  /** 0-based position in arrival order. */
  seq: number;
  /** Arrival time, ms since the epoch. */
  at: number;
  method: string;
  /** Outer: path and query as received, percent-decoded (e.g. `/v1.0/devices(deviceId='…')`).
   * Inner: the batch entry's `url` as sent (e.g. `/devices/…`). */
  path: string;
  viaBatch: boolean;
  /** Inner only: the request's `id` inside its batch. */
  batchId?: string;
  /** Inner only: the `request-id` of the enclosing `$batch` request. */
  batchRequestId?: string;
  /** The `request-id` the emulator answered with. */
  requestId: string;
  /** Final HTTP status; 0 while pending or when no answer was given (see `outcome`). */
  status: number;
  outcome: 'pending' | 'answered' | 'dropped' | 'aborted';
  /** Parsed JSON body, or undefined when there was none or it was not JSON (see `rawBody`). */
  body: unknown;
  /** Body text when it was not valid JSON. */
  rawBody?: string;
  /** Request headers, lower-case names; `authorization` redacted to `Bearer <redacted>`. */
  headers: Record<string, string>;
  /** Seconds of the `Retry-After` sent with a 429/503, when any. */
  retryAfter?: number;
}

const bump = (record: Record<string, number>, key: string, by = 1) => {
  record[key] = (record[key] ?? 0) + by;
};

/** Mutable counters behind {@link EmulatorStats}. */
export class StatsCollector {
  readonly startedAtMs = Date.now();
  private readonly byRoute: Record<string, Record<string, number>> = {};
  private readonly byStatus: Record<string, number> = {};
  private readonly innerByStatus: Record<string, number> = {};
  total = 0;
  innerTotal = 0;
  writesApplied = 0;
  throttledOuter = 0;
  throttledInner = 0;
  earlyRetries = 0;
  throttledBelowLimit = 0;
  repeated429 = 0;
  private readonly byScope: Record<string, number> = {};
  unauthorized = 0;
  readonly faults = { dropped: 0, status503: 0, status504: 0, slow: 0, inner500: 0, inner503: 0, droppedClears: 0, forced: 0 };

  /** Counts a finished outer request. `status` is a number or `dropped`/`aborted`. */
  outer(route: string, status: number | 'dropped' | 'aborted'): void {
    this.total += 1;
    const key = String(status);
    bump((this.byRoute[route] ??= {}), key);
    bump(this.byStatus, key);
    if (status === 429) this.throttledOuter += 1;
    if (status === 401) this.unauthorized += 1;
  }

  /** Counts a finished inner batch request. */
  inner(status: number): void {
    this.innerTotal += 1;
    bump(this.innerByStatus, String(status));
    if (status === 429) this.throttledInner += 1;
  }

  /** Counts a 429 of `scope` (`<Scope>/<Limit>`, e.g. `Tenant_Application/Write`). */
  throttledScope(scope: string): void {
    bump(this.byScope, scope);
  }

  /** A snapshot (plain JSON). */
  snapshot(writeBudget: EmulatorStats['writeBudget'], writeBudgets: LevelSnapshot[] = []): EmulatorStats {
    return structuredClone({
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeMs: Date.now() - this.startedAtMs,
      requests: { total: this.total, byRoute: this.byRoute, byStatus: this.byStatus },
      innerRequests: { total: this.innerTotal, byStatus: this.innerByStatus },
      writesApplied: this.writesApplied,
      throttled: {
        outer: this.throttledOuter,
        inner: this.throttledInner,
        total: this.throttledOuter + this.throttledInner,
        byScope: this.byScope,
        belowLimit: this.throttledBelowLimit,
        repeated: this.repeated429,
      },
      earlyRetries: this.earlyRetries,
      faults: this.faults,
      unauthorized: this.unauthorized,
      writeBudget,
      writeBudgets,
    });
  }
}

/** Redacts and lower-cases request headers for the log. */
export function logHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] = lower === 'authorization' ? 'Bearer <redacted>' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The request log: arrival order, capped at `max` entries (oldest dropped first). */
export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;
  constructor(public max: number) {}

  /** Appends an entry (status 0, outcome pending) and returns it for later completion. */
  add(entry: Omit<LoggedRequest, 'seq' | 'status' | 'outcome'>): LoggedRequest {
    const full: LoggedRequest = { seq: this.seq++, status: 0, outcome: 'pending', ...entry };
    this.entries.push(full);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return full;
  }

  /** Deep copies of all entries, in arrival order. */
  list(): LoggedRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}

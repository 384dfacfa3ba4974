/**
 * Reading devices' current state: `GET /devices/{id}?$select=…` packed 20 to a `$batch`, paced by a
 * read budget of its own (Graph counts reads in resource units, apart from the write budget), retried
 * like writes (same retry strategies), with its own pause on 429.
 *
 * Sources: learn.microsoft.com/en-us/graph/api/device-get, /graph/json-batching, /graph/throttling,
 * /graph/throttling-limits (identity and access: resource units per app per tenant; a GET of one
 * device costs 1 unit, `$select` takes one off but never below 1) — docs/graph-behaviour.md §2 and §3.
 */
import type { TokenManager } from '../auth/token-source.js';
import { MAX_BATCH_REQUESTS } from '../graph/batch.js';
import { DeviceStateError, parseDeviceState } from '../graph/device-state.js';
import { decideAnswer } from '../graph/answer.js';
import { defaultRetryStrategies, type RetryStrategy } from '../graph/retry.js';
import { deviceReadPath } from '../graph/urls.js';
import { PauseGate } from '../schedule/pause-gate.js';
import type { WriteBudget } from '../schedule/write-budget.js';
import { type GraphSender, type ItemOutcome, outcomeFor } from '../send/graph-sender.js';
import type { DeviceState, KeyType } from '../types.js';

/** One device to read: its key as validated and the properties to `$select` (see `selectFor`). */
export interface ReadRequest {
  key: string;
  keyType: KeyType;
  select: readonly string[];
}

/**
 * How a read ended. `attempts` counts the GETs made for it (token-renewal replays included).
 * - `found`: the device's state (`httpStatus` 200 and Graph's `request-id`);
 * - `failed`: a final failure, e.g. 404 `Request_ResourceNotFound` (no such device), a 403, or
 *   retries exhausted; `reason` says why it is final;
 * - `stopped`: the reader was stopped before the read finished; `last` is the last attempt's outcome.
 */
export type ReadResult =
  | { kind: 'found'; state: DeviceState; attempts: number; httpStatus: number; requestId?: string }
  | { kind: 'failed'; outcome: ItemOutcome; reason: string; attempts: number }
  | { kind: 'stopped'; attempts: number; last?: ItemOutcome };

/** Options of {@link DeviceReader}. */
export interface DeviceReaderOptions {
  sender: Pick<GraphSender, 'batchGet'>;
  /** For token renewal and replay after a 401, shared with the writes. */
  tokens: Pick<TokenManager, 'renew'>;
  /** Bearer tokens Graph has accepted at least once, shared with the writes (a later 401 for one of
   * them is an expiry: renew and replay, free, each time). Default: the reader's own set. */
  tokensThatWorked?: Set<string>;
  /** The read budget (one unit per GET), or undefined for no client-side pacing. */
  budget?: Pick<WriteBudget, 'schedule' | 'drain'>;
  /** `$batch` requests in flight at most. */
  concurrency: number;
  /** Retries per read after its first attempt (429, 503, 504, network errors, …). */
  maxRetries: number;
  /** Default {@link defaultRetryStrategies}. */
  strategies?: readonly RetryStrategy[];
  /** GETs per `$batch`, 1–20. Default 20. */
  batchSize?: number;
  /** Clock, epoch ms. */
  now?: () => number;
  /** The gate every request waits at, shared with the writes: a 429 to a read pauses the writes too,
   * and a write's pause holds the reads (Graph's throttle is per app, docs/graph-behaviour.md §3).
   * Default: a gate of the reader's own. */
  gate?: PauseGate;
}

interface Pending {
  readonly path: string;
  readonly resolve: (r: ReadResult) => void;
  attempts: number;
  /** Replays after a 401 with a renewed token: free, not retries. */
  authReplays: number;
  last?: ItemOutcome;
}

/** Counters of a {@link DeviceReader}. */
export interface ReaderStats {
  /** GETs sent (each inner request of a `$batch` counts), retries included. */
  reads: number;
  /** `$batch` requests sent. */
  batches: number;
  /** 429 answers to reads. */
  throttled429: number;
  /** Reads retried (token-renewal replays not counted). */
  retries: number;
}

/**
 * Reads device state in `$batch` requests. `read()` may be called any number of times; reads asked
 * for in the same turn of the event loop share batches, and more batch up while the concurrency
 * limit is reached. Until one read has had a definite answer (2xx or 404), one batch at a time: a
 * broken sign-in costs one request, not a flood.
 *
 * Never throws from `read()`: every read resolves with a {@link ReadResult}.
 */
export class DeviceReader {
  readonly #o: DeviceReaderOptions;
  readonly #strategies: readonly RetryStrategy[];
  readonly #batchSize: number;
  readonly #now: () => number;
  readonly #gate: PauseGate;
  readonly #ready: Pending[] = [];
  readonly #delayed = new Map<NodeJS.Timeout, Pending>();
  #inflight = 0;
  #answered = false;
  #kicked = false;
  #stopped = false;
  readonly #tokensThatWorked: Set<string>;
  readonly stats: ReaderStats = { reads: 0, batches: 0, throttled429: 0, retries: 0 };

  constructor(options: DeviceReaderOptions) {
    this.#o = options;
    this.#strategies = options.strategies ?? defaultRetryStrategies();
    this.#batchSize = Math.max(1, Math.min(options.batchSize ?? MAX_BATCH_REQUESTS, MAX_BATCH_REQUESTS));
    this.#now = options.now ?? Date.now;
    this.#gate = options.gate ?? new PauseGate(this.#now);
    this.#tokensThatWorked = options.tokensThatWorked ?? new Set();
  }

  /**
   * Reads one device.
   * @throws InvalidDeviceKeyError / GraphConfigError (synchronously, from `deviceReadPath`) for a key
   *   that is not a GUID or an unknown property: callers pass validated rows only.
   */
  read(request: ReadRequest): Promise<ReadResult> {
    const path = deviceReadPath(request.key, request.keyType, request.select);
    if (this.#stopped) return Promise.resolve({ kind: 'stopped', attempts: 0 });
    return new Promise<ReadResult>((resolve) => {
      this.#ready.push({ path, resolve, attempts: 0, authReplays: 0 });
      this.#kick();
    });
  }

  /** Stops: reads waiting (or waiting for a retry) resolve `stopped` at once; reads on the wire
   * resolve with their answer, or `stopped` if it asks for a retry. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#gate.release();
    for (const p of this.#ready.splice(0)) p.resolve({ kind: 'stopped', attempts: p.attempts, ...(p.last ? { last: p.last } : {}) });
    for (const [timer, p] of this.#delayed) {
      clearTimeout(timer);
      p.resolve({ kind: 'stopped', attempts: p.attempts, ...(p.last ? { last: p.last } : {}) });
    }
    this.#delayed.clear();
  }

  #kick(): void {
    if (this.#kicked) return;
    this.#kicked = true;
    setImmediate(() => {
      this.#kicked = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#stopped) return;
    const limit = this.#answered ? this.#o.concurrency : 1;
    while (this.#inflight < limit && this.#ready.length > 0) {
      const batch = this.#ready.splice(0, this.#batchSize);
      this.#inflight++;
      void this.#send(batch).finally(() => {
        this.#inflight--;
        this.#pump();
      });
    }
  }

  async #send(batch: Pending[]): Promise<void> {
    const go = async () => {
      await this.#gate.wait();
      if (this.#stopped) return undefined;
      for (const p of batch) p.attempts++;
      this.stats.batches++;
      this.stats.reads += batch.length;
      return this.#o.sender.batchGet(batch.map((p, i) => ({ id: String(i + 1), path: p.path })));
    };
    let sent: Awaited<ReturnType<typeof go>>;
    try {
      sent = this.#o.budget ? await this.#o.budget.schedule(batch.length, go) : await go();
    } catch {
      sent = undefined; // the budget was stopped with this batch still waiting
    }
    if (!sent) {
      for (const p of batch) p.resolve({ kind: 'stopped', attempts: p.attempts, ...(p.last ? { last: p.last } : {}) });
      return;
    }
    const { outcomes, info } = sent;
    let throttled = false;
    batch.forEach((p, i) => {
      const outcome = outcomeFor(outcomes, String(i + 1));
      p.last = outcome;
      const decision = decideAnswer(outcome, {
        attempts: p.attempts,
        authReplays: p.authReplays,
        tokenWorkedBefore: this.#tokensThatWorked.has(info.token),
        stopping: this.#stopped,
        abandoned: false,
        maxRetries: this.#o.maxRetries,
        strategies: this.#strategies,
        batchRetryAfterMs: info.batchRetryAfterMs,
      });
      if (decision.tokenAccepted) {
        this.#answered = true;
        this.#tokensThatWorked.add(info.token);
      }
      if (outcome.status === 429) {
        this.stats.throttled429++;
        throttled = true;
      }
      switch (decision.kind) {
        case 'success':
          p.resolve(this.#found(p, outcome));
          return;
        case 'replay':
          p.authReplays++;
          void this.#o.tokens.renew(info.token).catch(() => undefined);
          this.#later(p, 0);
          return;
        case 'final':
          p.resolve({ kind: 'failed', outcome, reason: decision.reason, attempts: p.attempts });
          return;
        case 'abandoned':
          p.resolve({ kind: 'stopped', attempts: p.attempts, last: outcome });
          return;
        case 'retry':
          this.stats.retries++;
          if (decision.throttled) this.#gate.pauseUntil(this.#now() + decision.afterMs);
          this.#later(p, decision.afterMs);
      }
    });
    // After a 429 Graph's bucket is empty: ours refills from zero too.
    if (throttled) void this.#o.budget?.drain();
  }

  /** A 2xx read: the device's state, or `failed` 502 `BadDeviceResponse` when the body is not a device. */
  #found(p: Pending, outcome: ItemOutcome): ReadResult {
    try {
      const state = parseDeviceState(outcome.body);
      return {
        kind: 'found',
        state,
        attempts: p.attempts,
        httpStatus: outcome.status!,
        ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
      };
    } catch (err) {
      const message = err instanceof DeviceStateError ? err.message : String(err);
      return {
        kind: 'failed',
        outcome: { ...outcome, status: 502, errorCode: 'BadDeviceResponse', errorMessage: message },
        reason: message,
        attempts: p.attempts,
      };
    }
  }

  /** Puts a read back after `delayMs` (ms). */
  #later(p: Pending, delayMs: number): void {
    if (this.#stopped) {
      p.resolve({ kind: 'stopped', attempts: p.attempts, ...(p.last ? { last: p.last } : {}) });
      return;
    }
    if (delayMs <= 0) {
      this.#ready.push(p);
      this.#kick();
      return;
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(timer);
      this.#ready.push(p);
      this.#kick();
    }, delayMs);
    this.#delayed.set(timer, p);
  }
}

import type { Logger } from './log.js';

/** What a run is doing, for {@link Heartbeat}. */
export interface HeartbeatStatus {
  /** Rows with a result line so far. */
  done: number;
  total: number;
  /** Retries so far, reads and writes (after a network failure, 5xx, 429). */
  retries: number;
  /** Why, when known: the last error (network fault message, or HTTP status). */
  lastError?: string;
  /** ms since Graph last answered. */
  silentMs: number;
}

/**
 * While a run waits or retries, says so in the log at every `intervalMs` (default 30 s) — with
 * progress off too (`--no-progress`, cron): a tick where no row finished, or rows were retried, logs
 * one warning line (`waiting: …`) with the rows done, the retries since the last line, the last
 * network error, and how long Graph has been silent. A run that makes progress without retries logs nothing here.
 * `onTick` runs at every tick first (the outage check).
 */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;
  #lastDone = -1;
  #lastRetries = 0;

  constructor(
    private readonly status: () => HeartbeatStatus,
    private readonly log: Logger,
    private readonly intervalMs = 30_000,
    private readonly onTick?: () => void,
  ) {}

  start(): void {
    const s = this.status();
    this.#lastDone = s.done;
    this.#lastRetries = s.retries;
    this.#timer = setInterval(() => this.tick(), this.intervalMs);
    this.#timer.unref();
  }

  /** One tick (public for tests). */
  tick(): void {
    this.onTick?.();
    const s = this.status();
    const stalled = s.done === this.#lastDone;
    const retried = s.retries - this.#lastRetries;
    this.#lastDone = s.done;
    this.#lastRetries = s.retries;
    if ((!stalled && retried === 0) || s.done >= s.total) return;
    const silent = s.silentMs >= 1000 ? `; no answer from Graph for ${Math.round(s.silentMs / 1000)} s` : '';
    this.log.warn(
      `waiting: ${s.done}/${s.total} rows done, ${retried} retries since the last line${s.lastError ? `; last error: ${s.lastError}` : ''}${silent}`,
      { done: s.done, total: s.total, retries: retried, silentMs: s.silentMs },
    );
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

import type { Redis } from 'ioredis';
import { PauseGate } from './pause-gate.js';

/**
 * Where a pause shared by several processes is kept. Times are durations in ms, not clock times,
 * so machines whose clocks differ still agree on when the pause ends.
 */
export interface PauseStore {
  /** ms left of the shared pause; 0 when there is none. May reject (the gate then relies on its own pause). */
  remainingMs(): Promise<number>;
  /** Makes the shared pause last at least `ms` from now; a longer pause already set is kept. */
  extend(ms: number): Promise<void>;
}

/** Longest pause one process may impose on the others, in ms (a guard against a wild Retry-After). */
export const MAX_SHARED_PAUSE_MS = 10 * 60_000;

// PTTL-based "extend only": set the key with the longer expiry, keep a longer one already there.
const EXTEND_SCRIPT = `local left = redis.call('pttl', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('set', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0`;

/**
 * A {@link PauseStore} in one Redis key whose expiry is the pause: `PTTL` reads it (one cheap
 * command), a small Lua script extends it. The key vanishes on its own when the pause is over.
 */
export function redisPauseStore(client: Redis, key: string): PauseStore {
  return {
    async remainingMs() {
      const left = await client.pttl(key);
      return left > 0 ? left : 0;
    },
    async extend(ms) {
      const whole = Math.min(MAX_SHARED_PAUSE_MS, Math.ceil(ms));
      if (whole > 0) await client.eval(EXTEND_SCRIPT, 1, key, String(whole));
    },
  };
}

/** Options of {@link SharedPauseGate}. */
export interface SharedPauseGateOptions {
  /** A shared-pause reading older than this (ms) is refreshed (in the background). Default 50. */
  freshMs?: number;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Sleep, for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A {@link PauseGate} whose pauses are shared: a 429 `Retry-After` seen by any process pauses every
 * process using the same store (Graph's throttle is per app, so "when one request is throttled every
 * worker should pause"; learn.microsoft.com/en-us/graph/throttling). Before passing, a waiter also
 * checks the store's last reading, refreshed at most every `freshMs` (one `PTTL` per 50 ms per
 * process by default, whatever the request rate). When the store fails, the gate acts as a local one.
 */
export class SharedPauseGate extends PauseGate {
  readonly #store: PauseStore;
  readonly #freshMs: number;
  readonly #clock: () => number;
  #released = false;
  #reading: Promise<number> | undefined;
  #readAt = -Infinity;
  #readUntil = 0;

  constructor(store: PauseStore, options: SharedPauseGateOptions = {}) {
    super(options.now, options.sleep);
    this.#store = store;
    this.#freshMs = options.freshMs ?? 50;
    this.#clock = options.now ?? Date.now;
  }

  /** Closes this gate until `untilMs` (epoch ms) and extends the shared pause to match. */
  override pauseUntil(untilMs: number): void {
    if (this.#released) return;
    super.pauseUntil(untilMs);
    const ms = untilMs - this.#clock();
    if (ms <= 0) return;
    this.#store.extend(ms).catch(() => undefined);
  }

  /** Whether a pause holds now, by this gate's own pause and the last reading of the shared one (no I/O). */
  get closed(): boolean {
    if (this.#released) return false;
    const now = this.#clock();
    return this.pausedUntil > now || this.#readUntil > now;
  }

  override release(): void {
    this.#released = true;
    super.release();
  }

  /** Resolves once neither this gate nor the shared pause holds (or the gate was released). */
  override async wait(): Promise<void> {
    for (;;) {
      await super.wait();
      if (this.#released) return;
      const until = await this.#sharedUntil();
      if (until <= this.#clock() || this.#released) return;
      super.pauseUntil(until);
    }
  }

  /**
   * Epoch ms until which the shared pause holds (0 when the store cannot be read). Only the first
   * call waits for the store; later ones get the last reading at once and, when it is older than
   * `freshMs`, start a new one in the background, so no send waits for a Redis round trip and a
   * pause set elsewhere is seen within about `freshMs` plus one round trip.
   */
  async #sharedUntil(): Promise<number> {
    const stale = this.#clock() - this.#readAt >= this.#freshMs;
    if (stale && !this.#reading) {
      this.#reading = this.#store
        .remainingMs()
        .then(
          (ms) => this.#clock() + ms,
          () => 0,
        )
        .then((until) => {
          this.#readAt = this.#clock();
          this.#readUntil = until;
          this.#reading = undefined;
          return until;
        });
    }
    if (this.#readAt === -Infinity && this.#reading) return this.#reading;
    return this.#readUntil;
  }
}

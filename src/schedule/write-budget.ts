/**
 * The client-side write budget: a token bucket that mirrors Graph's (3,000 writes per 150 s per app
 * per tenant = burst 3,000, refill 20 writes/s; every PATCH costs one write, alone or inside a
 * `$batch`: docs/graph-behaviour.md §3, learn.microsoft.com/en-us/graph/throttling-limits), so that writes are
 * paced to the budget instead of discovering it through 429s.
 *
 * Two parts: {@link TokenLevel}, the pure arithmetic (the level is computed from elapsed time, so the
 * refill never drifts with timer jitter and has no tick granularity; writes still travelling keep
 * the ceiling down), and {@link WriteBudget}, which hands writes out first come, first served and
 * sets one timer for the moment the head of the line can go.
 */
import type { BudgetGrant, PacingBudget } from './budget.js';

/**
 * The level of a token bucket as a function of time. Pure: every call takes `nowMs` (any monotonic
 * origin, milliseconds). The level may be negative: a debt Graph reported (usage above 100 %) that
 * the refill pays back before anything else goes.
 *
 * Writes taken but not yet known to be counted by Graph (no answer yet) lower the bucket's ceiling:
 * while they travel, Graph's bucket still holds them, and if it is full its refill is lost at the
 * brim. Refilling ours above `burst − uncounted` would credit writes Graph never had (the classic
 * case: a full budget at the start, and a slow first request).
 */
export class TokenLevel {
  readonly burst: number;
  readonly refillPerMs: number;
  #level: number;
  #at: number;
  #rateFactor = 1;
  /** Writes taken whose answer has not come yet. */
  #uncounted = 0;

  /**
   * @param burst capacity in writes (≥ 1).
   * @param refillPerSecond writes per second added back (> 0).
   * @param nowMs the current time, ms.
   * @param initial writes available at the start, 0…burst (default: full).
   * @throws RangeError for a burst < 1 or a refill ≤ 0.
   */
  constructor(burst: number, refillPerSecond: number, nowMs: number, initial = burst) {
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be a number ≥ 1, got ${burst}`);
    if (!(refillPerSecond > 0) || !Number.isFinite(refillPerSecond))
      throw new RangeError(`refillPerSecond must be > 0, got ${refillPerSecond}`);
    this.burst = burst;
    this.refillPerMs = refillPerSecond / 1000;
    this.#level = Math.max(0, Math.min(burst, initial));
    this.#at = nowMs;
  }

  /** Refill multiplier in [0.05, 1]; 1 is the configured rate. */
  get rateFactor(): number {
    return this.#rateFactor;
  }

  /** Writes taken whose answer has not come yet. */
  get uncounted(): number {
    return this.#uncounted;
  }

  /** Writes available at `nowMs` (fractional; negative while a debt is being paid back). */
  levelAt(nowMs: number): number {
    this.#advance(nowMs);
    return this.#level;
  }

  /** Changes the refill multiplier from `nowMs` on (clamped to [0.05, 1]); the past keeps the old rate. */
  setRateFactor(factor: number, nowMs: number): void {
    this.#advance(nowMs);
    this.#rateFactor = Math.min(1, Math.max(0.05, Number.isFinite(factor) ? factor : 1));
  }

  /** Takes `writes` now if the level allows it (they are uncounted until {@link counted}); returns whether it did. */
  tryTake(writes: number, nowMs: number): boolean {
    this.#advance(nowMs);
    if (this.#level < writes) return false;
    this.#level -= writes;
    this.#uncounted += writes;
    return true;
  }

  /** The answer for `writes` taken earlier has come: Graph has counted them; the ceiling rises again. */
  counted(writes: number, nowMs: number): void {
    this.#advance(nowMs);
    this.#uncounted = Math.max(0, this.#uncounted - writes);
  }

  /** Gives back `writes` taken but not sent (they will not be counted), up to the ceiling. */
  giveBack(writes: number, nowMs: number): void {
    this.#advance(nowMs);
    this.#uncounted = Math.max(0, this.#uncounted - writes);
    this.#level = Math.min(this.burst - this.#uncounted, this.#level + Math.max(0, writes));
  }

  /** Lowers the level to at most `max` writes (may be negative: a debt). Never raises it. */
  capAt(max: number, nowMs: number): void {
    this.#advance(nowMs);
    if (max < this.#level) this.#level = max;
  }

  /**
   * Milliseconds from `nowMs` until `writes` are available at the current rate; 0 when they are now;
   * `Infinity` when they cannot be before answers come (the ceiling is below them). `writes` above
   * the burst count as the burst (a request can never need more).
   */
  msUntil(writes: number, nowMs: number): number {
    this.#advance(nowMs);
    const wanted = Math.min(writes, this.burst);
    if (wanted > this.burst - this.#uncounted) return Number.POSITIVE_INFINITY;
    const missing = wanted - this.#level;
    return missing <= 0 ? 0 : Math.ceil(missing / (this.refillPerMs * this.#rateFactor));
  }

  #advance(nowMs: number): void {
    if (nowMs > this.#at) {
      const ceiling = this.burst - this.#uncounted;
      if (this.#level < ceiling) this.#level = Math.min(ceiling, this.#level + (nowMs - this.#at) * this.refillPerMs * this.#rateFactor);
      this.#at = nowMs;
    }
  }
}

/** Options of {@link WriteBudget}. */
export interface WriteBudgetOptions {
  /** Writes that may go at once from a full budget (the token bucket's size). */
  burst: number;
  /** Writes per second added back. */
  refillPerSecond: number;
  /** Writes available at the start, 0…burst. Default `burst` (a full bucket). */
  initial?: number;
  /** Monotonic clock, ms. Default `performance.now`. */
  now?: () => number;
}

/** Thrown to the waiters of a budget that was stopped. */
export class BudgetStoppedError extends Error {
  constructor() {
    super('the write budget was stopped');
    this.name = 'BudgetStoppedError';
  }
}

interface Waiter {
  writes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The client-side write budget of one process: hands out writes from a {@link TokenLevel} first
 * come, first served (a large request at the head of the line is not overtaken by small ones).
 * While anyone waits, one timer (which keeps the process alive) is set for the moment the head of
 * the line can go; an idle budget holds no timer.
 */
export class WriteBudget implements PacingBudget {
  readonly #level: TokenLevel;
  readonly #now: () => number;
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Nothing is handed out before this time (budget clock, ms). */
  #heldUntil = Number.NEGATIVE_INFINITY;

  /** @throws RangeError for a burst < 1 or a refill ≤ 0. */
  constructor(options: WriteBudgetOptions) {
    this.#now = options.now ?? (() => performance.now());
    this.#level = new TokenLevel(options.burst, options.refillPerSecond, this.#now(), options.initial);
  }

  /** The largest weight one request may carry: a batch larger than the burst could never be sent. */
  get burst(): number {
    return this.#level.burst;
  }

  /** The configured refill, writes per second (before the rate factor). */
  get refillPerSecond(): number {
    return this.#level.refillPerMs * 1000;
  }

  /** Refill multiplier in [0.05, 1]; 1 is the configured rate. */
  get rateFactor(): number {
    return this.#level.rateFactor;
  }

  set rateFactor(factor: number) {
    this.#level.setRateFactor(factor, this.#now());
    this.#reschedule();
  }

  /** Writes available now (fractional; negative while a reported debt is paid back). */
  get level(): number {
    return this.#level.levelAt(this.#now());
  }

  /** Requests waiting for writes. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves once `writes` are taken from the budget (first come, first served). Each write taken
   * must come back through {@link counted} (answered) or {@link refund} (not sent).
   * @param writes writes the request will make (1 for a PATCH, the number of PATCHes for a `$batch`);
   *   more than the burst counts as the burst.
   * @throws {BudgetStoppedError} (rejects) when the budget is stopped first.
   */
  acquire(writes: number): Promise<void> {
    if (this.#stopped) return Promise.reject(new BudgetStoppedError());
    const weight = Math.min(writes, this.#level.burst);
    const now = this.#now();
    if (this.#waiters.length === 0 && now >= this.#heldUntil && this.#level.tryTake(weight, now)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ writes: weight, resolve, reject });
      this.#reschedule();
    });
  }

  /**
   * Runs `fn` (which sends the request and resolves with its answer) once `writes` are taken; when
   * it settles, the writes count as counted by Graph, less any `fn` gave back through its grant.
   * @throws {BudgetStoppedError} when the budget is stopped while waiting (`fn` is then never called).
   */
  async schedule<T>(writes: number, fn: (grant?: BudgetGrant) => Promise<T>): Promise<T> {
    const weight = Math.min(writes, this.#level.burst);
    await this.acquire(weight);
    let outstanding = weight;
    const grant: BudgetGrant = {
      refund: (unused) => {
        const n = Math.min(Math.max(0, unused), outstanding);
        outstanding -= n;
        this.refund(n);
      },
    };
    try {
      return await fn(grant);
    } finally {
      this.counted(outstanding);
    }
  }

  /**
   * The answer for `writes` handed out earlier has come (or the request failed on the network):
   * Graph has counted them, and the budget's ceiling rises again (see {@link TokenLevel}).
   */
  counted(writes: number): void {
    this.#level.counted(writes, this.#now());
    this.#reschedule();
  }

  /** Gives back writes that were acquired but not sent (a `$batch` that found fewer rows than it asked for, a halt). */
  refund(writes: number): void {
    this.#level.giveBack(writes, this.#now());
    this.#reschedule();
  }

  /** Empties the budget: after a 429 Graph's bucket is empty, so ours refills from zero. */
  async drain(): Promise<void> {
    this.capAt(0);
  }

  /** Writes available now (see {@link level}). */
  async available(): Promise<number> {
    return this.level;
  }

  /**
   * Hands nothing out for the next `ms` milliseconds (the level keeps refilling): every worker pauses
   * for a 429's Retry-After. A shorter hold than the current one does not shorten it.
   */
  holdFor(ms: number): void {
    this.#heldUntil = Math.max(this.#heldUntil, this.#now() + Math.max(0, ms));
    this.#reschedule();
  }

  /** Lowers the level to at most `max` writes (negative: wait until that debt is paid back). */
  capAt(max: number): void {
    this.#level.capAt(max, this.#now());
    this.#reschedule();
  }

  /** Stops the timer; every waiter is rejected with {@link BudgetStoppedError}. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#waiters.splice(0)) w.reject(new BudgetStoppedError());
  }

  /** Serves the head of the line while the level allows, then sets the timer for the next one. */
  #reschedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#now();
    if (now < this.#heldUntil) {
      if (this.#waiters.length > 0) this.#timer = setTimeout(() => this.#reschedule(), Math.max(1, Math.ceil(this.#heldUntil - now)));
      return;
    }
    while (this.#waiters.length > 0 && this.#level.tryTake(this.#waiters[0]!.writes, now)) this.#waiters.shift()!.resolve();
    const head = this.#waiters[0];
    if (!head) return;
    // Infinity: the head waits for answers still travelling; counted() reschedules when one comes.
    const waitMs = this.#level.msUntil(head.writes, now);
    if (Number.isFinite(waitMs)) this.#timer = setTimeout(() => this.#reschedule(), Math.max(1, waitMs));
  }
}

import Bottleneck from 'bottleneck';
import type { PacingBudget } from './budget.js';

/** Options of {@link WriteBudget}. */
export interface WriteBudgetOptions {
  /** Writes that may go at once from a full budget (the token bucket's size). */
  burst: number;
  /** Writes per second added back. */
  refillPerSecond: number;
  /** How often the refill runs, in ms. Default 50. */
  tickMs?: number;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Writes available at the start, 0…burst. Default `burst` (a full bucket). */
  initial?: number;
}

/**
 * The client-side write budget: a token bucket held in a bottleneck limiter's reservoir, so that
 * writes are paced to Graph's budget instead of discovering it through 429s. Every PATCH costs one
 * write, alone or inside a `$batch` (graph-facts.md §3; learn.microsoft.com/en-us/graph/throttling-limits).
 *
 * The refill is computed from elapsed time (fractions carried over), so its rate does not drift with
 * timer jitter. `rateFactor` scales the refill (pacing slows down when Graph says usage is high).
 */
export class WriteBudget implements PacingBudget {
  readonly #limiter: Bottleneck;
  readonly #burst: number;
  readonly #refillPerMs: number;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #last: number;
  #carry = 0;
  #level: number;
  #rateFactor = 1;
  /** Requests scheduled and not yet finished: while any wait, the refill timer keeps the process alive. */
  #pending = 0;

  constructor(options: WriteBudgetOptions) {
    this.#burst = options.burst;
    this.#refillPerMs = options.refillPerSecond / 1000;
    this.#now = options.now ?? Date.now;
    this.#last = this.#now();
    this.#level = Math.max(0, Math.min(options.burst, Math.floor(options.initial ?? options.burst)));
    this.#limiter = new Bottleneck({ reservoir: this.#level });
    this.#timer = setInterval(() => this.#refill(), options.tickMs ?? 50);
    this.#timer.unref();
  }

  /** The largest weight one request may carry: a batch larger than the burst could never be sent. */
  get burst(): number {
    return this.#burst;
  }

  /** Refill multiplier in (0, 1]; 1 is the configured rate. */
  get rateFactor(): number {
    return this.#rateFactor;
  }

  set rateFactor(f: number) {
    this.#rateFactor = Math.min(1, Math.max(0.05, f));
  }

  /**
   * Runs `fn` once `weight` writes are available, taking them from the budget.
   * @param weight writes the request will make (1 for a PATCH, the number of PATCHes for a `$batch`).
   */
  schedule<T>(weight: number, fn: () => Promise<T>): Promise<T> {
    // The refill timer is unref'd so an idle budget never holds the process open; but a request
    // waiting for writes has nothing else keeping the event loop alive (Node would exit with 13).
    if (this.#pending++ === 0) this.#timer.ref();
    return this.#limiter.schedule({ weight: Math.min(weight, this.#burst) }, fn).finally(() => {
      if (--this.#pending === 0) this.#timer.unref();
    });
  }

  /** Empties the budget: after a 429 Graph's bucket is empty, so ours refills from zero. */
  async drain(): Promise<void> {
    const current = (await this.#limiter.currentReservoir()) ?? 0;
    if (current > 0) await this.#limiter.incrementReservoir(-current);
    this.#carry = 0;
    this.#level = 0;
  }

  /** Writes available now (approximate, for progress and tests). */
  async available(): Promise<number> {
    return (await this.#limiter.currentReservoir()) ?? 0;
  }

  /** Stops the refill timer and drops queued work. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    this.#last = now;
    if (elapsed <= 0) return;
    void this.#limiter.currentReservoir().then((current) => {
      const level = current ?? 0;
      this.#level = level;
      if (level >= this.#burst) {
        this.#carry = 0;
        return;
      }
      this.#carry += elapsed * this.#refillPerMs * this.#rateFactor;
      const whole = Math.min(Math.floor(this.#carry), this.#burst - level);
      if (whole > 0) {
        this.#carry -= whole;
        void this.#limiter.incrementReservoir(whole);
      }
    });
  }
}

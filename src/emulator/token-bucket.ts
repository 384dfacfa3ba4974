/**
 * Token-bucket throttle arithmetic with per-target reservations. Pure: no I/O, no clock — every
 * call takes `now` in milliseconds from any monotonic origin.
 *
 * Encodes docs/graph-behaviour.md §3: the write budget is a token bucket (3,000 writes per 150 s =
 * burst 3,000, refill 20 writes/s), 429s may happen below the nominal limit, `Retry-After` is
 * fractional seconds, and `x-ms-throttle-limit-percentage` is sent between 0.8 and 1.8.
 *
 * Truthful Retry-After under concurrency: when the bucket has no whole token, the request's token
 * is *reserved*: the level is debited (it may go negative), and the reservation becomes usable at
 * the moment the level climbs back to where this request is first in line. The target (e.g. the
 * device) that was told to wait then owns that token from `at` until `at + graceMs`; its retry
 * consumes it without touching the shared level. A reservation not claimed in time is refunded.
 * A retry that arrives before `at − toleranceMs` is an *early retry*: refused again with the
 * remaining wait, the reservation kept.
 */

/** Bucket parameters. */
export interface TokenBucketConfig {
  /** Capacity in tokens (writes). ≥ 1. Graph: 3,000. */
  burst: number;
  /** Refill rate in tokens per second. > 0. Graph: 20. */
  refillPerSecond: number;
  /** How long (ms) a reservation is held after it becomes usable. Default 2,000. */
  graceMs?: number;
  /** A retry up to this many ms before its reservation time still counts as on time
   * (absorbs timer jitter). Default 20. */
  toleranceMs?: number;
}

/** Result of {@link TokenBucket.take}. `usage` is tokens consumed / burst after the call
 * (0 = full bucket, 1 = empty, > 1 = reservations outstanding). */
export type TakeResult =
  | { allowed: true; usage: number; fromReservation: boolean }
  | { allowed: false; usage: number; retryAfterMs: number; early: boolean };

interface Reservation {
  /** ms at which the token is the target's. */
  at: number;
  /** The wait (ms) the target was told when the reservation was made (its `Retry-After`). */
  waitMs: number;
  /** ms after which an unclaimed reservation is refunded. */
  expiresAt: number;
}

/** A token bucket with reservations. Not thread-safe (Node's event loop needs none). */
export class TokenBucket {
  readonly burst: number;
  readonly refillPerMs: number;
  readonly graceMs: number;
  readonly toleranceMs: number;
  private tokens: number;
  private last: number;
  private readonly reservations = new Map<string, Reservation>();

  /**
   * @param config bucket parameters
   * @param now current time in ms; the bucket starts full.
   * @throws RangeError when burst < 1 or refillPerSecond ≤ 0.
   */
  constructor(config: TokenBucketConfig, now: number) {
    if (!(config.burst >= 1) || !Number.isFinite(config.burst)) throw new RangeError('burst must be a number ≥ 1');
    if (!(config.refillPerSecond > 0) || !Number.isFinite(config.refillPerSecond)) {
      throw new RangeError('refillPerSecond must be a number > 0');
    }
    this.burst = config.burst;
    this.refillPerMs = config.refillPerSecond / 1000;
    this.graceMs = config.graceMs ?? 2000;
    this.toleranceMs = config.toleranceMs ?? 20;
    this.tokens = config.burst;
    this.last = now;
  }

  /**
   * Asks for one token for `target` at time `now` (ms).
   * - allowed: a token was taken (from the bucket or from the target's own reservation);
   * - refused: `retryAfterMs` (≥ 1, whole ms) is when the target's reserved token is usable.
   *   `early` is true when the target already held a reservation it came back too early for.
   */
  take(now: number, target: string): TakeResult {
    this.advance(now);
    const reservation = this.reservations.get(target);
    if (reservation) {
      if (now >= reservation.at - this.toleranceMs) {
        this.reservations.delete(target);
        return { allowed: true, usage: this.usage(), fromReservation: true };
      }
      return { allowed: false, usage: this.usage(), retryAfterMs: Math.max(1, Math.ceil(reservation.at - now)), early: true };
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, usage: this.usage(), fromReservation: false };
    }
    // Debit the future: the token is ours once the level is back to 0.
    this.tokens -= 1;
    const waitMs = Math.max(1, Math.ceil(-this.tokens / this.refillPerMs));
    const at = now + waitMs;
    this.reservations.set(target, { at, waitMs, expiresAt: at + this.graceMs });
    return { allowed: false, usage: this.usage(), retryAfterMs: waitMs, early: false };
  }

  /**
   * What {@link take} would do for `target` at `now`, without doing it: `token` (a whole token is
   * in the bucket), `reservation` (the target's reserved token is usable), `early` (the target holds
   * a reservation it is too early for) or `empty` (no token: take would reserve one).
   */
  peek(now: number, target: string): 'token' | 'reservation' | 'early' | 'empty' {
    this.advance(now);
    const reservation = this.reservations.get(target);
    if (reservation) return now >= reservation.at - this.toleranceMs ? 'reservation' : 'early';
    return this.tokens >= 1 ? 'token' : 'empty';
  }

  /**
   * Refuses a target that came back on time for its reservation once more (Graph may throttle a
   * retry made after the full Retry-After: docs/graph-behaviour.md §3): the reservation moves
   * `waitMs` later (default: the wait it was first given — "continue to use the recommended
   * Retry-After delay"). Returns that wait in ms, or undefined when the target holds no reservation.
   */
  postpone(now: number, target: string, waitMs?: number): number | undefined {
    this.advance(now);
    const reservation = this.reservations.get(target);
    if (!reservation) return undefined;
    const wait = Math.max(1, Math.ceil(waitMs ?? reservation.waitMs));
    reservation.at = now + wait;
    reservation.expiresAt = reservation.at + this.graceMs;
    return wait;
  }

  /** Usage (consumed / burst) at `now` without taking anything. */
  usageAt(now: number): number {
    this.advance(now);
    return this.usage();
  }

  /** Token level at `now` (negative while reservations are outstanding). */
  levelAt(now: number): number {
    this.advance(now);
    return this.tokens;
  }

  /** Number of reservations not yet claimed or expired at `now`. */
  pendingReservations(now: number): number {
    this.advance(now);
    return this.reservations.size;
  }

  private usage(): number {
    return (this.burst - this.tokens) / this.burst;
  }

  private advance(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.refillPerMs);
      this.last = now;
    }
    for (const [target, r] of this.reservations) {
      if (now > r.expiresAt) {
        this.reservations.delete(target);
        this.tokens = Math.min(this.burst, this.tokens + 1);
      }
    }
  }
}

/**
 * `Retry-After` value for a wait in ms: seconds with up to 3 decimals, rounded up to the ms so a
 * client waiting exactly that long is never early, never `0` (minimum `0.001`). E.g. 249 → `0.249`,
 * 2000 → `2`, 1500 → `1.5`.
 */
export function formatRetryAfter(waitMs: number): string {
  const ms = Math.max(1, Math.ceil(waitMs));
  return String(ms / 1000);
}

/**
 * `x-ms-throttle-limit-percentage` value, or `undefined` when it must not be sent.
 * Graph sends it only between 0.8 and 1.8 of the budget (§3); two decimals, e.g. `0.85`.
 */
export function formatLimitPercentage(usage: number): string | undefined {
  if (!(usage >= 0.8) || usage > 1.8) return undefined;
  return usage.toFixed(2);
}

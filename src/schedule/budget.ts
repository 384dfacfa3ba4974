/**
 * What the job engine needs of a write budget, whether it lives in this process ({@link WriteBudget})
 * or is shared with other processes through Redis ({@link SharedBudget}). Weights are writes: every
 * PATCH costs one, alone or inside a `$batch` (docs/graph-behaviour.md §3).
 *
 * @see ./write-budget.ts
 * @see ./shared-budget.ts
 */
import type { ThrottleScopeName } from '../graph/throttle-scope.js';

export interface PacingBudget {
  /** The largest weight one request may carry (the bucket's size, in writes). */
  readonly burst: number;
  /** The configured refill, writes per second (before {@link rateFactor}). */
  readonly refillPerSecond: number;
  /** Refill multiplier in (0, 1]; 1 is the configured rate. Setting it clamps to [0.05, 1]. */
  rateFactor: number;
  /**
   * Runs `fn` once `weight` writes are available, taking them from the budget. `fn` sends the
   * request and resolves with its answer; a budget that can take back writes not sent passes a
   * {@link BudgetGrant} (others pass nothing: the writes are spent).
   * @param weight writes the request will make (1 for a PATCH, the number of PATCHes for a `$batch`);
   *   more than {@link burst} counts as `burst`.
   * @throws when the budget was stopped while `fn` still waited (`fn` is then never called).
   */
  schedule<T>(weight: number, fn: (grant?: BudgetGrant) => Promise<T>): Promise<T>;
  /** Empties the budget: after a 429 Graph's bucket is empty, so ours refills from zero. */
  drain(): Promise<void>;
  /** Writes available now (approximate, for progress and tests). */
  available(): Promise<number>;
  /** Stops refilling, drops waiting work and releases resources. Safe to call more than once. */
  stop(): Promise<void>;
  /**
   * Writes available now, read without I/O (negative: a debt being paid back); absent when the
   * budget cannot tell without a round trip (a budget shared through Redis). Pacing uses it to
   * follow Graph's `x-ms-throttle-limit-percentage` and to size the requests in flight.
   */
  readonly level?: number;
  /** Hands nothing out for `ms` milliseconds (a 429's pause), if the budget can (else the pause gate alone holds). */
  holdFor?(ms: number): void;
  /** Lowers the writes available to at most `writes` (negative: a debt), if the budget can. */
  capAt?(writes: number): void;
  /**
   * The part of this budget that Graph names in a 429's `x-ms-throttle-scope` (a budget made of
   * several levels: see ./layered-budget.ts), or undefined when it has none of that scope: pacing then
   * slows the budget as a whole. docs/graph-behaviour.md §3.
   */
  forScope?(scope: ThrottleScopeName): PacingBudget | undefined;
}

/** What a budget passes to a scheduled request: the writes it takes back if they are not all sent. */
export interface BudgetGrant {
  /** Gives back `writes` of the ones taken: they will not be sent. */
  refund(writes: number): void;
}

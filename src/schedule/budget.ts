/**
 * What the job engine needs of a write budget, whether it lives in this process ({@link WriteBudget})
 * or is shared with other processes through Redis ({@link SharedBudget}). Weights are writes: every
 * PATCH costs one, alone or inside a `$batch` (graph-facts.md §3).
 *
 * @see ./write-budget.ts
 * @see ./shared-budget.ts
 */
export interface PacingBudget {
  /** The largest weight one request may carry (the bucket's size, in writes). */
  readonly burst: number;
  /** Refill multiplier in (0, 1]; 1 is the configured rate. Setting it clamps to [0.05, 1]. */
  rateFactor: number;
  /**
   * Runs `fn` once `weight` writes are available, taking them from the budget.
   * @param weight writes the request will make (1 for a PATCH, the number of PATCHes for a `$batch`);
   *   more than {@link burst} counts as `burst`.
   * @throws when the budget was stopped while `fn` still waited (`fn` is then never called).
   */
  schedule<T>(weight: number, fn: () => Promise<T>): Promise<T>;
  /** Empties the budget: after a 429 Graph's bucket is empty, so ours refills from zero. */
  drain(): Promise<void>;
  /** Writes available now (approximate, for progress and tests). */
  available(): Promise<number>;
  /** Stops refilling, drops waiting work and releases resources. Safe to call more than once. */
  stop(): Promise<void>;
}

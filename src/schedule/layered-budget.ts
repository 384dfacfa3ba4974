/**
 * A write budget made of several, one per budget Graph counts a write against (docs/graph-behaviour.md
 * §3): the signed-in user's (delegated runs: 25 writes per 10 s per user per tenant), the app's in the
 * tenant (3,000 per 150 s), the tenant's (18,000 per 5 min, all apps), the app's (35,000 per 5 min, all
 * tenants). A write goes only when every level has it; each level refills on its own.
 *
 * The level that binds — the one with the slowest refill now — speaks for the whole: its burst,
 * refill, rate factor and level are what pacing reads. A 429 names its budget in
 * `x-ms-throttle-scope`; {@link LayeredBudget.forScope} hands out that level, so the budget Graph
 * reports spent is the one that slows (`src/graph/throttle-scope.ts`).
 */
import type { ThrottleScopeName } from '../graph/throttle-scope.js';
import type { BudgetGrant, PacingBudget } from './budget.js';

/** One level: the scope Graph names it by, and its budget. */
export interface BudgetLevel {
  scope: ThrottleScopeName;
  budget: PacingBudget;
}

/** The levels of one write; see the module comment. */
export class LayeredBudget implements PacingBudget {
  readonly levels: readonly BudgetLevel[];

  /**
   * @param levels at least one, narrowest first (the order writes are taken in).
   * @throws RangeError for no levels, or two of one scope.
   */
  constructor(levels: readonly BudgetLevel[]) {
    if (levels.length === 0) throw new RangeError('a layered budget needs at least one level');
    if (new Set(levels.map((l) => l.scope)).size !== levels.length) throw new RangeError('one level per scope');
    this.levels = [...levels];
  }

  /** The level that binds now: the slowest refill (× its rate factor); ties go to the narrowest. */
  get binding(): BudgetLevel {
    let best = this.levels[0]!;
    for (const l of this.levels) {
      if (l.budget.refillPerSecond * l.budget.rateFactor < best.budget.refillPerSecond * best.budget.rateFactor) best = l;
    }
    return best;
  }

  /** The level Graph names in a 429's `x-ms-throttle-scope`, or undefined when this budget has none of that scope. */
  forScope(scope: ThrottleScopeName): PacingBudget | undefined {
    return this.levels.find((l) => l.scope === scope)?.budget;
  }

  /** The smallest burst of the levels: a request can never carry more writes than that. */
  get burst(): number {
    return Math.min(...this.levels.map((l) => l.budget.burst));
  }

  /** The binding level's configured refill, writes per second. */
  get refillPerSecond(): number {
    return this.binding.budget.refillPerSecond;
  }

  /** The binding level's refill multiplier; setting it changes that level's. */
  get rateFactor(): number {
    return this.binding.budget.rateFactor;
  }

  set rateFactor(factor: number) {
    this.binding.budget.rateFactor = factor;
  }

  /** The lowest level (writes available) of the levels; undefined when one cannot tell without I/O. */
  get level(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (const l of this.levels) {
      const v = l.budget.level;
      if (v === undefined) return undefined;
      min = Math.min(min, v);
    }
    return min;
  }

  /**
   * Runs `fn` once every level has handed out `weight` writes (taken narrowest first); a refund
   * through the grant goes back to every level.
   * @throws when a level was stopped while waiting (`fn` is then never called).
   */
  schedule<T>(weight: number, fn: (grant?: BudgetGrant) => Promise<T>): Promise<T> {
    const w = Math.min(weight, this.burst);
    const run = (i: number, grants: BudgetGrant[]): Promise<T> => {
      if (i === this.levels.length) {
        return fn({
          refund: (writes) => {
            for (const g of grants) g.refund(writes);
          },
        });
      }
      return this.levels[i]!.budget.schedule(w, (g) => run(i + 1, g ? [...grants, g] : grants));
    };
    return run(0, []);
  }

  /** Empties the binding level (a 429 that names no scope is taken as the budget that binds). */
  drain(): Promise<void> {
    return this.binding.budget.drain();
  }

  /** The lowest writes available among the levels. */
  async available(): Promise<number> {
    const all = await Promise.all(this.levels.map((l) => l.budget.available()));
    return Math.min(...all);
  }

  /** Holds every level (a pause holds every write, whatever budget it waits for). */
  holdFor(ms: number): void {
    for (const l of this.levels) l.budget.holdFor?.(ms);
  }

  /** Lowers the binding level. */
  capAt(writes: number): void {
    const b = this.binding.budget;
    if (b.capAt) b.capAt(writes);
    else if (writes <= 0) void b.drain();
  }

  /** Stops every level. */
  async stop(): Promise<void> {
    await Promise.all(this.levels.map((l) => l.budget.stop()));
  }
}

/**
 * The budgets Graph counts a write against, side by side (docs/graph-behaviour.md §3,
 * learn.microsoft.com/en-us/graph/throttling-limits, "identity and access service"):
 *
 * | scope (`x-ms-throttle-scope`) | bucket per          | Graph's write quota            |
 * |-------------------------------|---------------------|--------------------------------|
 * | `Tenant_User`                 | user in a tenant    | 25 per 10 s (delegated callers) |
 * | `Tenant_Application`          | app in a tenant     | 3,000 per 150 s                |
 * | `Tenant`                      | tenant (all apps)   | 18,000 per 5 min               |
 * | `Application`                 | app (all tenants)   | 35,000 per 5 min               |
 *
 * A write is granted only when every bucket it belongs to has a token (or the target's reservation
 * in it is due); then it takes from each. Otherwise the buckets that refused reserve a token for the
 * target (see {@link TokenBucket}) and the longest wait answers, with that bucket's scope. Pure
 * bookkeeping: time comes in as `now` (ms, monotonic), chance through `chance()`.
 */
import type { BudgetOptions } from './context.js';
import { TokenBucket } from './token-bucket.js';

/** Scope names of `x-ms-throttle-scope` (docs/graph-behaviour.md §3). */
export type ThrottleScopeName = 'Tenant_User' | 'Tenant_Application' | 'Tenant' | 'Application';

/** Who a request is charged to: from its token's `tid`, `appid` and (delegated) `oid` / `upn`. */
export interface Caller {
  tenantId: string;
  appId: string;
  /** The signed-in user (delegated tokens only): `oid`, else `upn`. */
  userId?: string;
}

/** One bucket configuration per scope; absent = that budget is not modelled (never throttles). */
export type LevelBudgets = Partial<Record<ThrottleScopeName, BudgetOptions>>;

/** Outcome of {@link BudgetLevels.take}. `usage` = the highest consumed / burst of the caller's buckets. */
export type LevelOutcome =
  | { allowed: true; usage: number }
  | {
      allowed: false;
      scope: ThrottleScopeName;
      /** The id after the application id in `x-ms-throttle-scope`: tenant id, or the user's id for `Tenant_User`. */
      resourceId: string;
      retryAfterMs: number;
      /** The target came back before its reservation was due. */
      early: boolean;
      /** The target came back on time and was refused once more (a repeated 429). */
      repeated: boolean;
    };

/** State of one bucket, for stats. */
export interface LevelSnapshot {
  scope: ThrottleScopeName;
  /** `appId/tenantId`, `tenantId/userId`, `tenantId` or `appId`. */
  key: string;
  burst: number;
  refillPerSecond: number;
  tokens: number;
  usage: number;
  reservations: number;
}

/** Scopes in the order a write meets them (narrowest first). */
const ORDER: readonly ThrottleScopeName[] = ['Tenant_User', 'Tenant_Application', 'Tenant', 'Application'];

interface Slot {
  scope: ThrottleScopeName;
  key: string;
  resourceId: string;
  bucket: TokenBucket;
}

/** The buckets of one kind (writes, or reads) for every caller seen, created on first use. */
export class BudgetLevels {
  private readonly buckets = new Map<string, TokenBucket>();

  /**
   * @param budgets bucket parameters per scope
   * @param tuning reservation grace and retry tolerance (ms), as {@link TokenBucket}'s
   */
  constructor(
    readonly budgets: LevelBudgets,
    private readonly tuning: { graceMs: number; toleranceMs: number },
  ) {
    for (const b of Object.values(budgets)) new TokenBucket({ burst: b.burst, refillPerSecond: b.refillPerSecond }, 0); // validates
  }

  /** The caller's buckets, narrowest first (`Tenant_User` only with a user). */
  private slots(caller: Caller, now: number): Slot[] {
    const out: Slot[] = [];
    for (const scope of ORDER) {
      const budget = this.budgets[scope];
      if (!budget) continue;
      let key: string;
      let resourceId = caller.tenantId;
      if (scope === 'Tenant_User') {
        if (caller.userId === undefined) continue;
        key = `${caller.tenantId}/${caller.userId}`;
        resourceId = caller.userId;
      } else if (scope === 'Tenant_Application') key = `${caller.appId}/${caller.tenantId}`;
      else if (scope === 'Tenant') key = caller.tenantId;
      else key = caller.appId;
      const id = `${scope}|${key.toLowerCase()}`;
      let bucket = this.buckets.get(id);
      if (!bucket) {
        bucket = new TokenBucket(
          {
            burst: budget.burst,
            refillPerSecond: budget.refillPerSecond,
            graceMs: this.tuning.graceMs,
            toleranceMs: this.tuning.toleranceMs,
          },
          now,
        );
        this.buckets.set(id, bucket);
      }
      out.push({ scope, key, resourceId, bucket });
    }
    return out;
  }

  /**
   * Charges one token for `target` (a device) to every bucket of `caller`.
   * @param repeat asked once when the target comes back on time for a reservation: true = refuse it
   *   once more with the same wait (a repeated 429, docs/graph-behaviour.md §3).
   */
  take(now: number, target: string, caller: Caller, repeat: () => boolean = () => false): LevelOutcome {
    const slots = this.slots(caller, now);
    const views = slots.map((s) => s.bucket.peek(now, target));
    if (views.every((v) => v === 'token' || v === 'reservation')) {
      const due = slots.find((_, i) => views[i] === 'reservation');
      if (due && repeat()) {
        const wait = due.bucket.postpone(now, target) ?? 1;
        return { allowed: false, scope: due.scope, resourceId: due.resourceId, retryAfterMs: wait, early: false, repeated: true };
      }
      let usage = 0;
      for (const s of slots) usage = Math.max(usage, takeUsage(s.bucket, now, target));
      return { allowed: true, usage };
    }
    let worst: { slot: Slot; waitMs: number; early: boolean } | undefined;
    for (const [i, s] of slots.entries()) {
      if (views[i] === 'token' || views[i] === 'reservation') continue;
      const r = s.bucket.take(now, target);
      if (r.allowed) continue; // cannot happen (peeked), kept for safety
      if (!worst || r.retryAfterMs > worst.waitMs) worst = { slot: s, waitMs: r.retryAfterMs, early: r.early };
    }
    const w = worst!;
    return { allowed: false, scope: w.slot.scope, resourceId: w.slot.resourceId, retryAfterMs: w.waitMs, early: w.early, repeated: false };
  }

  /** Every bucket created so far. */
  snapshot(now: number): LevelSnapshot[] {
    const out: LevelSnapshot[] = [];
    for (const [id, bucket] of this.buckets) {
      const bar = id.indexOf('|');
      out.push({
        scope: id.slice(0, bar) as ThrottleScopeName,
        key: id.slice(bar + 1),
        burst: bucket.burst,
        refillPerSecond: bucket.refillPerMs * 1000,
        tokens: bucket.levelAt(now),
        usage: bucket.usageAt(now),
        reservations: bucket.pendingReservations(now),
      });
    }
    return out;
  }

  /** The bucket of `scope` and `key` (as in {@link LevelSnapshot.key}), if created. */
  bucket(scope: ThrottleScopeName, key: string): TokenBucket | undefined {
    return this.buckets.get(`${scope}|${key.toLowerCase()}`);
  }
}

function takeUsage(bucket: TokenBucket, now: number, target: string): number {
  const r = bucket.take(now, target);
  return r.usage;
}

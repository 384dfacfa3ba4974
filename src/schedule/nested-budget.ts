/**
 * Nested write budgets shared through Redis: every level Graph counts a write against (docs/graph-behaviour.md
 * §3) — per user, per app in a tenant, per tenant (all apps), per app (all tenants) — is a token bucket
 * in Redis, and a grant takes from every level it belongs to at once, or from none: one Lua script
 * ({@link GRANT_SCRIPT}) checks and debits all the levels' keys atomically, on Redis's own clock.
 * So jobs of one app in many tenants (an MSP) share the application level, jobs in one tenant share the
 * tenant level, and no level is ever overspent by a grant that another level refused.
 *
 * A level can be held (a 429's Retry-After): an application-level hold pauses every job of the app in
 * every tenant; a hold on one tenant's level pauses that tenant only. Each key is a hash
 * `{tokens, at, holdUntil}`; it expires after it would have refilled twice over.
 */
import { Redis } from 'ioredis';
import type { ThrottleScopeName } from '../graph/throttle-scope.js';
import type { BudgetGrant, PacingBudget } from './budget.js';

/** One level: its Redis key, the scope Graph names it by, and its bucket. */
export interface NestedLevel {
  scope: ThrottleScopeName;
  /** The Redis key; the same for every process that shares the level. */
  key: string;
  burst: number;
  refillPerSecond: number;
}

/**
 * KEYS: the levels' keys. ARGV: weight, then per level burst and refill (tokens per ms).
 * Returns `{1, 0, 0}` when `weight` was taken from every level, else `{0, waitMs, level}` (1-based
 * index of the level that waits longest; nothing taken anywhere).
 */
export const GRANT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local weight = tonumber(ARGV[1])
local levels = {}
local wait, worst = 0, 0
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local h = redis.call('HMGET', key, 'tokens', 'at', 'holdUntil')
  local tokens = tonumber(h[1]) or burst
  local at = tonumber(h[2]) or now
  local hold = tonumber(h[3]) or 0
  if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end
  levels[i] = {key, tokens, burst, rate}
  local w = 0
  if hold > now then w = hold - now end
  if tokens < math.min(weight, burst) then w = math.max(w, math.ceil((math.min(weight, burst) - tokens) / rate)) end
  if w > wait then wait, worst = w, i end
end
if wait > 0 then
  for _, l in ipairs(levels) do redis.call('HSET', l[1], 'tokens', tostring(l[2]), 'at', now) end
  return {0, wait, worst}
end
for _, l in ipairs(levels) do
  redis.call('HSET', l[1], 'tokens', tostring(l[2] - math.min(weight, l[3])), 'at', now)
  redis.call('PEXPIRE', l[1], math.ceil(2 * l[3] / l[4]) + 60000)
end
return {1, 0, 0}
`;

/** KEYS[1]: a level. ARGV: burst, refill per ms, then `give` (writes back, capped at burst), `cap` (at most) or `hold` (ms). */
export const ADJUST_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local op, n = ARGV[3], tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'holdUntil')
local tokens = tonumber(h[1]) or burst
local at = tonumber(h[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end
if op == 'give' then tokens = math.min(burst, tokens + n)
elseif op == 'cap' then tokens = math.min(tokens, n)
elseif op == 'hold' then
  local hold = tonumber(h[3]) or 0
  redis.call('HSET', KEYS[1], 'holdUntil', math.max(hold, now + n))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(2 * burst / rate) + 60000)
return tostring(tokens)
`;

/** Polls at most this long between two grant attempts, ms (a wait Redis names is slept exactly, up to this). */
export const MAX_POLL_MS = 250;

/** Thrown to requests still waiting when the budget is stopped. */
export class NestedBudgetStoppedError extends Error {
  constructor() {
    super('the nested write budget was stopped');
    this.name = 'NestedBudgetStoppedError';
  }
}

/**
 * A {@link PacingBudget} over nested levels in Redis. Its burst and refill are the binding level's (the
 * slowest refill); {@link forScope} hands out one level, for the pacer to hold or lower when a 429 names it.
 */
export class NestedSharedBudget implements PacingBudget {
  readonly levels: readonly NestedLevel[];
  readonly #redis: Redis;
  #stopped = false;
  #factor = 1;
  readonly #timers = new Set<NodeJS.Timeout>();

  /**
   * @param redisUrl `redis://…` or `rediss://…`
   * @param levels at least one, narrowest first
   * @throws RangeError for no levels, a burst < 1 or a refill ≤ 0.
   */
  constructor(redisUrl: string, levels: readonly NestedLevel[]) {
    if (levels.length === 0) throw new RangeError('a nested budget needs at least one level');
    for (const l of levels) {
      if (!(l.burst >= 1) || !(l.refillPerSecond > 0)) throw new RangeError(`level ${l.scope}: burst ≥ 1 and refill > 0 needed`);
    }
    this.levels = [...levels];
    this.#redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.#redis.on('error', () => undefined); // surfaced by the commands that fail
    this.#redis.defineCommand('gbGrant', { lua: GRANT_SCRIPT });
    this.#redis.defineCommand('gbAdjust', { numberOfKeys: 1, lua: ADJUST_SCRIPT });
  }

  get #binding(): NestedLevel {
    let best = this.levels[0]!;
    for (const l of this.levels) if (l.refillPerSecond < best.refillPerSecond) best = l;
    return best;
  }

  get burst(): number {
    return Math.min(...this.levels.map((l) => l.burst));
  }

  get refillPerSecond(): number {
    return this.#binding.refillPerSecond;
  }

  /** Kept for the pacer (clamped to [0.05, 1]); the shared buckets in Redis set the pace of every
   * process, so it does not change what Redis grants. */
  get rateFactor(): number {
    return this.#factor;
  }

  set rateFactor(f: number) {
    this.#factor = Math.min(1, Math.max(0.05, Number.isFinite(f) ? f : 1));
  }

  /**
   * Takes `weight` writes from every level at once (one Lua script), waiting as long as Redis says
   * the longest level needs, then runs `fn`; a refund goes back to every level.
   * @throws NestedBudgetStoppedError when stopped while waiting; the Redis error when Redis fails.
   */
  async schedule<T>(weight: number, fn: (grant?: BudgetGrant) => Promise<T>): Promise<T> {
    const w = Math.min(Math.max(1, weight), this.burst);
    for (;;) {
      if (this.#stopped) throw new NestedBudgetStoppedError();
      const [ok, waitMs] = (await this.#grant(w)) as [number, number, number];
      if (ok === 1) break;
      await this.#sleep(Math.min(MAX_POLL_MS, Math.max(1, waitMs)));
    }
    let outstanding = w;
    return fn({
      refund: (n) => {
        const give = Math.min(Math.max(0, n), outstanding);
        outstanding -= give;
        if (give > 0) for (const l of this.levels) void this.#adjust(l, 'give', give).catch(() => undefined);
      },
    });
  }

  /** Empties the binding level. */
  async drain(): Promise<void> {
    await this.#adjust(this.#binding, 'cap', 0);
  }

  /** The fewest writes available among the levels now. */
  async available(): Promise<number> {
    const all = await Promise.all(this.levels.map((l) => this.#adjust(l, 'give', 0)));
    return Math.min(...all);
  }

  /** Holds every level for `ms` (every job sharing any of them waits). */
  holdFor(ms: number): void {
    for (const l of this.levels) void this.#adjust(l, 'hold', Math.ceil(ms)).catch(() => undefined);
  }

  /** Lowers the binding level to at most `writes`. */
  capAt(writes: number): void {
    void this.#adjust(this.#binding, 'cap', writes).catch(() => undefined);
  }

  /**
   * The level a 429 names, as a budget of its own for the pacer: holding it pauses every job that
   * shares that level (an `Application` hold: the app in every tenant; a `Tenant_Application` hold: this
   * tenant only); capping or draining it lowers that level alone; scheduling goes through every level.
   */
  forScope(scope: ThrottleScopeName): PacingBudget | undefined {
    const level = this.levels.find((l) => l.scope === scope);
    if (!level) return undefined;
    const whole = this;
    return {
      burst: level.burst,
      refillPerSecond: level.refillPerSecond,
      get rateFactor() {
        return whole.rateFactor;
      },
      set rateFactor(f: number) {
        whole.rateFactor = f;
      },
      schedule: (weight, fn) => whole.schedule(weight, fn),
      drain: async () => void (await this.#adjust(level, 'cap', 0)),
      available: async () => this.#adjust(level, 'give', 0),
      stop: async () => undefined,
      holdFor: (ms) => void this.#adjust(level, 'hold', Math.ceil(ms)).catch(() => undefined),
      capAt: (writes) => void this.#adjust(level, 'cap', writes).catch(() => undefined),
    };
  }

  /** Stops: waiting requests are refused, the Redis connection closes. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#redis.disconnect();
  }

  #grant(weight: number): Promise<unknown> {
    const args: (string | number)[] = [weight];
    for (const l of this.levels) args.push(l.burst, l.refillPerSecond / 1000);
    return (this.#redis as unknown as { gbGrant(n: number, ...a: (string | number)[]): Promise<unknown> }).gbGrant(
      this.levels.length,
      ...this.levels.map((l) => l.key),
      ...args,
    );
  }

  async #adjust(level: NestedLevel, op: 'give' | 'cap' | 'hold', n: number): Promise<number> {
    const r = await (this.#redis as unknown as { gbAdjust(...a: (string | number)[]): Promise<string> }).gbAdjust(
      level.key,
      level.burst,
      level.refillPerSecond / 1000,
      op,
      n,
    );
    return Number(r);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }
}

/**
 * The Redis keys of the levels of one write, from Graph's ids (lower-cased): per user
 * (`…|user|<tenant>|<user>`), per app in a tenant, per tenant, per app — the same strings in every
 * process of that app against one Graph root. Pure.
 */
export function nestedLevelKey(
  graphRoot: string,
  scope: ThrottleScopeName,
  ids: { tenantId?: string; appId?: string; userId?: string },
): string {
  const root = graphRoot.replace(/\/+$/, '').toLowerCase();
  const id = (v: string | undefined) => (v ?? '*').toLowerCase();
  switch (scope) {
    case 'Tenant_User':
      return `graph-bulk:budget|${root}|user|${id(ids.tenantId)}|${id(ids.userId)}`;
    case 'Tenant_Application':
      return `graph-bulk:budget|${root}|app-tenant|${id(ids.appId)}|${id(ids.tenantId)}`;
    case 'Tenant':
      return `graph-bulk:budget|${root}|tenant|${id(ids.tenantId)}`;
    case 'Application':
      return `graph-bulk:budget|${root}|app|${id(ids.appId)}`;
  }
}

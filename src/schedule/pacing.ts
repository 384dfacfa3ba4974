/**
 * Pacing decisions: how fast the write budget refills, when every worker pauses, and how many
 * requests are in flight — from what Graph's answers say. Pure: no clock, no timers, no I/O; the
 * job applies the decisions to its write budget (`WriteBudget`) and pause gate (`PauseGate`).
 *
 * Shaped like Azure SDK core-rest-pipeline's retry strategies: small named strategies, each with one
 * decision function, asked in order; the first that has something to say decides.
 *
 * Graph behaviour encoded (docs/graph-behaviour.md §3; learn.microsoft.com/en-us/graph/throttling,
 * learn.microsoft.com/en-us/graph/throttling-limits):
 * - the write budget is a token bucket per app and tenant; 429s can come below the nominal limit;
 * - a 429 carries `Retry-After` (seconds); the throttle is per app, so every worker pauses for it;
 * - `x-ms-throttle-limit-percentage` is the fraction of the budget in use, sent only between 0.8
 *   and 1.8 (1.0 = throttling starts): "slow down before you get 429s".
 *
 * What "slow down" means here: a client that already sends at the refill rate sits at about 1.0 by
 * definition (its bucket is empty and every write it sends was just refilled), so the header at
 * ~1.0 is no reason to go below the refill. What it does tell is how much budget Graph has left:
 * `burst × (1 − percentage)` writes (negative above 1.0: a debt). When the client's bucket holds more
 * ({@link throttleLimitPacing}) — another run of the same app spends the budget, or the burst setting
 * is too big — it is lowered to that, so the client sends no faster than the refill (or waits out
 * the debt). A 429 empties the bucket and pauses every worker for its
 * Retry-After ({@link throttledPacing}); 429s that come back soon after lower the refill
 * (multiplicative decrease), and clean answers raise it back slowly ({@link recoveryPacing}).
 *
 * Slow start ({@link slowStartPacing}, {@link slowStartWindow}): the configured budget may be larger
 * than Graph's (a smaller tenant budget, or one another job of the app spent a minute earlier), and a
 * full client bucket would send its whole burst before the first answer could say so. So a run begins
 * with {@link SLOW_START_REQUESTS} requests in flight and lets more go only as answers prove headroom:
 * an answer without `x-ms-throttle-limit-percentage` says Graph's usage is under 0.8, so at least a
 * quarter of the writes Graph has counted are still available — the writes in flight may grow to that.
 * The first sign of a smaller or spent budget (a 429, or the header at 0.8 or more) ends slow start and
 * drops the client's budget to the one Graph reports: if we started from a full bucket, Graph's burst
 * is about `writes counted / percentage`; a burst that much smaller than the configured one means a
 * smaller budget, whose refill is taken as smaller in the same ratio (Graph's budgets are quotas per
 * window: 3,000 per 150 s, 18,000 per 5 min), and the level what the header leaves.
 */

/** What one HTTP exchange (one PATCH or one `$batch`) told us. Times are ms on one clock. */
export interface PacingObservation {
  /** When the request was sent, ms. */
  sentAtMs: number;
  /** When its answer arrived, ms. */
  atMs: number;
  /** PATCHes the request carried (1, or the `$batch` size). */
  writes: number;
  /** Writes sent after this request and before its answer was handled: taken from the client's
   * budget already, but (mostly) not yet counted by Graph when it measured the usage it reports. */
  writesSentSince: number;
  /** Writes of other requests in flight when this one was sent: Graph may count them before or after it. */
  writesInFlightBeside: number;
  /** Of them, answered 429 (or a throttled batch's 424). */
  throttled: number;
  /** The longest `Retry-After` among those 429s, ms; undefined when none carried one. */
  retryAfterMs?: number;
  /** `x-ms-throttle-limit-percentage` of the answer (fraction of the budget in use, 0.8–1.8). */
  throttleLimitPercentage?: number;
  /** Writes sent up to and including this request (retries included); undefined = not tracked (no slow start decisions). */
  writesSentBefore?: number;
}

/** The pacer's memory between observations. Times in ms; −Infinity = never. */
export interface PacingState {
  /** Refill multiplier in [minRateFactor, 1] applied to the configured refill. */
  rateFactor: number;
  /** When the latest answer with a 429 arrived. Answers to requests sent before it are stale:
   * they were sent into the same throttling episode. */
  lastThrottledAtMs: number;
  /** When the latest throttling episode began (its first 429 arrived). */
  lastEpisodeAtMs: number;
  /** When the rate last changed: the start of the next increase step. */
  lastChangeAtMs: number;
  /** Slow start is on (no sign of a smaller or spent budget yet). */
  slowStart: boolean;
  /** Writes sent by the latest request whose answer showed headroom (no 429, no percentage ≥ 0.8). */
  cleanWrites: number;
  /** Graph's burst as estimated at the first sign of a smaller budget (undefined: the configured one). */
  graphBurst?: number;
  /** When the first request answered so far was sent, ms (Infinity before any answer). */
  firstSentAtMs: number;
}

/** What pacing reads of the write budget: as configured, and its level now. */
export interface BudgetView {
  /** Bucket size, writes. */
  burst: number;
  /** Configured refill, writes per second. */
  refillPerSecond: number;
  /** Writes available in the client's bucket now. */
  level: number;
}

/** Tuning of the strategies. */
export interface PacingSettings {
  /** Refill multiplier when a throttling episode begins within `repeatWindowMs` of the previous
   * one: rate × this. Default 0.7. */
  decreaseFactor: number;
  /** Episodes this close together (ms) mean the refill is too fast, not a one-off. Default 30,000. */
  repeatWindowMs: number;
  /** Lowest refill multiplier. Default 0.1. */
  minRateFactor: number;
  /** Refill multiplier regained per second of clean answers. Default 0.02 (0.7 → 1 in 15 s). */
  increasePerSecond: number;
  /** Clean answers raise the rate only this long after the latest 429, ms. Default 2,000. */
  holdAfterThrottleMs: number;
  /** Pause when a 429 carried no Retry-After, ms. Default 1,000 (the retry policy's first backoff). */
  fallbackPauseMs: number;
}

/** Defaults of {@link PacingSettings}. */
export const DEFAULT_PACING_SETTINGS: PacingSettings = Object.freeze({
  decreaseFactor: 0.7,
  repeatWindowMs: 30_000,
  minRateFactor: 0.1,
  increasePerSecond: 0.02,
  holdAfterThrottleMs: 2000,
  fallbackPauseMs: 1000,
});

/** A fresh state: full rate, never throttled. */
export function initialPacingState(): PacingState {
  const never = Number.NEGATIVE_INFINITY;
  return {
    rateFactor: 1,
    lastThrottledAtMs: never,
    lastEpisodeAtMs: never,
    lastChangeAtMs: never,
    slowStart: true,
    cleanWrites: 0,
    firstSentAtMs: Number.POSITIVE_INFINITY,
  };
}

/**
 * A strategy's decision; every field is optional and absent means "leave as is".
 * - `rateFactor`: the new refill multiplier;
 * - `pauseUntilMs`: every worker waits until then (the job never shortens a pause);
 * - `capLevel`: lower the client's bucket to at most this many writes (0 = empty it; negative = a
 *   debt to pay back before anything goes);
 * - `reason`: for logs and tests.
 */
export interface PacingDecision {
  rateFactor?: number;
  pauseUntilMs?: number;
  capLevel?: number;
  /** Graph's burst as estimated (kept in the state; the throttle-limit rule then reads it). */
  graphBurst?: number;
  reason: string;
}

/** Everything a strategy may look at. */
export interface PacingInput {
  observation: PacingObservation;
  state: PacingState;
  /** The client's write budget; undefined when pacing is off (only pauses apply then). */
  budget?: BudgetView;
  /** Smoothed request latency, ms (undefined before the first answer). */
  latencyMs?: number;
  settings: PacingSettings;
}

/** A named pacing policy with one decision function; `undefined` = no opinion, ask the next. */
export interface PacingStrategy {
  readonly name: string;
  decide(input: PacingInput): PacingDecision | undefined;
}

/**
 * 429 (or a throttled batch's 424): Graph's bucket is empty. Every worker pauses until the longest
 * Retry-After has passed (`fallbackPauseMs` without one) and the client's bucket is emptied, so it
 * refills in step with Graph's: after the pause the client restarts at the refill rate, not with a
 * burst. A 429 for a request sent after the previous 429 arrived begins a new episode; an episode
 * within `repeatWindowMs` of the previous one means the refill is faster than Graph's (a one-off
 * 429 is not: Graph throttles below its limits now and then), so the refill is lowered by
 * `decreaseFactor`.
 */
export const throttledPacing: PacingStrategy = Object.freeze({
  name: 'throttled',
  decide({ observation: o, state, settings }: PacingInput): PacingDecision | undefined {
    if (o.throttled <= 0) return undefined;
    const waitMs = o.retryAfterMs ?? settings.fallbackPauseMs;
    const decision: PacingDecision = {
      pauseUntilMs: o.atMs + waitMs,
      capLevel: 0,
      reason: `${o.throttled} of ${o.writes} writes throttled (429): every worker pauses ${waitMs} ms`,
    };
    const newEpisode = o.sentAtMs >= state.lastThrottledAtMs;
    if (newEpisode && o.atMs - state.lastEpisodeAtMs <= settings.repeatWindowMs) {
      decision.rateFactor = Math.max(settings.minRateFactor, state.rateFactor * settings.decreaseFactor);
      decision.reason += `; throttled again within ${settings.repeatWindowMs / 1000} s: refill × ${decision.rateFactor.toFixed(2)}`;
      // A smaller budget estimated at slow start was still too big: so is the ceiling of later increases.
      if (state.graphBurst !== undefined) decision.graphBurst = Math.max(1, Math.floor(state.graphBurst * SMALLER_BUDGET_SHARE));
    }
    return decision;
  },
});

/**
 * `x-ms-throttle-limit-percentage` ≥ 0.8: Graph had `burst × (1 − percentage)` writes left when it
 * counted the request (a debt above 1.0). The client's comparable figure is its budget's level plus
 * the writes sent since that request (taken from the client's budget already, not yet counted by
 * Graph). When the client's figure is higher by more than a band — 1 % of the burst (the header's two
 * decimals round to ±0.5 %) plus the writes that were in flight beside the request (Graph may have
 * counted them before or after it) — the client's budget is lowered to Graph's figure plus the band:
 * another run of the same app spends the budget, the burst setting is too big, or Graph began
 * counting later than the client did. The client then sends no faster than the refill, or waits out
 * a debt. A budget lower than Graph's figure is left alone: it refills anyway, and raising it on a
 * figure this noisy could overspend.
 * Stale answers (sent before the latest 429 arrived) are ignored: the debt they report is the
 * throttled writes', which the 429's emptied bucket and pause already account for.
 */
export const throttleLimitPacing: PacingStrategy = Object.freeze({
  name: 'throttleLimit',
  decide({ observation: o, state, budget }: PacingInput): PacingDecision | undefined {
    const pct = o.throttleLimitPercentage;
    if (!budget || pct === undefined || !(pct >= 0.8) || o.sentAtMs < state.lastThrottledAtMs) return undefined;
    const burst = Math.min(budget.burst, state.graphBurst ?? budget.burst);
    // Rounded to a thousandth of a write: the header has two decimals, the float product does not.
    const graphLevel = Math.round(burst * (1 - pct) * 1000) / 1000;
    const ours = budget.level + o.writesSentSince;
    const band = burst * 0.01 + o.writesInFlightBeside;
    if (ours <= graphLevel + band) return undefined;
    const level = Math.floor(graphLevel + band - o.writesSentSince);
    return {
      capLevel: level,
      reason: `Graph reports ${Math.round(pct * 100)} % of the write budget in use (${Math.floor(graphLevel)} writes left, ours ${Math.floor(ours)}): ours lowered to ${level}`,
    };
  },
});

/**
 * Clean answers (no 429, usage ≤ 100 %) after the refill was lowered: it climbs back by
 * `increasePerSecond` per second since the last change, starting `holdAfterThrottleMs` after the
 * latest 429, up to the configured rate — or, after slow start found a smaller budget, up to that
 * budget's share (a budget spent by another job, not smaller, is then run at the share it seemed to
 * have: few 429s, slower than possible).
 */
export const recoveryPacing: PacingStrategy = Object.freeze({
  name: 'recovery',
  decide({ observation: o, state, settings, budget }: PacingInput): PacingDecision | undefined {
    if (state.rateFactor >= 1 || o.throttled > 0) return undefined;
    if ((o.throttleLimitPercentage ?? 0) > 1) return undefined;
    // A smaller budget found at slow start: the refill climbs back to that budget's share, not above.
    // (Without the header Graph's usage is under 0.8, which a budget of a small burst shows even when
    // sent at its refill: no proof of room above it.)
    const ceiling = state.graphBurst !== undefined && budget ? Math.min(1, state.graphBurst / budget.burst) : 1;
    if (state.rateFactor >= ceiling) return undefined;
    const from = Math.max(state.lastChangeAtMs, state.lastThrottledAtMs + settings.holdAfterThrottleMs);
    if (o.atMs <= from) return undefined;
    const rateFactor = Math.min(ceiling, state.rateFactor + (settings.increasePerSecond * (o.atMs - from)) / 1000);
    return { rateFactor, reason: `clean answers: refill × ${rateFactor.toFixed(2)}` };
  },
});

/** Requests in flight when a run begins (slow start); more go as answers prove headroom. */
export const SLOW_START_REQUESTS = 2;
/** Of the writes Graph counted under 0.8 of its budget, the share that is provably still free: (1 − 0.8) / 0.8. */
export const SLOW_START_GROWTH = 0.25;
/** A burst estimated below this share of the configured one is a smaller budget (else it is the configured one). */
export const SMALLER_BUDGET_SHARE = 0.9;

/**
 * The first sign of a smaller or spent budget ends slow start (docs/graph-behaviour.md §3: the header
 * from 0.8 of the budget, or a 429): Graph's burst is estimated as `writes sent / percentage` (1 for a
 * 429). Below {@link SMALLER_BUDGET_SHARE} of the configured burst, the client's budget drops to it:
 * the refill × (estimate / configured burst), the level to what Graph says is left
 * (`estimate × (1 − percentage)`, less the writes sent since); a 429 also pauses every worker, as
 * {@link throttledPacing} does. Asked first; says nothing once slow start is over.
 */
export const slowStartPacing: PacingStrategy = Object.freeze({
  name: 'slowStart',
  decide(input: PacingInput): PacingDecision | undefined {
    const { observation: o, state, budget } = input;
    if (!state.slowStart || o.writesSentBefore === undefined) return undefined;
    const pct = o.throttleLimitPercentage;
    const sign = o.throttled > 0 || (pct !== undefined && pct >= 0.8);
    if (!sign) return undefined;
    const throttled = throttledPacing.decide(input);
    const end: PacingDecision = { ...(throttled ?? {}), reason: throttled ? `${throttled.reason}; slow start ends` : 'slow start ends' };
    if (!budget) return end;
    const used = o.throttled > 0 ? Math.max(1, pct ?? 1) : pct!;
    // Graph counted `writesSentBefore` less what it refilled meanwhile, at a refill as much smaller as
    // its burst: used × B = sent − (refill × B / burst) × t, so B = sent / (used + refill × t / burst).
    // That holds while Graph's bucket was below the brim (else its refill was lost): the burst is
    // between this and `sent / used`. The upper figure decides whether the budget is smaller at all;
    // the lower one sets the refill, the level and the ceiling of later increases (429s cost more than
    // the refill lost: tried between the two, a batch run met 2.6–2.9 429s per 100 writes over HTTP).
    const elapsedS = Math.max(0, o.sentAtMs - Math.min(state.firstSentAtMs, o.sentAtMs)) / 1000;
    const upper = Math.max(1, Math.floor(o.writesSentBefore / used));
    if (upper >= budget.burst * SMALLER_BUDGET_SHARE) return { ...end, reason: `${end.reason}: Graph's budget is the one configured` };
    const estimate = Math.max(1, Math.floor(o.writesSentBefore / (used + (budget.refillPerSecond * elapsedS) / budget.burst)));
    const factor = Math.max(0.05, Math.min(1, estimate / budget.burst));
    // Rounded to a thousandth first: the header has two decimals, the float product does not.
    const left = Math.floor(Math.round(estimate * Math.max(0, 1 - used) * 1000) / 1000) - o.writesSentSince;
    return {
      ...end,
      rateFactor: Math.min(factor, state.rateFactor),
      capLevel: Math.min(left, end.capLevel ?? left),
      graphBurst: estimate,
      reason:
        `${end.reason}: Graph's budget looks about ${estimate} writes (${Math.round(used * 100)} % in use after ${o.writesSentBefore} writes), ` +
        `not ${budget.burst}: refill × ${factor.toFixed(2)}, ${Math.max(0, left)} writes left`,
    };
  },
});

/** The default chain: {@link slowStartPacing}, {@link throttledPacing}, {@link throttleLimitPacing}, {@link recoveryPacing}. */
export function defaultPacingStrategies(): PacingStrategy[] {
  return [slowStartPacing, throttledPacing, throttleLimitPacing, recoveryPacing];
}

/**
 * Most requests in flight slow start allows (`Infinity` once it is over): {@link SLOW_START_REQUESTS}
 * before any answer, then as many as {@link SLOW_START_GROWTH} of the writes proven counted under 0.8
 * of the budget, in requests of `writesPerRequest` (at least one). Pure.
 */
export function slowStartWindow(state: PacingState, writesPerRequest: number): number {
  if (!state.slowStart) return Number.POSITIVE_INFINITY;
  const wpr = Math.max(1, writesPerRequest);
  // Before any answer: SLOW_START_REQUESTS; then what the answers prove (at least one request).
  if (state.cleanWrites === 0) return SLOW_START_REQUESTS;
  return Math.max(1, Math.floor((state.cleanWrites * SLOW_START_GROWTH) / wpr));
}

/**
 * Asks the strategies in order (each sees the state as it was before this observation); the first
 * with an opinion decides. Returns that decision (or undefined), the deciding strategy's name, and
 * the state to keep (when the latest 429 and episode came, and the rate when the decision changed it).
 */
export function decidePacing(
  input: Omit<PacingInput, 'settings'> & { settings?: PacingSettings },
  strategies: readonly PacingStrategy[] = defaultPacingStrategies(),
): { decision?: PacingDecision; strategy?: string; state: PacingState } {
  const full: PacingInput = { ...input, settings: input.settings ?? DEFAULT_PACING_SETTINGS };
  const o = input.observation;
  const state = { ...input.state };
  if (o.throttled > 0) {
    if (o.sentAtMs >= state.lastThrottledAtMs) state.lastEpisodeAtMs = o.atMs;
    state.lastThrottledAtMs = Math.max(state.lastThrottledAtMs, o.atMs);
  }
  const sign = o.throttled > 0 || (o.throttleLimitPercentage ?? 0) >= 0.8;
  state.firstSentAtMs = Math.min(state.firstSentAtMs, o.sentAtMs);
  if (state.slowStart && o.writesSentBefore !== undefined) {
    if (sign) state.slowStart = false;
    else state.cleanWrites = Math.max(state.cleanWrites, o.writesSentBefore);
  }
  for (const strategy of strategies) {
    const decision = strategy.decide(full);
    if (!decision) continue;
    if (decision.rateFactor !== undefined && decision.rateFactor !== state.rateFactor) {
      state.rateFactor = decision.rateFactor;
      state.lastChangeAtMs = o.atMs;
    }
    if (decision.graphBurst !== undefined) state.graphBurst = decision.graphBurst;
    return { decision, strategy: strategy.name, state };
  }
  return { state };
}

/** Weight of a new latency sample in the moving average. */
export const LATENCY_SMOOTHING = 0.2;

/**
 * Exponentially weighted moving average of request latency, ms: the first sample as is, then
 * `prev + 0.2 × (sample − prev)`.
 */
export function smoothLatencyMs(prev: number | undefined, sampleMs: number): number {
  if (!Number.isFinite(sampleMs) || sampleMs < 0) return prev ?? 0;
  return prev === undefined ? sampleMs : prev + LATENCY_SMOOTHING * (sampleMs - prev);
}

/** The `concurrency: "auto"` cap: most requests in flight when the user names no number. */
export const AUTO_CONCURRENCY_CAP = 32;
/**
 * `concurrency: "auto"` without a write budget: there is no rate to aim at, so a fixed, moderate
 * number in flight (graph-bulk's earlier default), which a run that discovers Graph's budget through
 * 429s pays for in 429s.
 */
export const AUTO_UNPACED_CONCURRENCY = 8;
/** In-flight headroom over Little's law (latency varies; the bucket, not the worker count, sets the pace). */
export const IN_FLIGHT_HEADROOM = 1.5;
/** The budget's level above zero is to be spent within about this long, seconds (the burst). */
export const BURST_SPEND_S = 1;

/**
 * How many requests to keep in flight, by Little's law: in flight = rate × latency. The rate aimed
 * at is the refill (× its factor) plus the budget's current level spread over {@link BURST_SPEND_S}
 * (so a full bucket is spent at once, and an empty one is not run ahead of); in requests per second
 * that is divided by the writes per request. With {@link IN_FLIGHT_HEADROOM} and one spare:
 *
 *     n = ceil(((refill × factor + max(0, level) / 1 s) × latencyMs / 1000 / writesPerRequest) × 1.5) + 1
 *
 * clamped to [1, cap]. E.g. Graph's 20 writes/s at 300 ms, one PATCH per request: 10 in flight; in
 * `$batch` of 20: 2. Without a budget (pacing off) or before any latency is known: `cap`, resp. 1.
 *
 * @param a.refillPerSecond configured refill, writes/s; undefined = no budget.
 * @param a.latencyMs smoothed request latency, ms; undefined = none measured yet.
 * @param a.cap most requests in flight (the `concurrency` option).
 */
export function inFlightTarget(a: {
  refillPerSecond?: number;
  rateFactor: number;
  level: number;
  latencyMs?: number;
  writesPerRequest: number;
  cap: number;
  /** Most requests slow start allows ({@link slowStartWindow}); default no limit. */
  window?: number;
}): number {
  if (a.refillPerSecond === undefined) return Math.max(1, Math.floor(a.cap)); // no budget: the number given, no slow start
  const cap = Math.max(1, Math.min(Math.floor(a.cap), a.window ?? Number.POSITIVE_INFINITY));
  if (a.latencyMs === undefined) return 1;
  const writesPerS = a.refillPerSecond * a.rateFactor + Math.max(0, a.level) / BURST_SPEND_S;
  const requests = (writesPerS * a.latencyMs) / 1000 / Math.max(1, a.writesPerRequest);
  return Math.min(cap, Math.max(1, Math.ceil(requests * IN_FLIGHT_HEADROOM) + 1));
}

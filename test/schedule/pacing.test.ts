import { describe, expect, it } from 'vitest';
import {
  AUTO_CONCURRENCY_CAP,
  slowStartWindow,
  decidePacing,
  DEFAULT_PACING_SETTINGS,
  inFlightTarget,
  initialPacingState,
  recoveryPacing,
  smoothLatencyMs,
  throttledPacing,
  throttleLimitPacing,
  type PacingInput,
  type PacingObservation,
} from '../../src/schedule/pacing.js';
import { simulate } from './pacing-simulation.js';

const GRAPH = { burst: 3000, refillPerSecond: 20 };

function observation(o: Partial<PacingObservation> = {}): PacingObservation {
  return { sentAtMs: 10_000, atMs: 10_300, writes: 20, writesSentSince: 0, writesInFlightBeside: 0, throttled: 0, ...o };
}

function input(o: Partial<PacingObservation> = {}, rest: Partial<PacingInput> = {}): PacingInput {
  return {
    observation: observation(o),
    state: initialPacingState(),
    budget: { ...GRAPH, level: 0 },
    latencyMs: 300,
    settings: DEFAULT_PACING_SETTINGS,
    ...rest,
  };
}

describe('throttledPacing (429)', () => {
  it('pauses every worker for the longest Retry-After and empties the budget; a first 429 leaves the refill as it is', () => {
    const d = throttledPacing.decide(input({ throttled: 7, retryAfterMs: 2128 }));
    expect(d).toMatchObject({ pauseUntilMs: 10_300 + 2128, capLevel: 0 });
    expect(d!.rateFactor).toBeUndefined();
  });

  it('pauses for the fallback when a 429 carried no Retry-After', () => {
    expect(throttledPacing.decide(input({ throttled: 1 }))!.pauseUntilMs).toBe(10_300 + DEFAULT_PACING_SETTINGS.fallbackPauseMs);
  });

  it('a new episode soon after the previous one lowers the refill; a 429 from the same episode does not', () => {
    const first = decidePacing(input({ throttled: 20, retryAfterMs: 500 }));
    expect(first.decision!.rateFactor).toBeUndefined();
    // Sent before the first 429 arrived: the same episode.
    const same = decidePacing({ ...input({ sentAtMs: 10_100, atMs: 10_350, throttled: 20, retryAfterMs: 450 }), state: first.state });
    expect(same.decision!.rateFactor).toBeUndefined();
    expect(same.decision!.pauseUntilMs).toBe(10_350 + 450);
    // Sent after the pause: a new episode 5 s later means the refill is too fast.
    const again = decidePacing({ ...input({ sentAtMs: 15_000, atMs: 15_300, throttled: 3, retryAfterMs: 400 }), state: same.state });
    expect(again.decision!.rateFactor).toBeCloseTo(0.7);
    expect(again.state.rateFactor).toBeCloseTo(0.7);
    // An episode long after the last one is a one-off again.
    const later = decidePacing({ ...input({ sentAtMs: 60_000, atMs: 60_300, throttled: 1, retryAfterMs: 100 }), state: again.state });
    expect(later.decision!.rateFactor).toBeUndefined();
  });

  it('never lowers the refill below the minimum', () => {
    let state = { ...initialPacingState(), rateFactor: 0.11, lastEpisodeAtMs: 9000, lastThrottledAtMs: 9000 };
    const d = decidePacing({ ...input({ throttled: 1, retryAfterMs: 10 }), state });
    state = d.state;
    expect(state.rateFactor).toBe(DEFAULT_PACING_SETTINGS.minRateFactor);
  });
});

describe('throttleLimitPacing (x-ms-throttle-limit-percentage)', () => {
  it('says nothing at ~100 % when the budget agrees with Graph: a job at the refill rate is at the limit by definition', () => {
    // Graph: 1 % of 3,000 left = 30 writes; ours: 10 now + 20 sent since that Graph has not counted.
    expect(
      throttleLimitPacing.decide(input({ throttleLimitPercentage: 0.99, writesSentSince: 20 }, { budget: { ...GRAPH, level: 10 } })),
    ).toBeUndefined();
  });

  it('lowers the budget to what Graph says is left when ours holds more (another run of the app spends it)', () => {
    // Graph: 15 % left = 450 writes; ours thinks 2,000.
    const d = throttleLimitPacing.decide(
      input({ throttleLimitPercentage: 0.85, writesSentSince: 40 }, { budget: { ...GRAPH, level: 2000 } }),
    );
    // 450 + band 30 − the 40 sent since.
    expect(d).toMatchObject({ capLevel: 440 });
  });

  it('above 100 % the budget goes into debt: nothing is sent until Graph has paid it back', () => {
    const d = throttleLimitPacing.decide(input({ throttleLimitPercentage: 1.1 }, { budget: { ...GRAPH, level: 5 } }));
    expect(d!.capLevel).toBe(-300 + 30);
  });

  it('writes in flight beside the request widen the band: Graph may have counted them before or after it', () => {
    // Graph: 30 left; ours 75. Beyond 1 % of the burst (30), but within it plus 20 writes beside.
    expect(throttleLimitPacing.decide(input({ throttleLimitPercentage: 0.99 }, { budget: { ...GRAPH, level: 75 } }))).toMatchObject({
      capLevel: 60,
    });
    expect(
      throttleLimitPacing.decide(input({ throttleLimitPercentage: 0.99, writesInFlightBeside: 20 }, { budget: { ...GRAPH, level: 75 } })),
    ).toBeUndefined();
  });

  it("leaves a budget lower than Graph's figure alone (it refills anyway; raising it on a noisy figure could overspend)", () => {
    expect(throttleLimitPacing.decide(input({ throttleLimitPercentage: 0.8 }, { budget: { ...GRAPH, level: 100 } }))).toBeUndefined();
  });

  it('ignores a missing header, usage under 80 %, answers sent before the latest 429, and runs without a budget', () => {
    const high = { budget: { ...GRAPH, level: 3000 } };
    expect(throttleLimitPacing.decide(input({}, high))).toBeUndefined();
    expect(throttleLimitPacing.decide(input({ throttleLimitPercentage: 0.5 }, high))).toBeUndefined();
    const afterThrottle = { ...initialPacingState(), lastThrottledAtMs: 10_200 };
    expect(throttleLimitPacing.decide(input({ throttleLimitPercentage: 1.5 }, { ...high, state: afterThrottle }))).toBeUndefined();
    expect(throttleLimitPacing.decide(input({ throttleLimitPercentage: 1.5 }, { budget: undefined }))).toBeUndefined();
  });
});

describe('recoveryPacing', () => {
  const lowered = { ...initialPacingState(), rateFactor: 0.7, lastThrottledAtMs: 10_000, lastEpisodeAtMs: 10_000, lastChangeAtMs: 10_000 };

  it('holds the lowered refill for a while after the latest 429, then climbs back by the step per second', () => {
    const hold = DEFAULT_PACING_SETTINGS.holdAfterThrottleMs;
    expect(recoveryPacing.decide(input({ atMs: 10_000 + hold - 1 }, { state: lowered }))).toBeUndefined();
    const d = recoveryPacing.decide(input({ atMs: 10_000 + hold + 5000 }, { state: lowered }));
    expect(d!.rateFactor).toBeCloseTo(0.7 + 5 * DEFAULT_PACING_SETTINGS.increasePerSecond);
  });

  it('never passes the configured rate, and does not climb on a 429 or a debt', () => {
    expect(recoveryPacing.decide(input({ atMs: 1_000_000 }, { state: lowered }))!.rateFactor).toBe(1);
    expect(recoveryPacing.decide(input({ atMs: 100_000, throttled: 1 }, { state: lowered }))).toBeUndefined();
    expect(recoveryPacing.decide(input({ atMs: 100_000, throttleLimitPercentage: 1.2 }, { state: lowered }))).toBeUndefined();
    expect(recoveryPacing.decide(input({ atMs: 100_000 }))).toBeUndefined(); // already at full rate
  });
});

describe('decidePacing', () => {
  it('the first strategy with an opinion decides; state keeps the latest 429 and the rate', () => {
    const r = decidePacing(input({ throttled: 1, retryAfterMs: 100, throttleLimitPercentage: 1.3 }, { budget: { ...GRAPH, level: 3000 } }));
    expect(r.strategy).toBe('throttled');
    expect(r.state.lastThrottledAtMs).toBe(10_300);
    expect(r.state.lastEpisodeAtMs).toBe(10_300);
  });

  it('clean answers without a header decide nothing', () => {
    const r = decidePacing(input());
    expect(r.decision).toBeUndefined();
    expect(r.state).toEqual({ ...initialPacingState(), firstSentAtMs: 10_000 }); // only when the first answered request went
  });
});

describe("inFlightTarget (Little's law)", () => {
  const at = (o: Partial<Parameters<typeof inFlightTarget>[0]>) =>
    inFlightTarget({ refillPerSecond: 20, rateFactor: 1, level: 0, latencyMs: 300, writesPerRequest: 1, cap: AUTO_CONCURRENCY_CAP, ...o });

  it("Graph's 20 writes/s at 300 ms: 10 single PATCHes in flight (20 × 0.3 × 1.5 + 1), 2 `$batch` requests of 20", () => {
    expect(at({})).toBe(10);
    expect(at({ writesPerRequest: 20 })).toBe(2);
  });

  it('a fast tenant needs few in flight; a slower refill fewer still', () => {
    expect(at({ latencyMs: 20 })).toBe(2);
    expect(at({ rateFactor: 0.5 })).toBe(6);
  });

  it('a full budget is spent at once, up to the cap', () => {
    expect(at({ level: 3000 })).toBe(AUTO_CONCURRENCY_CAP);
    expect(at({ level: 3000, cap: 64 })).toBe(64);
    // (20 + 40 writes/s) × 0.3 s ÷ 20 × 1.5 → 2, plus one.
    expect(at({ level: 40, writesPerRequest: 20 })).toBe(3);
  });

  it('one request before any latency is known; the cap when there is no budget to aim at', () => {
    expect(at({ latencyMs: undefined })).toBe(1);
    expect(at({ refillPerSecond: undefined, cap: 8 })).toBe(8);
  });
});

describe('smoothLatencyMs', () => {
  it('starts at the first sample, then moves a fifth of the way to each new one', () => {
    expect(smoothLatencyMs(undefined, 300)).toBe(300);
    expect(smoothLatencyMs(300, 400)).toBe(320);
    expect(smoothLatencyMs(300, Number.NaN)).toBe(300);
  });
});

/**
 * The decisions together, against a simulated Graph (the emulator's token bucket) in virtual time.
 * Floor T* = (rows − Graph's burst) / Graph's refill.
 */
describe('pacing against a simulated Graph', () => {
  const floorMs = (rows: number, g: { burst: number; refillPerSecond: number }) => ((rows - g.burst) / g.refillPerSecond) * 1000;

  it.each([
    // A slow tenant (300 ms a request) still reaches Graph's 20 writes/s with single PATCHes: 20 × 0.3 × 1.5 + 1 in flight.
    { tenant: 'slow (300 ms)', latencyMs: 300, seconds: 300, steadyFromMs: 150_000, inFlight: 10 },
    // A fast one (5 ms) does not run ahead of the budget: 2 in flight once the burst is spent.
    { tenant: 'fast (5 ms)', latencyMs: 5, seconds: 120, steadyFromMs: 60_000, inFlight: 2 },
  ])(
    'a $tenant tenant reaches the budget in single mode with $inFlight in flight, no 429',
    ({ latencyMs, seconds, steadyFromMs, inFlight }) => {
      const rows = 3000 + 20 * seconds;
      const r = simulate({ graph: GRAPH, client: GRAPH, latencyMs, writesPerRequest: 1, rows, cap: AUTO_CONCURRENCY_CAP, steadyFromMs });
      expect(floorMs(rows, GRAPH) / r.doneMs).toBeGreaterThan(0.98);
      expect(r.throttled).toBe(0);
      expect(r.maxInFlightSteady).toBeLessThanOrEqual(inFlight);
    },
  );

  it("`$batch` at the bench's budget (burst 500, 500 writes/s, 20 ms): on the floor, no 429", () => {
    const g = { burst: 500, refillPerSecond: 500 };
    const r = simulate({ graph: g, client: g, latencyMs: 20, writesPerRequest: 20, rows: 10_000, cap: AUTO_CONCURRENCY_CAP });
    expect(floorMs(10_000, g) / r.doneMs).toBeGreaterThan(0.99);
    expect(r.throttled).toBe(0);
  });

  it('a slow first answer (a cold connection, Graph counting late) does not make the budget overspend', () => {
    const g = { burst: 500, refillPerSecond: 500 };
    const r = simulate({
      graph: g,
      client: g,
      latencyMs: 20,
      firstLatencyMs: 250,
      writesPerRequest: 20,
      rows: 5000,
      cap: AUTO_CONCURRENCY_CAP,
    });
    expect(r.throttled).toBe(0);
    expect(floorMs(5000, g) / r.doneMs).toBeGreaterThan(0.95);
  });

  it("configured twice Graph's budget: the header and the 429s bring it down to Graph's rate, few 429s, none early", () => {
    const g = { burst: 1500, refillPerSecond: 10 };
    for (const writesPerRequest of [1, 20]) {
      const rows = 1500 + 10 * 120;
      const r = simulate({ graph: g, client: GRAPH, latencyMs: 100, writesPerRequest, rows, cap: AUTO_CONCURRENCY_CAP });
      expect(floorMs(rows, g) / r.doneMs).toBeGreaterThan(0.98);
      expect((r.throttled * 100) / r.writesReceived).toBeLessThan(2.5);
      expect(r.earlyRetries).toBe(0);
    }
  });

  it.each([
    {
      scale: "Graph's (3,000 + 20/s configured, 300 + 2/s real), 100 ms",
      graph: { burst: 300, refillPerSecond: 2 },
      client: GRAPH,
      latencyMs: 100,
      rows: 540,
    },
    {
      scale: "the bench's (500 + 500/s configured, 50 + 50/s real), 20 ms",
      graph: { burst: 50, refillPerSecond: 50 },
      client: { burst: 500, refillPerSecond: 500 },
      latencyMs: 20,
      rows: 1500,
    },
  ])(
    'slow start against a budget a tenth of the configured one, at $scale: ≤ 2 429s per 100 writes, ≥ 0.85 of the floor',
    ({ graph, client, latencyMs, rows }) => {
      for (const writesPerRequest of [1, 20]) {
        const r = simulate({ graph, client, latencyMs, writesPerRequest, rows, cap: AUTO_CONCURRENCY_CAP, limitMs: 2_000_000 });
        expect(floorMs(rows, graph) / r.doneMs).toBeGreaterThan(0.85);
        expect((r.throttled * 100) / r.writesReceived).toBeLessThanOrEqual(2);
        expect(r.earlyRetries).toBe(0);
        expect(r.decisions.slowStart).toBe(1);
      }
    },
  );
});

describe('slow start (pure)', () => {
  const obs = (o: Partial<PacingObservation>): PacingObservation => ({
    sentAtMs: 0,
    atMs: 100,
    writes: 20,
    writesSentSince: 0,
    writesInFlightBeside: 0,
    throttled: 0,
    ...o,
  });
  const budget = { burst: 3000, refillPerSecond: 20, level: 2900 };

  it('begins with 2 requests in flight and grows to a quarter of the writes answered with headroom', () => {
    let state = initialPacingState();
    expect(slowStartWindow(state, 20)).toBe(2);
    expect(slowStartWindow(state, 1)).toBe(2);
    state = decidePacing({ observation: obs({ writesSentBefore: 400 }), state, budget }).state;
    expect(state.slowStart).toBe(true);
    expect(slowStartWindow(state, 20)).toBe(5); // 400 × 0.25 / 20
    expect(slowStartWindow(state, 1)).toBe(100);
    // an answer at 0.8 or more ends it: no limit from slow start any more
    state = decidePacing({ observation: obs({ writesSentBefore: 2500, throttleLimitPercentage: 0.83 }), state, budget }).state;
    expect(state.slowStart).toBe(false);
    expect(slowStartWindow(state, 20)).toBe(Number.POSITIVE_INFINITY);
  });

  it("the first sign of a smaller budget drops the client's to the one Graph reports: refill and level", () => {
    const { decision, strategy, state } = decidePacing({
      observation: obs({ writesSentBefore: 240, throttleLimitPercentage: 0.8, writesSentSince: 20 }),
      state: initialPacingState(),
      budget,
    });
    expect(strategy).toBe('slowStart');
    expect(decision).toMatchObject({ graphBurst: 300, rateFactor: 0.1, capLevel: 300 * 0.2 - 20 });
    expect(state).toMatchObject({ slowStart: false, graphBurst: 300, rateFactor: 0.1 });
  });

  it('a first 429 also pauses every worker; the configured budget confirmed changes nothing', () => {
    const hit = decidePacing({
      observation: obs({ writesSentBefore: 100, throttled: 3, retryAfterMs: 700 }),
      state: initialPacingState(),
      budget,
    }).decision;
    expect(hit).toMatchObject({ pauseUntilMs: 800, graphBurst: 100 });
    const same = decidePacing({
      observation: obs({ writesSentBefore: 2450, throttleLimitPercentage: 0.81 }),
      state: initialPacingState(),
      budget,
    });
    expect(same.strategy).toBe('slowStart');
    expect(same.decision?.rateFactor).toBeUndefined();
    expect(same.state.graphBurst).toBeUndefined();
  });
});

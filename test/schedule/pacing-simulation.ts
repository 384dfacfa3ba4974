/**
 * A deterministic, virtual-time simulation of a job's pacing against Graph's write budget: the
 * client side is the product's pure pieces (TokenLevel, decidePacing, inFlightTarget,
 * smoothLatencyMs); Graph's side is the emulator's pure TokenBucket (reservations, truthful
 * Retry-After, early-retry detection) and its `x-ms-throttle-limit-percentage` rule. No timers: the
 * clock advances 1 ms per step, so the figures are exact and never flaky.
 */
import { formatLimitPercentage, TokenBucket } from '../../src/emulator/token-bucket.js';
import {
  decidePacing,
  inFlightTarget,
  initialPacingState,
  slowStartWindow,
  smoothLatencyMs,
  type PacingState,
} from '../../src/schedule/pacing.js';
import { TokenLevel } from '../../src/schedule/write-budget.js';

export interface SimulationSetup {
  /** Graph's budget (the emulator's bucket). */
  graph: { burst: number; refillPerSecond: number };
  /** The budget the client was configured with. */
  client: { burst: number; refillPerSecond: number };
  /** Round trip per request, ms; Graph counts the writes halfway. */
  latencyMs: number;
  /** Round trip of the very first request (a cold connection), ms; Graph counts its writes at the end. Default `latencyMs`. */
  firstLatencyMs?: number;
  /** Rows per request: 1 (single) or up to 20 (`$batch`). */
  writesPerRequest: number;
  rows: number;
  /** The `concurrency` cap. */
  cap: number;
  /** Give up after this much virtual time, ms. */
  limitMs?: number;
  /** Count requests in flight from this virtual time on (after the burst), ms. */
  steadyFromMs?: number;
}

export interface SimulationResult {
  /** Virtual ms until every row was accepted (Infinity if not within the limit). */
  doneMs: number;
  /** Writes Graph answered 429. */
  throttled: number;
  /** Retries that came back before their Retry-After (Graph's early-retry count). */
  earlyRetries: number;
  /** Writes Graph received, 429s included. */
  writesReceived: number;
  /** Most requests in flight at once from `steadyFromMs` on. */
  maxInFlightSteady: number;
  /** Pacing decisions taken, by strategy name. */
  decisions: Record<string, number>;
}

interface Request {
  rows: number[];
  sentAt: number;
  /** When Graph counts its writes, and when the answer arrives. */
  checkAt: number;
  answerAt: number;
  writesSentBefore: number;
  inFlightBeside: number;
  checked?: Array<{ row: number; ok: boolean; retryAfterMs?: number }>;
  pct?: number;
}

export function simulate(s: SimulationSetup): SimulationResult {
  const limitMs = s.limitMs ?? 600_000;
  const graph = new TokenBucket({ burst: s.graph.burst, refillPerSecond: s.graph.refillPerSecond }, 0);
  const level = new TokenLevel(s.client.burst, s.client.refillPerSecond, 0);
  let state: PacingState = initialPacingState();
  let latency: number | undefined;
  let pausedUntil = 0;
  let firstSuccess = false;
  let nextRow = 0;
  let accepted = 0;
  let writesSent = 0;
  const retries: Array<{ row: number; readyAt: number }> = [];
  const inFlight: Request[] = [];
  const result: SimulationResult = {
    doneMs: Infinity,
    throttled: 0,
    earlyRetries: 0,
    writesReceived: 0,
    maxInFlightSteady: 0,
    decisions: {},
  };
  const oneWay = s.latencyMs / 2;

  for (let t = 0; t <= limitMs; t++) {
    // Graph counts the writes of requests that reach it now.
    for (const r of inFlight) {
      if (r.checked || r.checkAt > t) continue;
      let pctOfLastAllowed: string | undefined;
      r.checked = r.rows.map((row) => {
        const take = graph.take(t, String(row));
        result.writesReceived++;
        // The header goes on regular answers only (docs/graph-behaviour.md §3): a batch carries the highest.
        if (take.allowed) pctOfLastAllowed = formatLimitPercentage(take.usage) ?? pctOfLastAllowed;
        if (take.allowed) return { row, ok: true };
        result.throttled++;
        if (take.early) result.earlyRetries++;
        return { row, ok: false, retryAfterMs: take.retryAfterMs };
      });
      r.pct = pctOfLastAllowed === undefined ? undefined : Number(pctOfLastAllowed);
    }
    // Answers that arrive now.
    for (let i = inFlight.length - 1; i >= 0; i--) {
      const r = inFlight[i]!;
      if (r.answerAt > t) continue;
      inFlight.splice(i, 1);
      let longest = 0;
      let throttled = 0;
      for (const c of r.checked!) {
        if (c.ok) {
          accepted++;
          firstSuccess = true;
        } else {
          throttled++;
          longest = Math.max(longest, c.retryAfterMs!);
        }
      }
      for (const c of r.checked!) if (!c.ok) retries.push({ row: c.row, readyAt: t + longest });
      latency = smoothLatencyMs(latency, t - r.sentAt);
      level.counted(r.rows.length, t);
      const {
        decision,
        strategy,
        state: next,
      } = decidePacing({
        observation: {
          sentAtMs: r.sentAt,
          atMs: t,
          writes: r.rows.length,
          writesSentSince: writesSent - r.writesSentBefore,
          writesInFlightBeside: r.inFlightBeside,
          throttled,
          retryAfterMs: throttled ? longest : undefined,
          throttleLimitPercentage: r.pct,
          writesSentBefore: r.writesSentBefore,
        },
        state,
        budget: { burst: s.client.burst, refillPerSecond: s.client.refillPerSecond, level: level.levelAt(t) },
        latencyMs: latency,
      });
      state = next;
      if (decision) {
        result.decisions[strategy!] = (result.decisions[strategy!] ?? 0) + 1;
        if (decision.pauseUntilMs !== undefined) pausedUntil = Math.max(pausedUntil, decision.pauseUntilMs + 1);
        if (decision.capLevel !== undefined) level.capAt(decision.capLevel, t);
        if (decision.rateFactor !== undefined) level.setRateFactor(decision.rateFactor, t);
      }
    }
    if (accepted === s.rows) {
      result.doneMs = t;
      return result;
    }
    // Send while the pause, the in-flight target and the budget allow: retries first.
    if (t < pausedUntil) continue;
    const target = firstSuccess
      ? inFlightTarget({
          refillPerSecond: s.client.refillPerSecond,
          rateFactor: level.rateFactor,
          level: level.levelAt(t),
          latencyMs: latency,
          writesPerRequest: s.writesPerRequest,
          cap: s.cap,
          window: slowStartWindow(state, s.writesPerRequest),
        })
      : 1;
    while (inFlight.length < target) {
      const ready = retries.filter((r) => r.readyAt <= t).length;
      const fresh = s.rows - nextRow;
      const want = Math.min(s.writesPerRequest, ready + fresh);
      if (want === 0 || !level.tryTake(want, t)) break;
      const rows: number[] = [];
      for (let i = 0; i < retries.length && rows.length < want; ) {
        if (retries[i]!.readyAt <= t) rows.push(retries.splice(i, 1)[0]!.row);
        else i++;
      }
      while (rows.length < want) rows.push(nextRow++);
      writesSent += rows.length;
      const first = writesSent === rows.length;
      const rtt = first ? (s.firstLatencyMs ?? s.latencyMs) : s.latencyMs;
      const beside = inFlight.reduce((n, q) => n + q.rows.length, 0);
      inFlight.push({
        rows,
        inFlightBeside: beside,
        sentAt: t,
        checkAt: first && s.firstLatencyMs !== undefined ? t + rtt : t + oneWay,
        answerAt: t + rtt,
        writesSentBefore: writesSent,
      });
    }
    if (t >= (s.steadyFromMs ?? Infinity)) result.maxInFlightSteady = Math.max(result.maxInFlightSteady, inFlight.length);
  }
  return result;
}

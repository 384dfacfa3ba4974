/**
 * The pacer: owns the pacing state (src/schedule/pacing.ts), the measured latency and the count of
 * writes sent and answered, and applies the pacing decisions to the write budget and the pause gate.
 * Graph's throttle is per app, so a 429 pauses every worker (docs/graph-behaviour.md §3).
 */
import type { ThrottleScopeName } from '../graph/throttle-scope.js';
import type { PacingBudget } from '../schedule/budget.js';
import {
  decidePacing,
  inFlightTarget,
  initialPacingState,
  slowStartWindow,
  smoothLatencyMs,
  type PacingState,
} from '../schedule/pacing.js';
import { PauseGate } from '../schedule/pause-gate.js';
import type { ExchangeInfo } from '../send/graph-sender.js';
import { concurrencyCap, type JobOptions } from './options.js';

/** When a request was sent (epoch ms), how many writes had been sent by then (its own included), and
 * how many writes of other requests were in flight beside it. */
export interface SentMark {
  atMs: number;
  writesSent: number;
  inFlightBeside: number;
}

/** What one answer told the pacer: its writes, how many were throttled, the longest `Retry-After`. */
export interface PacingAnswer {
  /** PATCHes the request carried. */
  writes: number;
  /** Of them, answered 429 or 424. */
  throttled: number;
  /** The longest `Retry-After` of the 429s, ms; undefined when none carried one. */
  retryAfterMs?: number;
  /** The widest budget the 429s' `x-ms-throttle-scope` named (docs/graph-behaviour.md §3): the one that slows. */
  throttleScope?: ThrottleScopeName;
  info: ExchangeInfo;
}

/** Options of {@link Pacer}. */
export interface PacerOptions {
  /** The write budget, or undefined for no client-side pacing. */
  budget: PacingBudget | undefined;
  /** The gate every request (write or read) waits at; default a new one. */
  gate?: PauseGate;
  /** The `concurrency` option (a number, or `auto`). */
  concurrency: JobOptions['concurrency'];
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Paces writes to Graph's answers; see the module comment. */
export class Pacer {
  readonly budget: PacingBudget | undefined;
  /** The gate requests wait at before going out. */
  readonly gate: PauseGate;
  readonly #concurrency: JobOptions['concurrency'];
  readonly #now: () => number;
  #state: PacingState = initialPacingState();
  #latencyMs: number | undefined;
  #writesSent = 0;
  #writesAnswered = 0;
  #stopped = false;

  constructor(options: PacerOptions) {
    this.budget = options.budget;
    this.#now = options.now ?? Date.now;
    this.gate = options.gate ?? new PauseGate(this.#now);
    this.#concurrency = options.concurrency;
  }

  /** PATCHes sent so far (each inner request of a `$batch` counts), retries included. */
  get writesSent(): number {
    return this.#writesSent;
  }

  /** Smoothed request latency, ms (undefined until the first answer). */
  get latencyMs(): number | undefined {
    return this.#latencyMs;
  }

  /** Counts `writes` PATCHes going out now; the mark goes back to {@link answered} with the answer. */
  sending(writes: number): SentMark {
    this.#writesSent += writes;
    return { atMs: this.#now(), writesSent: this.#writesSent, inFlightBeside: this.#writesSent - writes - this.#writesAnswered };
  }

  /**
   * Feeds one answer (of the request marked `sent`) to the pacing strategies and applies their
   * decision: every worker pauses (the gate, and the budget's hold), the budget is lowered or
   * emptied, the refill rate changes. After {@link stop} only the measurements are kept.
   * @param atMs when the answer arrived, epoch ms.
   */
  answered(sent: SentMark, atMs: number, answer: PacingAnswer): void {
    this.#writesAnswered += answer.writes;
    // The budget Graph named in the 429's x-ms-throttle-scope is the one that slows (a layered budget's level).
    const b = (answer.throttleScope && this.budget?.forScope?.(answer.throttleScope)) || this.budget;
    if (answer.info.outerStatus !== undefined) this.#latencyMs = smoothLatencyMs(this.#latencyMs, atMs - sent.atMs);
    const level = b?.level;
    const { decision, state } = decidePacing({
      observation: {
        sentAtMs: sent.atMs,
        atMs,
        writes: answer.writes,
        writesSentSince: this.#writesSent - sent.writesSent,
        writesInFlightBeside: sent.inFlightBeside,
        throttled: answer.throttled,
        retryAfterMs: answer.retryAfterMs,
        throttleLimitPercentage: answer.info.throttleLimitPercentage,
        writesSentBefore: sent.writesSent,
      },
      state: this.#state,
      // A budget that cannot tell its level without I/O (shared through Redis) is not compared with Graph's.
      budget: b && level !== undefined ? { burst: b.burst, refillPerSecond: b.refillPerSecond, level } : undefined,
      latencyMs: this.#latencyMs,
    });
    this.#state = state;
    if (!decision || this.#stopped) return;
    if (decision.pauseUntilMs !== undefined) {
      // One ms past the retries' own delay, so the throttled rows are ready when the workers resume.
      const untilMs = decision.pauseUntilMs + 1;
      this.gate.pauseUntil(untilMs);
      b?.holdFor?.(untilMs - atMs);
    }
    if (b && decision.capLevel !== undefined) {
      if (b.capAt) b.capAt(decision.capLevel);
      else if (decision.capLevel <= 0) void b.drain();
    }
    if (b && decision.rateFactor !== undefined) b.rateFactor = decision.rateFactor;
  }

  /** Requests to keep in flight: from the budget and the latency measured (`concurrency: auto`), capped. */
  inFlightLimit(writesPerRequest: number): number {
    const b = this.budget;
    return inFlightTarget({
      refillPerSecond: b?.refillPerSecond,
      rateFactor: b?.rateFactor ?? 1,
      level: b?.level ?? 0,
      latencyMs: this.#latencyMs,
      writesPerRequest,
      cap: concurrencyCap(this.#concurrency, b !== undefined),
      window: slowStartWindow(this.#state, writesPerRequest),
    });
  }

  /** The run stops: the gate opens for good, the budget stops, decisions are no longer applied. */
  stop(): void {
    this.#stopped = true;
    this.gate.release();
    void this.budget?.stop();
  }
}

/**
 * A run's time series for the HTML report: fed where requests complete (the dispatcher), it keeps
 * per-second buckets of writes, 429s, retries and latency, the pauses 429s imposed, and the slowest
 * rows. Memory is bounded: one bucket per second of the run, a fixed number of slow rows.
 */

/**
 * One slice of the run, starting `second` seconds after the start and `RunTimeline.bucketSeconds`
 * long; counts are per second (rates), so that slices of any length read the same.
 */
export interface SecondBucket {
  second: number;
  /** PATCHes answered per second (each inner request of a `$batch` counts). */
  writes: number;
  /** Of them, answered 429, per second. */
  throttled: number;
  /** Rows sent again after a retryable answer, per second. */
  retries: number;
  /** Rows that failed for good, per second. */
  failed: number;
  /** Latency of the requests answered, ms: the median and the highest. */
  latencyMedianMs: number;
  latencyMaxMs: number;
}

/** A pause every worker took because Graph answered 429, from `atMs` (since the start) for `ms`. */
export interface RecordedPause {
  atMs: number;
  ms: number;
}

/** A row that took long from its first send to its end, ms. */
export interface SlowRow {
  row: number;
  key: string;
  ms: number;
  attempts: number;
}

/** What {@link RunRecorder.timeline} returns. */
export interface RunTimeline {
  startedAt: string;
  durationMs: number;
  /** Length of one slice of {@link seconds}: 0.1 s for runs up to 20 s, else 1 s. */
  bucketSeconds: number;
  seconds: SecondBucket[];
  /** The first 1,000 pauses (all of them are counted in `pauseCount` and `pausedMs`). */
  pauses: RecordedPause[];
  pauseCount: number;
  /** The pauses' total, ms (they may overlap). */
  pausedMs: number;
  slowRows: SlowRow[];
  /** The write budget the run paced to (`false`: off), writes and writes/s. */
  budget?: { burst: number; refillPerSecond: number } | false;
}

/** One request's answer, as the dispatcher saw it. */
export interface RecordedAnswer {
  /** When the answer arrived and when the request was sent, ms on the recorder's clock. */
  atMs: number;
  sentAtMs: number;
  /** PATCHes the request carried. */
  writes: number;
  throttled: number;
  retries: number;
  failed: number;
  /** The longest `Retry-After` of a 429, ms: all workers pause that long. */
  pauseMs?: number;
}

const SLOW_ROWS = 10;
/** Runs up to this long are shown in 100 ms slices (a short run in 1 s slices is two bars). */
const FINE_UNTIL_MS = 20_000;

interface Tally {
  writes: number;
  throttled: number;
  retries: number;
  failed: number;
  latencies: number[];
}

/**
 * Collects a run's time series. Pure bookkeeping: no timers; `now` is injectable for tests.
 */
export class RunRecorder {
  readonly #now: () => number;
  readonly #start: number;
  readonly #startedAt: string;
  #end: number | undefined;
  /** Per second, and per 100 ms for the first {@link FINE_UNTIL_MS}. */
  readonly #buckets = new Map<number, Tally>();
  readonly #fine = new Map<number, Tally>();
  readonly #pauses: RecordedPause[] = [];
  #pauseCount = 0;
  #pausedMs = 0;
  #slow: SlowRow[] = [];
  budget: RunTimeline['budget'];

  constructor(options: { now?: () => number; budget?: RunTimeline['budget'] } = {}) {
    this.#now = options.now ?? Date.now;
    this.#start = this.#now();
    this.#startedAt = new Date().toISOString();
    this.budget = options.budget;
  }

  /** The recorder's clock, ms (the dispatcher stamps requests with it). */
  now(): number {
    return this.#now();
  }

  /** Records one answered request. */
  answer(a: RecordedAnswer): void {
    const since = Math.max(0, a.atMs - this.#start);
    const add = (map: Map<number, Tally>, slot: number) => {
      let b = map.get(slot);
      if (!b) {
        b = { writes: 0, throttled: 0, retries: 0, failed: 0, latencies: [] };
        map.set(slot, b);
      }
      b.writes += a.writes;
      b.throttled += a.throttled;
      b.retries += a.retries;
      b.failed += a.failed;
      if (b.latencies.length < 1000) b.latencies.push(Math.max(0, a.atMs - a.sentAtMs));
    };
    add(this.#buckets, Math.floor(since / 1000));
    if (since < FINE_UNTIL_MS) add(this.#fine, Math.floor(since / 100));
    if (a.pauseMs !== undefined && a.pauseMs > 0) {
      this.#pauseCount++;
      this.#pausedMs += a.pauseMs;
      if (this.#pauses.length < 1000) this.#pauses.push({ atMs: a.atMs - this.#start, ms: a.pauseMs });
    }
  }

  /** Records a row that ended `ms` after it was first sent; only the slowest few are kept. */
  row(r: SlowRow): void {
    if (this.#slow.length >= SLOW_ROWS && r.ms <= this.#slow[this.#slow.length - 1]!.ms) return;
    this.#slow.push(r);
    this.#slow.sort((x, y) => y.ms - x.ms);
    if (this.#slow.length > SLOW_ROWS) this.#slow = this.#slow.slice(0, SLOW_ROWS);
  }

  /** Marks the end of the run (the report's duration). */
  finish(): void {
    this.#end ??= this.#now();
  }

  /** The series so far: every slice from the start to the last answer (or the end), gaps as zeros. */
  timeline(): RunTimeline {
    const end = this.#end ?? this.#now();
    const fine = end - this.#start <= FINE_UNTIL_MS;
    const map = fine ? this.#fine : this.#buckets;
    const size = fine ? 100 : 1000;
    const last = Math.max(-1, ...map.keys(), Math.ceil((end - this.#start) / size) - 1);
    const perSecond = 1000 / size;
    const seconds: SecondBucket[] = [];
    for (let s = 0; s <= last; s++) {
      const b = map.get(s);
      const sorted = b ? [...b.latencies].sort((x, y) => x - y) : [];
      seconds.push({
        second: (s * size) / 1000,
        writes: (b?.writes ?? 0) * perSecond,
        throttled: (b?.throttled ?? 0) * perSecond,
        retries: (b?.retries ?? 0) * perSecond,
        failed: (b?.failed ?? 0) * perSecond,
        latencyMedianMs: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0,
        latencyMaxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
      });
    }
    return {
      startedAt: this.#startedAt,
      durationMs: end - this.#start,
      bucketSeconds: size / 1000,
      seconds,
      pauses: [...this.#pauses],
      pauseCount: this.#pauseCount,
      pausedMs: this.#pausedMs,
      slowRows: [...this.#slow],
      ...(this.budget !== undefined ? { budget: this.budget } : {}),
    };
  }
}

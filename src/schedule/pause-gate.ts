/**
 * A gate every worker passes before sending. Graph's throttle is per app, not per request, so when
 * one request gets a 429 every worker pauses until its `Retry-After` has passed
 * (learn.microsoft.com/en-us/graph/throttling: "when one request is throttled every worker should pause").
 *
 * Times are epoch milliseconds; the clock and the sleep are injected for tests.
 */
export class PauseGate {
  #until = 0;
  #released = false;
  #wakers: Array<() => void> = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Closes the gate until `untilMs` (epoch ms). A later time extends the pause; an earlier one is ignored. */
  pauseUntil(untilMs: number): void {
    if (this.#released) return;
    if (untilMs > this.#until) this.#until = untilMs;
  }

  /** Opens the gate at once and for good: the run is stopping and waiters must not sit out a pause. */
  release(): void {
    this.#released = true;
    this.#until = 0;
    for (const wake of this.#wakers.splice(0)) wake();
  }

  /** Epoch ms until which the gate is closed (0 or a past time when open). */
  get pausedUntil(): number {
    return this.#until;
  }

  /** Resolves once the gate is open, waiting out any extension made while waiting. */
  async wait(): Promise<void> {
    for (;;) {
      const left = this.#until - this.now();
      if (left <= 0 || this.#released) return;
      let wake!: () => void;
      const woken = new Promise<void>((r) => (wake = r));
      this.#wakers.push(wake);
      await Promise.race([this.sleep(left), woken]);
      const i = this.#wakers.indexOf(wake);
      if (i >= 0) this.#wakers.splice(i, 1);
    }
  }
}

import type { Writable } from 'node:stream';
import type { LogFormat } from './log.js';

/** Counters the progress display reads. */
export interface ProgressSnapshot {
  done: number;
  total: number;
  throttled429: number;
}

/**
 * Progress on stderr while a job runs: a one-line bar with rows done, rate and ETA on a TTY
 * (redrawn every 250 ms); otherwise a plain or JSON line every `intervalMs` (default 5,000 ms).
 */
export class Progress {
  #timer: NodeJS.Timeout | undefined;
  readonly #started = Date.now();
  readonly #tty: boolean;

  constructor(
    private readonly snapshot: () => ProgressSnapshot,
    private readonly stream: Writable & { isTTY?: boolean } = process.stderr,
    private readonly format: LogFormat = 'text',
    private readonly intervalMs = 5000,
  ) {
    this.#tty = Boolean(stream.isTTY) && format === 'text';
  }

  start(): void {
    this.#timer = setInterval(() => this.#draw(), this.#tty ? 250 : this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) this.stream.write('\r\x1b[K');
  }

  #draw(): void {
    const s = this.snapshot();
    const secs = (Date.now() - this.#started) / 1000;
    const rate = secs > 0 ? s.done / secs : 0;
    const left = Math.max(0, s.total - s.done);
    const eta = rate > 0 ? left / rate : Infinity;
    const pct = s.total > 0 ? (100 * s.done) / s.total : 100;
    if (this.format === 'json') {
      this.stream.write(
        JSON.stringify({
          time: new Date().toISOString(),
          level: 'info',
          msg: 'progress',
          done: s.done,
          total: s.total,
          rowsPerSecond: Number(rate.toFixed(1)),
          etaSeconds: Number.isFinite(eta) ? Math.round(eta) : null,
          throttled429: s.throttled429,
        }) + '\n',
      );
      return;
    }
    const etaText = Number.isFinite(eta) ? `${Math.round(eta)} s` : '?';
    if (this.#tty) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      this.stream.write(
        `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${s.done}/${s.total} rows ${pct.toFixed(0)}%  ${rate.toFixed(0)} rows/s  ETA ${etaText}  429s ${s.throttled429}`,
      );
    } else {
      this.stream.write(
        `graph-bulk: ${s.done}/${s.total} rows (${pct.toFixed(0)}%), ${rate.toFixed(1)} rows/s, ETA ${etaText}, 429s ${s.throttled429}\n`,
      );
    }
  }
}

/** What the queue needs to know of an item: the device it writes to (canonical lower-case GUID). */
export interface Keyed {
  readonly key: string;
}

/**
 * The rows waiting to be sent. Rows for the same device are never in flight together and go in the
 * order they were pushed (a later row for a device waits until the earlier one is final), so
 * `allowDuplicates` applies them in manifest order. Retries wait out their delay before they are
 * ready again; a retry never leaves the queue before its time (no early retries). Once its time has
 * come a retry goes ahead of new rows: after a 429 the writes Graph frees up are the throttled
 * rows' (the throttled requests are first in line for them), and a row's retries stay close together.
 *
 * `onReady` is called whenever items become ready, so the dispatcher can pump.
 */
export class WorkQueue<T extends Keyed> {
  #ready: T[] = [];
  #head = 0;
  /** Retries whose delay has passed: taken before {@link #ready}. */
  #retries: T[] = [];
  readonly #parked = new Map<string, T[]>();
  readonly #active = new Set<string>();
  readonly #timers = new Map<T, NodeJS.Timeout>();
  #outstanding = 0;

  constructor(private readonly onReady: () => void = () => undefined) {}

  /** Items pushed and not yet completed: ready, waiting for a retry, parked behind their device, or in flight. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Items ready to send now. */
  get readyCount(): number {
    return this.#retries.length + this.#ready.length - this.#head;
  }

  /** Items waiting for a retry delay. */
  get delayedCount(): number {
    return this.#timers.size;
  }

  /** Adds a new item; it is ready at once unless another item for its device is still outstanding. */
  push(item: T): void {
    this.#outstanding++;
    if (this.#active.has(item.key)) {
      const list = this.#parked.get(item.key);
      if (list) list.push(item);
      else this.#parked.set(item.key, [item]);
      return;
    }
    this.#active.add(item.key);
    this.#toReady(item);
  }

  /** Puts an item that was taken back, ready after `delayMs` (ms; 0 = at once), ahead of new items. */
  retryLater(item: T, delayMs: number): void {
    if (delayMs <= 0) {
      this.#toRetry(item);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(item);
      this.#toRetry(item);
    }, delayMs);
    this.#timers.set(item, timer);
  }

  /** Takes up to `max` ready items: retries whose time has come first, then new items, oldest first. */
  take(max: number): T[] {
    const out = this.#retries.length > max ? this.#retries.splice(0, max) : this.#retries.splice(0);
    const end = Math.min(this.#ready.length, this.#head + max - out.length);
    for (let i = this.#head; i < end; i++) out.push(this.#ready[i]!);
    this.#head = end;
    if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  /** Marks an item final: its device's next parked item (if any) becomes ready. */
  complete(item: T): void {
    this.#outstanding--;
    const list = this.#parked.get(item.key);
    const next = list?.shift();
    if (next) {
      if (list!.length === 0) this.#parked.delete(item.key);
      this.#toReady(next);
    } else {
      this.#active.delete(item.key);
    }
  }

  /**
   * Removes every item not in flight (ready, delayed, parked) and returns them, for an abort or an
   * interrupt; they count as completed.
   */
  drain(): T[] {
    const out: T[] = [...this.#retries.splice(0), ...this.#ready.slice(this.#head)];
    this.#ready = [];
    this.#head = 0;
    for (const [item, timer] of this.#timers) {
      clearTimeout(timer);
      out.push(item);
    }
    this.#timers.clear();
    for (const list of this.#parked.values()) out.push(...list);
    this.#parked.clear();
    this.#outstanding -= out.length;
    for (const item of out) this.#active.delete(item.key);
    return out;
  }

  #toReady(item: T): void {
    this.#ready.push(item);
    this.onReady();
  }

  #toRetry(item: T): void {
    this.#retries.push(item);
    this.onReady();
  }
}

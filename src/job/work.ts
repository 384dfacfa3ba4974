/**
 * The shapes passed between the job's parts (intake → dispatcher → ledger): a row on its way, and
 * why a run stops.
 */
import type { SendItem } from '../send/graph-sender.js';
import type { PropertyChange } from '../state/diff.js';
import type { DeviceState, DeviceUpdate } from '../types.js';
import type { ExitCode } from './exit-codes.js';

/** A row on its way: the validated update plus its attempt accounting. */
export interface Work {
  readonly key: string;
  readonly update: DeviceUpdate;
  /** The PATCH to send; its body becomes only the differing properties once the device was read. */
  item: SendItem;
  /** `read`: the device's current state is read next; `write`: the PATCH is sent next. */
  phase: 'read' | 'write';
  /** The device as read before writing (reads on). */
  before?: DeviceState;
  /** What the PATCH changes, old → new (reads on): the rollback manifest's line. */
  changes?: PropertyChange[];
  /** HTTP attempts made for this row (token-renewal replays included). */
  attempts: number;
  /** Replays after a 401 with a renewed token: free, not retries (see `decideAnswer`). */
  authReplays: number;
  /** When the row was first sent (a read or a write), on the run recorder's clock, ms. */
  firstSentAtMs?: number;
  /** One of the `canary` rows: written first, read back, and the rest wait for its verdict. */
  canary?: boolean;
  /** The row's line is in the rollback manifest (written ahead of its first PATCH). */
  rollbackLine?: boolean;
  /** Some attempt may have been applied (see `mayHaveBeenApplied`): its rollback line stays. */
  mayHaveWritten?: boolean;
}

/** Why a run stops early: the summary's `stoppedReason`, its exit code and what the admin should do. */
export interface Stop {
  reason: string;
  exitCode: ExitCode;
  advice?: string;
}

/** What to do when the results file cannot be written. */
export const RESULTS_ADVICE =
  'free disk space or fix permissions, then run again with --resume <this results file> (rows without a result line run again)';

/**
 * The run's stop switch: the first {@link halt} wins; every part registers what it does on a stop
 * (no new sends, queued rows `skipped`, waits released). Listeners run in registration order.
 */
export class StopSwitch {
  #stop: Stop | undefined;
  readonly #listeners: Array<(stop: Stop) => void> = [];

  /** The stop, once there is one. */
  get current(): Stop | undefined {
    return this.#stop;
  }

  /** Registers `fn` to run once, when the run stops (at once if it has already stopped). */
  onStop(fn: (stop: Stop) => void): void {
    if (this.#stop) fn(this.#stop);
    else this.#listeners.push(fn);
  }

  /** Stops the run with `stop`, unless it stopped already; runs every listener. */
  halt(stop: Stop): void {
    if (this.#stop) return;
    this.#stop = stop;
    for (const fn of this.#listeners) fn(stop);
  }
}

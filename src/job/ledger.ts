/**
 * The ledger: every row's one result line. It finishes rows (updated, failed, skipped, …), writes
 * their result lines and rollback lines, keeps the counts (by outcome, by error code, not found),
 * adds the hints a failed row's message carries, and applies the stop rules after each failure.
 *
 * A results file that cannot be written stops the run (exit 3); a rollback manifest that cannot be
 * written stops it too (exit 3), before the request whose rows it could not cover goes out.
 */
import type { ResultsFile } from '../report/results-file.js';
import type { ItemOutcome } from '../send/graph-sender.js';
import { type RollbackFile, RollbackWriteError } from '../state/rollback-file.js';
import { type ManifestRow, OUTCOMES, type Outcome, type RowResult } from '../types.js';
import { ExitCode } from './exit-codes.js';
import { afterFailure, authStopAtEnd, type FailureTally, initialFailureTally } from './stop-rules.js';
import { RESULTS_ADVICE, type StopSwitch, type Work } from './work.js';
import type { ReportTally } from '../report/report-tally.js';
import type { RunRecorder } from '../report/run-recorder.js';

/** A row's result without its `finishedAt` (the ledger stamps it). */
export type PendingResult = Omit<RowResult, 'finishedAt'>;

/** Options of {@link Ledger}. */
export interface LedgerOptions {
  results: ResultsFile;
  /** The rollback manifest (reads on, not a plan), if any. */
  rollback?: RollbackFile;
  stops: StopSwitch;
  /** `maxErrors` option (see `afterFailure`). */
  maxErrors: number | string | undefined;
  /** The Graph root in use, for the auth stop's advice. */
  graphRoot?: string;
  /** Called after a row of work has its line (the dispatcher frees its place). */
  onFinished?: (w: Work) => void;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Gathers what the report and the summary say about rows (every result line goes to it). */
  tally?: ReportTally;
  /** The run's time series: rows that were sent report how long they took. */
  recorder?: RunRecorder;
}

/** Records rows; see the module comment. */
export class Ledger {
  readonly results: ResultsFile;
  readonly rollback: RollbackFile | undefined;
  /** Rows by outcome. */
  readonly counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  /** Failed rows by Graph error code (or `network:<kind>`, or `HTTP<status>`). */
  readonly byErrorCode: Record<string, number> = {};
  /** Failed rows whose device does not exist (404 `Request_ResourceNotFound`). */
  notFound = 0;
  /** Rows that reached Graph and ended `updated`, `failed` or `not-applied`. */
  attemptedFinal = 0;
  #tally: FailureTally = initialFailureTally();
  readonly #o: LedgerOptions;
  readonly #now: () => number;
  #isoMs = 0;
  #iso = '';

  constructor(options: LedgerOptions) {
    this.#o = options;
    this.results = options.results;
    this.rollback = options.rollback;
    this.#now = options.now ?? Date.now;
  }

  /** Rows with a result line so far. */
  get doneRows(): number {
    return OUTCOMES.reduce((sum, o) => sum + this.counts[o], 0);
  }

  /** Whether a write has succeeded yet (until then the dispatcher sends one request at a time). */
  get firstSuccess(): boolean {
    return this.#tally.firstSuccess;
  }

  /** A write Graph confirmed: auth failures from now on are the rows', not the sign-in's. */
  noteSuccess(): void {
    if (!this.#tally.firstSuccess) this.#tally = { ...this.#tally, firstSuccess: true };
  }

  /**
   * Writes a row's result line. `r` must be a fresh object: it gets its `finishedAt` in place (no
   * copy per row); the time is formatted once per millisecond. A write that fails stops the run (exit 3).
   * @param finishedAt ISO 8601 UTC; default now.
   */
  record(r: PendingResult, finishedAt = this.#isoNow()): void {
    this.counts[r.outcome]++;
    const line = r as RowResult;
    line.finishedAt = finishedAt;
    this.#o.tally?.add(line);
    try {
      this.results.write(line);
    } catch (err) {
      this.#o.stops.halt({ reason: (err as Error).message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
    }
  }

  /** Finishes a row of work: its rollback line (if a PATCH was sent), its result line, then `onFinished`. */
  finish(w: Work, r: Pick<RowResult, 'outcome'> & Partial<RowResult>): void {
    if (r.outcome === 'updated' || r.outcome === 'failed' || r.outcome === 'not-applied') this.attemptedFinal++;
    this.#settleRollback(w);
    this.record({ ...base(w), attempts: w.attempts, ...r });
    if (w.firstSentAtMs !== undefined && this.#o.recorder) {
      this.#o.recorder.row({ row: w.update.row, key: w.key, ms: this.#o.recorder.now() - w.firstSentAtMs, attempts: w.attempts });
    }
    this.#o.onFinished?.(w);
  }

  /**
   * Finishes a row `failed` with `outcome`'s status, error code and message (plus a hint for a device
   * that does not exist, and `reason` when retries ran out), then applies the stop rules.
   * @param during what the row was doing, when not writing (e.g. reading the device), for the message.
   */
  failed(w: Work, outcome: ItemOutcome, reason: string, during?: string): void {
    const code = outcome.errorCode ?? (outcome.networkError ? `network:${outcome.networkError}` : undefined);
    let message = (outcome.errorMessage ?? reason) + (during ? ` (${during})` : '');
    if (outcome.status === 404 && outcome.errorCode === 'Request_ResourceNotFound') {
      this.notFound++;
      message +=
        w.update.keyType === 'deviceId'
          ? ' Hint: no device has this deviceId; if the value is the device\'s object id, put it in an "id" column instead.'
          : ' Hint: no device has this object id; if the value is the device\'s deviceId, put it in a "deviceId" column instead.';
    }
    if (!/retries exhausted/.test(message) && /retries exhausted/.test(reason)) message = `${message} (${reason})`;
    if (w.update.notes.length > 0) message = [message, ...w.update.notes].join('; '); // what was normalised, as for updated rows
    this.finish(w, { outcome: 'failed', httpStatus: outcome.status, errorCode: code, errorMessage: message, requestId: outcome.requestId });
    const byCode = code ?? `HTTP${outcome.status}`;
    this.byErrorCode[byCode] = (this.byErrorCode[byCode] ?? 0) + 1;
    const { tally, stop } = afterFailure(
      this.#tally,
      outcome,
      { failed: this.counts.failed, attemptedFinal: this.attemptedFinal },
      { maxErrors: this.#o.maxErrors, resultsPath: this.results.path, graphRoot: this.#o.graphRoot },
    );
    this.#tally = tally;
    if (stop) this.#o.stops.halt(stop);
  }

  /** Every row is done: a short run whose every attempted row failed on auth gets the auth stop (see `authStopAtEnd`). */
  endOfRun(): void {
    if (this.#o.stops.current) return;
    const stop = authStopAtEnd(this.#tally, { maxErrors: this.#o.maxErrors, resultsPath: this.results.path, graphRoot: this.#o.graphRoot });
    if (stop) this.#o.stops.halt(stop);
  }

  /** Finishes a row `skipped` (not completed: the stop's reason, and the last attempt's answer if any). */
  skipped(w: Work, last?: ItemOutcome): void {
    const reason = this.#o.stops.current?.reason ?? 'stopped';
    // The last attempt's answer, unless the stop's reason already is it (a dead path names its own error).
    const lastText =
      last && !(last.status === undefined && last.errorMessage && reason.includes(last.errorMessage))
        ? `; last attempt: ${last.status ?? last.errorMessage ?? last.networkError} ${last.errorCode ?? ''}`.trimEnd()
        : '';
    this.finish(w, { outcome: 'skipped', errorMessage: `not completed: ${reason}${lastText}` });
  }

  /** A queued row dropped by a stop: its rollback line if a PATCH went out, and a `skipped` line. */
  dropped(w: Work, reason: string): void {
    this.#settleRollback(w);
    this.record({ ...base(w), outcome: 'skipped', errorMessage: `not completed: ${reason}`, attempts: w.attempts });
  }

  /** A manifest row not even validated because the run had stopped: `skipped`, `not attempted`. */
  notAttempted(row: ManifestRow, reason: string): void {
    const keyField = row.fields.id !== undefined ? 'id' : row.fields.deviceId !== undefined ? 'deviceId' : '';
    const key = keyField ? String(row.fields[keyField] ?? '').trim() : '';
    this.record({
      row: row.row,
      key,
      keyType: keyField,
      columns: row.columns,
      outcome: 'skipped',
      errorMessage: `not attempted: ${reason}`,
      attempts: 0,
    });
  }

  /**
   * Before a request goes out: every result known so far reaches the file, so a file that cannot be
   * written stops the run before a request whose result could not be recorded.
   * @returns false (and the run stopped, exit 3) when the results file has failed.
   */
  flushBeforeSend(): boolean {
    this.results.flush();
    if (!this.results.error) return true;
    this.#o.stops.halt({ reason: this.results.error.message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
    return false;
  }

  /**
   * Write-ahead rollback: before a request goes out, the rollback lines of its rows (the device's
   * values from before, of exactly the properties the row changes) are written and synced to disk,
   * so every device Graph may change has its line whatever happens next (kill -9, power loss).
   * @returns false (and the run stopped, exit 3) when the rollback manifest cannot be written: the
   *   request must not go out.
   */
  writeAhead(works: readonly Work[]): boolean {
    const rollback = this.rollback;
    if (!rollback) return true;
    try {
      let added = false;
      for (const w of works) {
        if (w.rollbackLine !== undefined || w.phase !== 'write' || !w.before || !w.changes) continue;
        w.rollbackLine = rollback.add(w.update.row, w.before.id, w.changes);
        added ||= w.rollbackLine;
      }
      if (added) rollback.sync();
      return true;
    } catch (err) {
      if (!(err instanceof RollbackWriteError)) throw err;
      this.#o.stops.halt({ reason: err.message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
      return false;
    }
  }

  /**
   * A finished row whose PATCH was never applied (refused, or never sent) leaves the rollback manifest
   * at its close; one that may have been applied keeps its line, and the file forgets where it lies
   * (what a run holds stays flat in rows).
   */
  #settleRollback(w: Work): void {
    if (!w.rollbackLine) return;
    if (w.mayHaveWritten) this.rollback?.keep(w.update.row);
    else this.rollback?.markNotWritten(w.update.row);
  }

  /** Now as an ISO 8601 UTC string, made once per millisecond (rows finish thousands a second). */
  #isoNow(): string {
    const ms = this.#now();
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#iso = new Date(ms).toISOString();
    }
    return this.#iso;
  }
}

function base(w: Work): Pick<RowResult, 'row' | 'key' | 'keyType' | 'columns'> {
  return { row: w.update.row, key: w.update.key, keyType: w.update.keyType, columns: w.update.columns };
}

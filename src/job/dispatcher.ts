/**
 * The dispatcher: holds the rows on their way (a {@link WorkQueue}), sends them while there is room
 * in flight (one PATCH or one `$batch` per request, the room being the pacer's), hands rows still to
 * be read to the device reader, and applies to every answer the one decision of what comes next
 * (success, free token-renewal replay, retry after a delay, final failure, or skipped on a stop).
 * Finished rows go to the ledger.
 */
import { parseThrottleScope, THROTTLE_SCOPES, type ThrottleScopeName } from '../graph/throttle-scope.js';
import type { TokenManager } from '../auth/token-source.js';
import { selectFor } from '../graph/device-state.js';
import { decideAnswer } from '../graph/answer.js';
import { redactSecrets } from '../graph/errors.js';
import { mayHaveBeenApplied, type RetryStrategy } from '../graph/retry.js';
import { WorkQueue } from '../schedule/work-queue.js';
import { type ExchangeInfo, type GraphSender, type ItemOutcome, outcomeFor } from '../send/graph-sender.js';
import { decideRow, verdictAfterWrite } from '../state/decide.js';
import { describeChanges } from '../state/diff.js';
import type { DeviceReader } from '../state/reader.js';
import type { Connection } from './connect.js';
import type { Ledger } from './ledger.js';
import { concurrencyCap, type JobOptions } from './options.js';
import type { Pacer, SentMark } from './pacer.js';
import { ExitCode } from './exit-codes.js';
import type { StopSwitch, Work } from './work.js';
import type { RunRecorder } from '../report/run-recorder.js';

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  options: Pick<JobOptions, 'mode' | 'batchSize' | 'concurrency' | 'maxRetries' | 'verify' | 'sendAll' | 'canary'>;
  /** The sender, the token manager, the reader (rows with phase `read` are read first; `verify`
   * reads back), whether the token is app-only, the retry strategies and the tokens that worked. */
  connection: DispatcherConnection;
  pacer: Pacer;
  ledger: Ledger;
  stops: StopSwitch;
  /** Aborted `drainTimeoutMs` after a stop: answers without a status then mean abandoned. */
  abandon: AbortSignal;
  /** A plan: rows are read and compared, never written. */
  plan: boolean;
  /** The run's time series for the report: every answer is recorded there. */
  recorder?: RunRecorder;
}

/** What the dispatcher uses of a {@link Connection}. */
export interface DispatcherConnection {
  sender: Pick<GraphSender, 'single' | 'batch'>;
  tokens: Pick<TokenManager, 'renew'>;
  reader?: Pick<DeviceReader, 'read'>;
  appOnly: boolean | undefined;
  strategies: readonly RetryStrategy[];
  tokensThatWorked: Set<string>;
}

/** Sends rows; see the module comment. The ledger's `onFinished` must call {@link finished}. */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #queue: WorkQueue<Work>;
  /** Rows outstanding (queued, waiting for a retry, or in flight) at which the intake waits. */
  readonly highWater: number;
  #inflight = 0;
  #pumpKicked = false;
  #intakeDone = false;
  #intakeBlocked = false;
  #spaceWaiters: Array<() => void> = [];
  #doneResolve!: () => void;
  /** Resolves once the intake is done and no row is outstanding. */
  readonly done = new Promise<void>((r) => (this.#doneResolve = r));
  /** 429 answers to writes. */
  throttled429 = 0;
  /** Write 429s by the budget their `x-ms-throttle-scope` named (`unnamed` when it named none): which budget throttled the run. */
  readonly throttledBy: Record<string, number> = {};
  /** Writes retried (token-renewal replays not counted). */
  retries = 0;
  /**
   * The canary (`canary` option): the first `size` rows to write are written and read back; the other
   * rows to write are held until every canary row is `updated`. Any other verdict stops the run
   * (exit 2): the held rows, and those not yet read, are `skipped`.
   */
  readonly #canary: { size: number; assigned: number; finished: number; passed: boolean; held: Work[] } | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#queue = new WorkQueue<Work>(() => this.#kickPump());
    this.highWater = Math.max(256, concurrencyCap(options.options.concurrency, options.pacer.budget !== undefined) * this.#unitSize * 4);
    const size = options.options.canary;
    this.#canary = size !== undefined && !options.plan ? { size, assigned: 0, finished: 0, passed: false, held: [] } : undefined;
    options.stops.onStop((stop) => {
      for (const w of this.#queue.drain()) options.ledger.dropped(w, stop.reason);
      for (const w of this.#canary?.held.splice(0) ?? []) options.ledger.skipped(w);
      for (const wake of this.#spaceWaiters.splice(0)) wake();
      this.#checkDone();
    });
  }

  /** Queues a validated row. */
  push(w: Work): void {
    this.#queue.push(w);
  }

  /** Whether the intake must wait ({@link waitForRoom}) before the next row. */
  get full(): boolean {
    return this.#queue.outstanding >= this.highWater && !this.#o.stops.current;
  }

  /** Back-pressure: resolves once fewer than {@link highWater} rows are outstanding, or the run stopped. */
  async waitForRoom(): Promise<void> {
    while (this.full) {
      this.#intakeBlocked = true;
      this.#pump();
      await new Promise<void>((r) => this.#spaceWaiters.push(r));
    }
    this.#intakeBlocked = false;
  }

  /** No more rows will be pushed: partial batches may go now, and {@link done} can resolve. */
  intakeDone(): void {
    this.#intakeDone = true;
    this.#pump();
    this.#checkDone();
  }

  /** A row got its result line (the ledger's `onFinished`): its place is free. */
  finished(w: Work): void {
    this.#queue.complete(w);
    const waiters = this.#spaceWaiters;
    if (waiters.length && this.#queue.outstanding < this.highWater) {
      this.#spaceWaiters = [];
      for (const wake of waiters) wake();
    } // Rows decided by a read (or a read-back) finish outside any dispatch: the run may be done now.
    this.#checkDone();
  }

  #checkDone(): void {
    if (this.#intakeDone && this.#inflight === 0 && this.#queue.outstanding === 0) this.#doneResolve();
  }

  /**
   * Pumps once the current burst of ready rows has landed (a microtask later), so the rows of one read
   * batch that all become ready together go out in one write batch rather than one by one.
   */
  #kickPump(): void {
    if (this.#pumpKicked) return;
    this.#pumpKicked = true;
    queueMicrotask(() => {
      this.#pumpKicked = false;
      this.#pump();
    });
  }

  /** Rows per write request: 1, or the `$batch` size (never more than the budget's burst). */
  get #unitSize(): number {
    const o = this.#o.options;
    return o.mode === 'batch' ? Math.min(o.batchSize, this.#o.pacer.budget?.burst ?? 20) : 1;
  }

  /** Sends ready rows while there is room in flight (one PATCH or one `$batch` per unit). */
  #pump(): void {
    if (this.#o.stops.current) return;
    const size = this.#unitSize;
    // Until one row has succeeded, one request at a time: a broken sign-in or permission costs one request, not a flood.
    const limit = this.#o.ledger.firstSuccess ? this.#o.pacer.inFlightLimit(size) : 1;
    while (this.#inflight < limit && this.#queue.readyCount > 0) {
      if (this.#queue.readyCount < size && !this.#intakeDone && !this.#intakeBlocked) break;
      let works = this.#queue.take(size);
      if (this.#o.connection.reader) {
        // Rows still to be read go to the reader (batched and paced on its own); the others are written.
        for (const w of works) if (w.phase === 'read') void this.#prepare(w);
        works = works.filter((w) => w.phase === 'write');
        if (works.length === 0) continue;
      }
      this.#inflight++;
      void this.#dispatch(works).finally(() => {
        this.#inflight--;
        this.#pump();
        this.#checkDone();
      });
    }
  }

  /** Reads a row's device, then decides: unchanged, not found, invalid, planned, or to be written. */
  async #prepare(w: Work): Promise<void> {
    const { ledger, stops } = this.#o;
    w.firstSentAtMs ??= this.#o.recorder?.now();
    const select = selectFor(w.update.body, w.update.expectDeviceId !== undefined ? ['deviceId'] : []);
    const read = await this.#o.connection.reader!.read({ key: w.key, keyType: w.update.keyType, select });
    if (read.kind === 'stopped') {
      ledger.skipped(w, read.last);
      return;
    }
    if (read.kind === 'failed') {
      w.attempts = read.attempts;
      ledger.failed(w, read.outcome, read.reason, read.outcome.status === 404 ? undefined : 'reading the device before writing');
      return;
    }
    const notes = w.update.notes;
    const decision = decideRow(w.update, read.state, { sendAll: this.#o.options.sendAll, appOnly: this.#o.connection.appOnly });
    const fromRead = { attempts: read.attempts, httpStatus: read.httpStatus, requestId: read.requestId };
    if (decision.kind === 'unchanged') {
      ledger.finish(w, { outcome: 'unchanged', ...fromRead, errorMessage: [...notes, 'already at target: nothing to write'].join('; ') });
      return;
    }
    if (decision.kind === 'invalid') {
      ledger.finish(w, { outcome: 'invalid', attempts: 0, errorMessage: decision.message });
      return;
    }
    if (this.#o.plan) {
      const what = decision.changes.length ? `would change ${describeChanges(decision.changes)}` : 'already at target';
      ledger.finish(w, { outcome: 'planned', ...fromRead, errorMessage: [what, ...notes].join('; ') });
      return;
    }
    if (stops.current) {
      ledger.skipped(w); // the run stopped while this row was being read: nothing was written
      return;
    }
    w.before = read.state;
    w.changes = decision.changes;
    w.item = { ...w.item, body: decision.body };
    w.phase = 'write';
    const canary = this.#canary;
    if (canary && !canary.passed) {
      if (canary.assigned >= canary.size) {
        canary.held.push(w); // written once the canary passed
        return;
      }
      canary.assigned++;
      w.canary = true;
    }
    this.#queue.retryLater(w, 0);
  }

  /**
   * A canary row's verdict. `updated`: once all `size` canary rows are, the held rows go. Anything
   * else stops the run (exit 2) before another row is written.
   */
  #canaryVerdict(w: Work, outcome: string, detail?: string): void {
    const canary = this.#canary;
    if (!canary || !w.canary) return;
    canary.finished++;
    if (outcome !== 'updated') {
      this.#o.stops.halt({
        reason: `the canary failed: row ${w.update.row} ended ${outcome}${detail ? ` (${detail})` : ''}`,
        exitCode: ExitCode.Aborted,
        advice: 'see the canary rows in the results file; fix the cause, then run again with --resume <this results file>',
      });
      return;
    }
    if (canary.finished === canary.size && !canary.passed) {
      canary.passed = true;
      for (const held of canary.held.splice(0)) this.#queue.retryLater(held, 0);
    }
  }

  /** A write Graph confirmed: `updated`, or with `verify` read back first. */
  #succeeded(w: Work, outcome: ItemOutcome): void {
    const { ledger } = this.#o;
    ledger.noteSuccess();
    const done = { httpStatus: outcome.status, requestId: outcome.requestId };
    if (!this.#o.options.verify && !w.canary) {
      ledger.finish(w, { outcome: 'updated', ...done, errorMessage: w.update.notes.join('; ') || undefined });
      return;
    }
    // Canary rows are always read back: only a value found on the device lets the rest go.
    void this.#o.connection.reader!.read({ key: w.key, keyType: w.update.keyType, select: selectFor(w.item.body) }).then((read) => {
      const verdict = verdictAfterWrite(w.item.body, outcome.status, read, w.update.notes);
      const notes = w.canary ? [verdict.errorMessage, 'canary row: read back'].filter(Boolean).join('; ') : verdict.errorMessage;
      ledger.finish(w, { ...done, ...verdict, ...(notes ? { errorMessage: notes } : {}) });
      this.#canaryVerdict(w, read.kind === 'found' ? verdict.outcome : 'not verified', verdict.errorMessage);
    });
  }

  async #dispatch(works: Work[]): Promise<void> {
    const { pacer, ledger, stops } = this.#o;
    const { sender } = this.#o.connection;
    const send = async () => {
      await pacer.gate.wait();
      if (stops.current) return undefined;
      if (!ledger.flushBeforeSend()) return undefined;
      if (!ledger.writeAhead(works)) return undefined; // the rollback lines are on disk before the PATCH goes out
      for (const w of works) {
        w.attempts++;
        w.firstSentAtMs ??= this.#o.recorder?.now();
      }
      const mark = pacer.sending(works.length);
      if (this.#o.options.mode === 'batch') return { ...(await sender.batch(works.map((w) => w.item))), mark };
      const { outcome, info } = await sender.single(works[0]!.item);
      return { outcomes: new Map([[works[0]!.item.id, outcome]]), info, mark };
    };
    let sent: Awaited<ReturnType<typeof send>>;
    try {
      sent = pacer.budget ? await pacer.budget.schedule(works.length, send) : await send();
    } catch (err) {
      if (!stops.current) {
        // Not a stop (the budget stopped with this unit still waiting): a bug or a failure nothing
        // expected. Never silence: the rows fail with the error, and the run exits non-zero.
        const outcome: ItemOutcome = {
          errorCode: 'InternalError',
          errorMessage: redactSecrets(`unexpected error while sending: ${(err as Error)?.message ?? String(err)}`),
        };
        for (const w of works) {
          w.mayHaveWritten = true; // unknown: keep its rollback line
          ledger.failed(w, outcome, 'unexpected error');
        }
        return;
      }
      sent = undefined;
    }
    if (!sent) {
      for (const w of works) ledger.skipped(w);
      return;
    }
    this.#handle(works, sent.outcomes, sent.info, sent.mark);
  }

  /**
   * Applies the one decision per answer (`decideAnswer`) to each row — success, free token-renewal
   * replay, retry after a delay, final failure, or skipped on a stop — then lets the pacer adjust to
   * what the answer said (pause, budget level, refill, latency).
   */
  #handle(works: Work[], outcomes: Map<string, ItemOutcome>, info: ExchangeInfo, sent: SentMark): void {
    const { ledger, stops, connection } = this.#o;
    const now = Date.now();
    const recorded = { throttled: 0, retries: 0, failed: 0 };
    let throttledRows = 0;
    let scope: ThrottleScopeName | undefined;
    let longest: number | undefined; // the longest wait a 429 asked for (batch: the longest inner Retry-After)
    for (const w of works) {
      const outcome = outcomeFor(outcomes, w.item.id);
      if (mayHaveBeenApplied(outcome)) w.mayHaveWritten = true;
      if (outcome.status === 429 || outcome.status === 424) throttledRows++;
      if (outcome.status === 429) {
        recorded.throttled++;
        this.throttled429++;
        const named = parseThrottleScope(outcome.throttleScope)?.scope;
        this.throttledBy[named ?? 'unnamed'] = (this.throttledBy[named ?? 'unnamed'] ?? 0) + 1;
        if (named && (!scope || THROTTLE_SCOPES.indexOf(named) > THROTTLE_SCOPES.indexOf(scope))) scope = named;
        const wait = info.batchRetryAfterMs ?? outcome.retryAfterMs;
        if (wait !== undefined && wait > (longest ?? 0)) longest = wait;
      }
      const decision = decideAnswer(outcome, {
        attempts: w.attempts,
        authReplays: w.authReplays,
        tokenWorkedBefore: connection.tokensThatWorked.has(info.token),
        stopping: stops.current !== undefined,
        abandoned: this.#o.abandon.aborted,
        maxRetries: this.#o.options.maxRetries,
        strategies: connection.strategies,
        batchRetryAfterMs: info.batchRetryAfterMs,
      });
      if (decision.tokenAccepted) connection.tokensThatWorked.add(info.token);
      switch (decision.kind) {
        case 'success':
          this.#succeeded(w, outcome);
          break;
        case 'abandoned':
          ledger.skipped(w, outcome); // not confirmed: runs again on resume
          break;
        case 'replay':
          w.authReplays++;
          void connection.tokens.renew(info.token).catch(() => undefined);
          this.#queue.retryLater(w, 0);
          break;
        case 'final':
          recorded.failed++;
          ledger.failed(w, outcome, decision.reason);
          this.#canaryVerdict(w, 'failed', `${outcome.status ?? outcome.networkError} ${outcome.errorCode ?? ''}`.trim());
          break;
        case 'retry':
          recorded.retries++;
          this.retries++;
          this.#queue.retryLater(w, decision.afterMs);
      }
    }
    if (this.#o.recorder) {
      const at = this.#o.recorder.now();
      this.#o.recorder.answer({
        atMs: at,
        sentAtMs: at - (now - sent.atMs),
        writes: works.length,
        ...recorded,
        ...(longest ? { pauseMs: longest } : {}),
      });
    }
    this.#o.pacer.answered(sent, now, {
      writes: works.length,
      throttled: throttledRows,
      retryAfterMs: longest,
      ...(scope ? { throttleScope: scope } : {}),
      info,
    });
  }
}

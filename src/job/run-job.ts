/**
 * Runs one job along the data path: manifest → validate → schedule → send → report.
 *
 * | stage | module |
 * |---|---|
 * | connect: Graph root, sign-in, preflight, budget, reader | ./connect.ts |
 * | manifest rows, validation, shard, resume carry-over, back-pressure | ./intake.ts |
 * | results file and rollback manifest | ./outputs.ts |
 * | send: queue, in-flight room, reads, answers | ./dispatcher.ts |
 * | pacing to Graph's answers | ./pacer.ts |
 * | result lines, counts, stop rules | ./ledger.ts, ./stop-rules.ts |
 * | summary | ../report/summary.ts |
 */
import { setMaxListeners } from 'node:events';
import type { Writable } from 'node:stream';
import { isAbsolute, resolve } from 'node:path';
import type { TokenSource } from '../auth/token-source.js';
import { Heartbeat } from '../report/heartbeat.js';
import { snapshotManifest, type ManifestSnapshot } from '../manifest/snapshot.js';
import { createLogger, type Logger } from '../report/log.js';
import { acquireResultsLock, chainRootOf, type ResultsLock } from '../report/results-lock.js';
import { writeResultsEnd } from '../report/results-meta.js';
import { graphIdentityMismatch } from '../report/resume-checks.js';
import { Progress } from '../report/progress.js';
import { buildSummary, type JobSummary, summaryText } from '../report/summary.js';
import { checkGraphUrl, connect, type Connection } from './connect.js';
import { type ConnectivityState, initialConnectivity, observeAttempt, outageStop, waitingLogIntervalMs } from './connectivity.js';
import { Dispatcher } from './dispatcher.js';
import { JobError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { intake, loadPrevious, openManifest, shardFilter } from './intake.js';
import { Ledger } from './ledger.js';
import { type JobOptions, type JobOptionsInput, parseJobOptions } from './options.js';
import { checkResultsName, logStart, openResults, openRollback, warnAboutRollback } from './outputs.js';
import { Pacer } from './pacer.js';
import { exitCodeFor } from './stop-rules.js';
import { StopSwitch } from './work.js';
import { ReportTally } from '../report/report-tally.js';
import { RunRecorder } from '../report/run-recorder.js';
import { writeReport } from './report-file.js';
import { notify } from './notify-job.js';

export type { JobSummary } from '../report/summary.js';
export { AUTH_FAILURE_STOP } from './stop-rules.js';

/** How a job is run from code: everything that is not a job option. */
export interface RunContext {
  /** Folder that relative paths in the options are resolved from. Default: the working directory. */
  baseDir?: string;
  /** Environment to read GRAPH_ACCESS_TOKEN and AZURE_* from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Tokens from here instead of GRAPH_ACCESS_TOKEN / @azure/identity (embedding, tests). */
  tokenSource?: TokenSource;
  /** Aborting it interrupts the run like SIGINT: no new rows, in-flight finish, the rest `skipped`. */
  signal?: AbortSignal;
  /** Where logs, progress and the summary go. Default `process.stderr`. */
  stderr?: Writable & { isTTY?: boolean };
  /** Used for the default job name (a job file's base name). */
  jobFile?: string;
  /** Now, for the default results file name. */
  now?: () => Date;
}

/**
 * Runs one job: reads the manifest, validates each row, sends PATCHes (single or `$batch`) paced to
 * the write budget with retries, and writes exactly one result line per manifest row.
 *
 * Resolves with the summary also for rows that failed (exit code 1), an abort (2) or an interrupt (4).
 * @throws {JobError} when nothing could be sent (exit 3): bad options, a bad manifest header,
 *   sign-in failure, or a results file that cannot be created.
 */
export async function runJob(input: JobOptionsInput, context: RunContext = {}): Promise<JobSummary> {
  const options = jobOptions(input, context);
  if (options.canary !== undefined && !options.readFirst && !options.dryRun) {
    throw new JobError('--canary reads the canary rows back before going on: drop readFirst: false (--no-read-first)');
  }
  return run(options, context, false);
}

/**
 * Plans a job: reads every device of the manifest (GETs in `$batch`, paced by the read budget) and
 * writes a plan file (results-file shaped, default `results/<job>-<UTC time>.plan.csv`): per row the
 * properties that would change, old → new (`planned`), `unchanged` when the device is already at its
 * target, `failed` 404 when the device does not exist, `invalid` when Graph would refuse it. Sends no
 * write. The summary adds a plan line (`N to change, M unchanged, K not found`).
 * @throws {JobError} as {@link runJob}; also for `dryRun` or `readFirst: false` (a plan reads).
 */
export async function planJob(input: JobOptionsInput, context: RunContext = {}): Promise<JobSummary> {
  const options = jobOptions(input, context);
  if (options.dryRun) throw new JobError('a plan reads the devices: drop dryRun (--dry-run), which sends nothing at all');
  if (!options.readFirst) throw new JobError('a plan reads the devices: drop readFirst: false (--no-read-first)');
  return run(options, context, true);
}

/** Parses the options of a job. @throws {JobError} naming each bad field. */
function jobOptions(input: JobOptionsInput, context: RunContext): JobOptions {
  try {
    return parseJobOptions(input, context.jobFile ?? 'options');
  } catch (err) {
    throw new JobError((err as Error).message);
  }
}

async function run(o: JobOptions, ctx: RunContext, plan: boolean): Promise<JobSummary> {
  const started = Date.now();
  const env = ctx.env ?? process.env;
  const stderr = ctx.stderr ?? process.stderr;
  const log = createLogger(o.logFormat, stderr);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(ctx.baseDir ?? process.cwd(), p));

  // manifest: its first pass (of a private copy), the shard, the results being resumed
  const manifestPath = path(o.manifest);
  // The run works from a private copy: what is hashed is what is sent, whatever happens to the file.
  let snapshot: ManifestSnapshot | undefined;
  try {
    snapshot = o.dryRun ? undefined : snapshotManifest(manifestPath);
  } catch (err) {
    throw new JobError(`cannot make the run's private copy of manifest ${manifestPath}: ${(err as Error).message}`);
  }
  try {
    return await runFrom(o, ctx, plan, { started, env, stderr, log, path, manifestPath, snapshot });
  } finally {
    snapshot?.remove();
  }
}

async function runFrom(
  o: JobOptions,
  ctx: RunContext,
  plan: boolean,
  s: {
    started: number;
    env: NodeJS.ProcessEnv;
    stderr: Writable & { isTTY?: boolean };
    log: Logger;
    path: (p: string) => string;
    manifestPath: string;
    snapshot: ManifestSnapshot | undefined;
  },
): Promise<JobSummary> {
  const { started, env, stderr, log, path, manifestPath, snapshot } = s;
  const shard = shardFilter(o, env);
  const info = await openManifest(snapshot?.path ?? manifestPath, o, snapshot);
  checkResultsName(o, path); // -o r.json stops here, before signing in
  const previous = o.resume ? loadPrevious(path(o.resume), info, log, manifestPath) : undefined;

  const stops = new StopSwitch();
  // The connectivity rules see every exchange with Graph, reads and writes (src/job/connectivity.ts).
  let connectivity: ConnectivityState = initialConnectivity(Date.now());
  let resultsPath: string | undefined;
  const resumeHint = () => `run again with --resume ${resultsPath ?? '<this results file>'}`;
  const observe = (seen: Parameters<typeof observeAttempt>[1]) => {
    const { state, stop } = observeAttempt(connectivity, seen, resumeHint());
    connectivity = state;
    if (stop) stops.halt(stop);
  };
  const abandon = new AbortController(); // aborted drainTimeoutMs after a stop: requests in flight are abandoned
  setMaxListeners(0, abandon.signal); // one listener per request in flight
  let connection: Connection | undefined;
  if (!o.dryRun) {
    connection = await connect({
      options: o,
      env,
      log,
      path,
      tokenSource: ctx.tokenSource,
      plan,
      abandon: abandon.signal,
      knownPeers: shard?.shard.count,
      observe,
      onRetryAfterBeyondMax: (reason) =>
        stops.halt({
          reason,
          exitCode: ExitCode.Aborted,
          advice: 'wait that long, or raise maxRetryAfterMs; then run again with --resume <this results file>',
        }),
    });
  } else if (!o.emulator) checkGraphUrl(o.graphUrl, o); // a dry run refuses a job file's unknown host too
  let lock: ResultsLock | undefined;
  try {
    const reader = connection?.reader;
    if (previous && connection) {
      // Before any request: the same Graph, tenant and app, and no other run of this results chain.
      const mismatch = graphIdentityMismatch(previous.path, previous.meta.graph, connection.identity);
      if (mismatch) throw new JobError(mismatch);
      lock = takeLock(chainRootOf(previous), path(o.resume!), log);
    }
    const results = openResults(info, {
      options: o,
      path,
      jobFile: ctx.jobFile,
      now: ctx.now?.() ?? new Date(),
      shard,
      plan,
      previous,
      identity: connection?.identity,
      manifestPath,
    });
    resultsPath = results.path;
    if (connection && !lock && !plan) {
      try {
        lock = takeLock(results.path, results.path, log);
      } catch (err) {
        results.close();
        throw err;
      }
    }
    const rollback = reader && o.readFirst && !plan ? openRollback(results, info, o, previous, log) : undefined;
    logStart(log, { o, plan, manifestPath, info, results, auth: connection?.tokens.description, shard });

    // schedule → send → report: the pacer, the dispatcher and the ledger, wired to one stop switch
    let dispatcher: Dispatcher | undefined;
    const tally = new ReportTally();
    const recorder = new RunRecorder({ budget: connection?.budget ? o.writeBudget : false });
    const ledger = new Ledger({
      results,
      rollback,
      stops,
      maxErrors: o.maxErrors,
      graphRoot: connection?.graphRoot,
      onFinished: (w) => dispatcher?.finished(w),
      tally,
      recorder,
    });
    const pacer = new Pacer({ budget: connection?.budget, gate: connection?.gate, concurrency: o.concurrency });
    stops.onStop((stop) => {
      log.warn(`stopping: ${stop.reason}`);
      reader?.stop();
      void connection?.readBudget?.stop();
    });
    if (connection) dispatcher = new Dispatcher({ options: o, connection, pacer, ledger, stops, abandon: abandon.signal, plan, recorder });
    let drainTimer: NodeJS.Timeout | undefined;
    stops.onStop(() => {
      pacer.stop();
      drainTimer = setTimeout(() => abandon.abort(), o.drainTimeoutMs);
      drainTimer.unref();
    });

    const total = shard ? shard.expectedRows(info.rowCount) : info.rowCount;
    const progressOf = () => ({ done: ledger.doneRows, total, throttled429: dispatcher?.throttled429 ?? 0 });
    const progress = o.progress ? new Progress(progressOf, stderr, o.logFormat) : undefined;
    progress?.start();
    // While it waits or retries, the log says so (also without progress); a silent Graph stops the run.
    connectivity = { ...connectivity, lastAnswerAtMs: Date.now() };
    const heartbeat = connection
      ? new Heartbeat(
          () => ({
            done: ledger.doneRows,
            total,
            retries: (dispatcher?.retries ?? 0) + (reader?.stats.retries ?? 0),
            lastError: connectivity.lastFault?.message,
            silentMs: Date.now() - connectivity.lastAnswerAtMs,
          }),
          log,
          waitingLogIntervalMs(o.outageTimeoutMs),
          () => {
            const stop = stops.current ? undefined : outageStop(connectivity, Date.now(), o.outageTimeoutMs, resumeHint());
            if (stop) stops.halt(stop);
          },
        )
      : undefined;
    heartbeat?.start();
    const onAbort = () =>
      stops.halt({ reason: 'interrupted', exitCode: ExitCode.Interrupted, advice: `run again with --resume ${results.path}` });
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) onAbort();
    let carriedOver = 0;
    try {
      const readFirst = reader !== undefined && (o.readFirst || plan);
      ({ carriedOver } = await intake({
        info,
        options: o,
        ledger,
        stops,
        sink: dispatcher,
        readFirst,
        shard,
        previous,
        log,
        snapshot,
      }).finally(() => dispatcher?.intakeDone()));
      await dispatcher?.done;
      ledger.endOfRun();
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      clearTimeout(drainTimer);
      progress?.stop();
      heartbeat?.stop();
      await connection?.budget?.stop();
      await connection?.readBudget?.stop();
      results.close();
      rollback?.close();
    }

    const stop = stops.current;
    const shared = connection?.shared;
    const summary = buildSummary({
      exitCode: exitCodeFor(ledger.counts, stop),
      resultsPath: results.path,
      counts: ledger.counts,
      byErrorCode: ledger.byErrorCode,
      byInvalidReason: Object.fromEntries(ReportTally.sorted(tally.invalid)),
      wallMs: Date.now() - started,
      writesSent: pacer.writesSent,
      reads: reader?.stats,
      writesThrottled429: dispatcher?.throttled429 ?? 0,
      throttledBy: dispatcher?.throttledBy,
      writeRetries: dispatcher?.retries ?? 0,
      ...(plan ? { plan: { notFound: ledger.notFound } } : {}),
      ...(rollback ? { rollback: { path: rollback.path, count: rollback.count } } : {}),
      ...(previous ? { resume: { carriedOver, resumedFrom: previous.path } } : {}),
      stop,
      shard: shard?.toString(),
      ...(shared
        ? { sharedBudget: { id: shared.scope.id, outages: shared.budget.status.outages, degradedMs: shared.budget.status.degradedMs } }
        : {}),
    });
    warnAboutRollback(rollback, log);
    recorder.finish();
    const report = writeReport(results.path, { summary, tally, timeline: recorder.timeline(), manifest: o.manifest, plan }, log);
    if (report) log.info(`report: ${report}`);
    // The files are complete: a results file without this marker was cut short (killed).
    writeResultsEnd(results.path, {
      endedAt: new Date().toISOString(),
      lines: results.count,
      exitCode: summary.exitCode,
      ...(rollback && rollback.count > 0 ? { rollback: { path: rollback.path, lines: rollback.count } } : {}),
    });
    if (o.notify) await notify(o.notify, o.notifyFormat, summary, { job: o.name ?? ctx.jobFile ?? o.manifest, report, log });
    stderr.write(summaryText(summary, o.logFormat));
    return summary;
  } finally {
    lock?.release();
    await connection?.stop();
  }
}

/** Takes the lock of a results chain. @throws {JobError} (exit 3) when another run holds it. */
function takeLock(chainRoot: string, results: string, log: Pick<Logger, 'warn'>): ResultsLock {
  try {
    return acquireResultsLock(chainRoot, { results, warn: (m) => log.warn(m) });
  } catch (err) {
    throw new JobError((err as Error).message);
  }
}

import { setMaxListeners } from 'node:events';
import { statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { staticTokenSource, TokenManager, type TokenSource } from '../auth/token-source.js';
import { CLOUDS, resolveGraphRoot, tokenScope } from '../graph/clouds.js';
import { redactSecrets } from '../graph/errors.js';
import { decideRetry, defaultRetryStrategies, type AttemptOutcome } from '../graph/retry.js';
import { decodeTokenClaims } from '../auth/token-claims.js';
import { selectFor } from '../graph/device-state.js';
import { describePermissions, missingPermission, tokenPermissions } from '../graph/permissions.js';
import { devicePath } from '../graph/urls.js';
import { inspectManifest, ManifestError, readManifest, type ManifestInfo } from '../manifest/index.js';
import { createLogger, type Logger } from '../report/log.js';
import { Progress } from '../report/progress.js';
import { ResultsFile, ResultsWriteError } from '../report/results-file.js';
import { loadPreviousResults, ResumeError, type PreviousResults } from '../report/resume.js';
import { formatSummary, type JobSummary } from '../report/summary.js';
import type { PacingBudget } from '../schedule/budget.js';
import { decidePacing, inFlightTarget, initialPacingState, smoothLatencyMs, type PacingState } from '../schedule/pacing.js';
import { PauseGate } from '../schedule/pause-gate.js';
import { WorkQueue } from '../schedule/work-queue.js';
import { WriteBudget } from '../schedule/write-budget.js';
import { GraphSender, type ExchangeInfo, type ItemOutcome, type SendItem } from '../send/graph-sender.js';
import { decideRow, verdictAfterWrite } from '../state/decide.js';
import { describeChanges, type PropertyChange } from '../state/diff.js';
import { DeviceReader } from '../state/reader.js';
import { RollbackFile, RollbackWriteError, rollbackColumns, rollbackPathFor } from '../state/rollback-file.js';
import { OUTCOMES, type DeviceState, type DeviceUpdate, type ManifestRow, type Outcome, type RowResult } from '../types.js';
import { createValidator, isInvalid } from '../validate/index.js';
import { chooseBudget, type BudgetChoice } from './budget-choice.js';
import { JobError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { concurrencyCap, maxErrorsExceeded, parseJobOptions, type JobOptions, type JobOptionsInput } from './options.js';
import { parseShard, ShardFilter } from './shard.js';

export type { JobSummary } from '../report/summary.js';

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

/** Rows whose first finals are all auth/permission failures stop the run after this many (case H06). */
export const AUTH_FAILURE_STOP = 20;

/** What to do when the results file cannot be written. */
const RESULTS_ADVICE =
  'free disk space or fix permissions, then run again with --resume <this results file> (rows without a result line run again)';

/** A row on its way: the validated update plus its attempt accounting. */
interface Work {
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
  /** Replays after a 401 with a renewed token: free, not retries (see #handle). */
  authReplays: number;
}

/** When a request was sent, how many writes had been sent by then (its own included), and how many
 * writes of other requests were in flight beside it. */
interface SentMark {
  atMs: number;
  writesSent: number;
  inFlightBeside: number;
}

interface Stop {
  reason: string;
  exitCode: ExitCode;
  advice?: string;
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
  const run = new JobRun(jobOptions(input, context), context, false);
  return run.run();
}

/** Parses the options of a job. @throws {JobError} naming each bad field. */
function jobOptions(input: JobOptionsInput, context: RunContext): JobOptions {
  try {
    return parseJobOptions(input, context.jobFile ?? 'options');
  } catch (err) {
    throw new JobError((err as Error).message);
  }
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
  return new JobRun(options, context, true).run();
}

class JobRun {
  readonly #o: JobOptions;
  readonly #ctx: RunContext;
  readonly #env: NodeJS.ProcessEnv;
  readonly #stderr: Writable & { isTTY?: boolean };
  readonly #log: Logger;
  readonly #started = Date.now();
  readonly #counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  /** A plan: read and compare, never write. */
  readonly #plan: boolean;
  readonly #byErrorCode: Record<string, number> = {};
  #gate = new PauseGate();
  readonly #strategies: ReturnType<typeof defaultRetryStrategies>;
  #queue!: WorkQueue<Work>;
  #results: ResultsFile | undefined;
  #sender: GraphSender | undefined;
  #tokens: TokenManager | undefined;
  #budget: PacingBudget | undefined;
  #shared: BudgetChoice['shared'];
  #shard: ShardFilter | undefined;
  #reader: DeviceReader | undefined;
  #readBudget: WriteBudget | undefined;
  #rollback: RollbackFile | undefined;
  /** Whether the token is app-only (true), delegated (false) or unknown. */
  #appOnly: boolean | undefined;
  #notFound = 0;
  #pumpKicked = false;
  #info: ManifestInfo | undefined;
  #inflight = 0;
  #readerDone = false;
  #readerBlocked = false;
  #stop: Stop | undefined;
  #firstSuccess = false;
  #authFailuresAtStart = 0;
  #otherFailureSeen = false;
  #attemptedFinal = 0;
  #writesSent = 0;
  /** Writes whose request has been answered (or failed on the network). */
  #writesAnswered = 0;
  #pacing: PacingState = initialPacingState();
  /** Smoothed request latency, ms (undefined until the first answer). */
  #latencyMs: number | undefined;
  #throttled = 0;
  #retries = 0;
  #spaceWaiters: Array<() => void> = [];
  #doneResolve!: () => void;
  readonly #done = new Promise<void>((r) => (this.#doneResolve = r));
  #highWater = 0;
  /** Bearer tokens Graph has accepted at least once (a later 401 for one of them is an expiry). */
  readonly #tokensThatWorked = new Set<string>();
  /** The results file being resumed from (`resume` option). */
  #previous: PreviousResults | undefined;
  #carriedOver = 0;
  /** Aborted `drainTimeoutMs` after a stop: requests still in flight are abandoned. */
  readonly #abandon = new AbortController();
  #drainTimer: NodeJS.Timeout | undefined;

  constructor(options: JobOptions, context: RunContext, plan: boolean) {
    this.#o = options;
    this.#plan = plan;
    this.#ctx = context;
    this.#env = context.env ?? process.env;
    this.#stderr = context.stderr ?? process.stderr;
    this.#log = createLogger(options.logFormat, this.#stderr);
    this.#strategies = defaultRetryStrategies(undefined, { baseDelayMs: options.retryBaseDelayMs });
    setMaxListeners(0, this.#abandon.signal); // one listener per request in flight
  }

  #path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.#ctx.baseDir ?? process.cwd(), p);
  }

  async run(): Promise<JobSummary> {
    const o = this.#o;
    const manifestPath = this.#path(o.manifest);
    try {
      this.#shard = o.shard ? new ShardFilter(parseShard(o.shard, this.#env), { deviceAffinity: o.allowDuplicates }) : undefined;
    } catch (err) {
      throw new JobError((err as Error).message);
    }
    try {
      this.#info = await inspectManifest(manifestPath, {
        format: o.format,
        delimiter: o.delimiter,
        encoding: o.encoding,
        allowMdmProperties: o.allowMdmProperties,
        clearToken: o.clearToken,
      });
    } catch (err) {
      if (err instanceof ManifestError) throw new JobError(err.message);
      throw new JobError(`cannot read manifest ${manifestPath}: ${(err as Error).message}`);
    }
    const info = this.#info;
    if (o.resume) this.#previous = this.#loadPrevious(info);

    let stopEmulator: (() => Promise<void>) | undefined;
    try {
      if (!o.dryRun) stopEmulator = await this.#connect();
      else if (!o.emulator) this.#checkGraphUrl(o.graphUrl); // a dry run refuses a job file's unknown host too
      this.#results = this.#openResults(info);
      if (this.#reader && o.readFirst && !this.#plan) {
        try {
          this.#rollback = RollbackFile.create(
            rollbackPathFor(this.#results.path),
            rollbackColumns(info.columns),
            o.clearToken,
            o.allowDuplicates,
          );
        } catch (err) {
          this.#results.close();
          throw new JobError((err as Error).message);
        }
      }
      this.#log.info(this.#plan ? 'plan started' : `job started`, {
        manifest: manifestPath,
        rows: info.rowCount,
        mode: o.dryRun ? 'dry-run' : this.#plan ? 'plan' : o.mode,
        results: this.#results.path,
        ...(o.dryRun ? {} : { readFirst: o.readFirst, ...(o.sendAll ? { sendAll: true } : {}), ...(o.verify ? { verify: true } : {}) }),
        ...(this.#tokens ? { auth: this.#tokens.description } : {}),
        ...(this.#shard ? { shard: this.#shard.toString(), shardRows: this.#shard.expectedRows(info.rowCount) } : {}),
      });
      if (!o.dryRun && !o.readFirst)
        this.#log.warn('readFirst is off: rows are sent as given, unchanged ones too, and no rollback manifest is saved');
      const total = this.#shard ? this.#shard.expectedRows(info.rowCount) : info.rowCount;
      const progress = o.progress
        ? new Progress(() => ({ done: this.#doneRows, total, throttled429: this.#throttled }), this.#stderr, o.logFormat)
        : undefined;
      progress?.start();
      const onAbort = () =>
        this.#halt({ reason: 'interrupted', exitCode: ExitCode.Interrupted, advice: `run again with --resume ${this.#results?.path}` });
      this.#ctx.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#ctx.signal?.aborted) onAbort();
      try {
        await Promise.all([this.#readAll(info), this.#done]);
      } finally {
        this.#ctx.signal?.removeEventListener('abort', onAbort);
        clearTimeout(this.#drainTimer);
        progress?.stop();
        await this.#budget?.stop();
        await this.#readBudget?.stop();
        this.#results.close();
        this.#rollback?.close();
      }
    } finally {
      await stopEmulator?.();
    }
    const summary = this.#summary();
    if (this.#rollback && this.#rollback.repeatedDevices > 0) {
      this.#log.warn(
        `the rollback manifest has several lines for ${this.#rollback.repeatedDevices} device(s), each line with other properties: run it with --allow-duplicates`,
      );
    }
    if (this.#rollback && this.#rollback.unrestorable > 0) {
      this.#log.warn(
        `${this.#rollback.unrestorable} previous values were empty on properties Graph cannot empty (displayName, accountEnabled, …): the rollback manifest cannot put those back`,
      );
    }
    this.#stderr.write(
      this.#o.logFormat === 'json'
        ? JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'summary', ...summary }) + '\n'
        : formatSummary(summary),
    );
    return summary;
  }

  get #doneRows(): number {
    return OUTCOMES.reduce((sum, o) => sum + this.#counts[o], 0);
  }

  /**
   * The Graph root for `graphUrl` (see `resolveGraphRoot`: a known cloud's root or loopback unless allowUnknownHost).
   * @throws {JobError} (exit 3) otherwise.
   */
  #checkGraphUrl(graphUrl: string | undefined): string {
    try {
      return resolveGraphRoot({ graphUrl, cloud: this.#o.cloud, allowHost: this.#o.allowUnknownHost });
    } catch (err) {
      throw new JobError((err as Error).message);
    }
  }

  /** Sets up Graph root, tokens, sender and budget; takes one token so sign-in problems stop here. */
  async #connect(): Promise<(() => Promise<void>) | undefined> {
    const o = this.#o;
    let graphUrl = o.graphUrl;
    let tokenSource = this.#ctx.tokenSource;
    let stopEmulator: (() => Promise<void>) | undefined;
    if (o.emulator) {
      const { startEmulator } = await import('../emulator/index.js');
      const emu = await startEmulator({
        devices: o.emulator.devices ? this.#path(o.emulator.devices) : undefined,
        writeBudget: o.emulator.writeBudget,
        readBudget: o.emulator.readBudget,
        latencyMs: o.emulator.latencyMs,
        seed: o.emulator.seed,
        appOnly: o.emulator.appOnly,
      });
      graphUrl = emu.url;
      tokenSource ??= staticTokenSource(emu.token, 'built-in emulator token');
      stopEmulator = () => emu.stop();
      this.#log.info(`running against the built-in Graph emulator at ${emu.url}`);
    }
    let graphRoot: string;
    try {
      graphRoot = this.#checkGraphUrl(graphUrl);
    } catch (err) {
      await stopEmulator?.();
      throw err;
    }
    if (!tokenSource) {
      const envToken = this.#env.GRAPH_ACCESS_TOKEN;
      if (envToken) tokenSource = staticTokenSource(envToken.trim());
      else {
        try {
          // Loaded only when needed: @azure/identity takes a good part of a second to load.
          const { signInTokenSource } = await import('../auth/credentials.js');
          tokenSource = signInTokenSource({
            auth: o.auth,
            tenantId: o.tenantId,
            clientId: o.clientId,
            authorityHost: o.authorityHost,
            defaultAuthorityHost: CLOUDS[o.cloud].authorityHost,
            allowUnknownHost: o.allowUnknownHost,
            env: this.#env,
            scope: tokenScope(graphRoot),
          });
        } catch (err) {
          await stopEmulator?.();
          throw err instanceof JobError ? err : new JobError(`sign-in setup failed: ${redactSecrets((err as Error).message)}`);
        }
      }
    }
    this.#tokens = new TokenManager(tokenSource);
    let token: string;
    try {
      token = await this.#tokens.current();
    } catch (err) {
      await stopEmulator?.();
      throw new JobError(`sign-in failed (${tokenSource.description}): ${redactSecrets((err as Error).message)}`);
    }
    try {
      this.#preflight(token);
    } catch (err) {
      await stopEmulator?.();
      throw err;
    }
    this.#sender = new GraphSender({
      graphRoot,
      apiVersion: o.apiVersion,
      tokens: this.#tokens,
      timeoutMs: o.timeoutMs,
      throttlePriority: o.throttlePriority,
      signal: this.#abandon.signal,
    });
    try {
      const choice = await chooseBudget({
        writeBudget: o.writeBudget,
        redisUrl: o.redis ?? (this.#env.REDIS_URL?.trim() || undefined),
        graphRoot,
        token,
        tenantId: o.tenantId ?? this.#env.AZURE_TENANT_ID,
        clientId: o.clientId ?? this.#env.AZURE_CLIENT_ID,
        knownPeers: this.#shard?.shard.count,
        log: this.#log,
      });
      this.#budget = choice.budget;
      this.#shared = choice.shared;
      if (choice.gate) this.#gate = choice.gate;
    } catch (err) {
      await stopEmulator?.();
      throw new JobError(redactSecrets((err as Error).message));
    }
    if (o.readFirst || o.verify || this.#plan) {
      // Reads have a budget of their own (resource units), apart from the write budget (docs/graph-behaviour.md §3).
      if (o.readBudget) this.#readBudget = new WriteBudget(o.readBudget);
      this.#reader = new DeviceReader({
        sender: this.#sender,
        tokens: this.#tokens,
        tokensThatWorked: this.#tokensThatWorked,
        budget: this.#readBudget,
        concurrency: concurrencyCap(o.concurrency, this.#readBudget !== undefined),
        maxRetries: o.maxRetries,
        strategies: this.#strategies,
        // a batch larger than the budget's burst could never be paid for at once
        batchSize: Math.min(20, this.#readBudget?.burst ?? 20),
      });
    }
    return stopEmulator;
  }

  /**
   * Before any request: what the token can do (its claims, not its signature). App-only or delegated
   * is reported; a token without a permission that allows device writes stops the run (exit 3) with
   * what to grant — for a plan, which writes nothing, it is a warning. An opaque token is a warning.
   * @throws {JobError} (exit 3) for a missing permission.
   */
  #preflight(token: string): void {
    const permissions = tokenPermissions(decodeTokenClaims(token));
    this.#appOnly = permissions.kind === 'unknown' ? undefined : permissions.kind === 'app-only';
    if (permissions.kind === 'unknown') {
      this.#log.warn(
        'the token is not a readable JWT: its permissions cannot be checked before sending, and Graph alone will refuse changes it does not allow (app-only callers: only extension attributes on devices that are not Windows)',
      );
      return;
    }
    this.#log.info(`signed in: ${describePermissions(permissions)}`);
    const missing = missingPermission(permissions);
    if (!missing) return;
    if (this.#plan) this.#log.warn(`a run with this token would stop before writing: ${missing}`);
    else throw new JobError(`permission missing, nothing sent: ${missing}`);
  }

  #openResults(info: ManifestInfo): ResultsFile {
    const o = this.#o;
    const name = o.name ?? basename(this.#ctx.jobFile ?? info.path, extname(this.#ctx.jobFile ?? info.path));
    const stamp = (this.#ctx.now?.() ?? new Date())
      .toISOString()
      .replace(/[:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const shardPart = this.#shard ? `-shard${this.#shard.shard.index}of${this.#shard.shard.count}` : '';
    const fileName = `${name}${shardPart}-${stamp}${this.#plan ? '.plan' : ''}.csv`;
    // A results path that is a folder (ends with a slash, or exists as one) gets a time-stamped file
    // inside it, so a nightly cron job never collides with last night's file.
    let path = o.results ? this.#path(o.results) : this.#path(`results/${fileName}`);
    if (o.results && (/[\\/]$/.test(o.results) || isDirectory(path))) path = join(path, fileName);
    if (this.#previous && path === this.#previous.path) {
      throw new JobError(`the results file must be a new file: ${path} is the one --resume reads (the old file is kept as it is)`);
    }
    try {
      return ResultsFile.create(path, {
        manifestColumns: info.columns,
        meta: { manifest: { path: resolve(info.path), sha256: info.sha256, rows: info.rowCount }, resumedFrom: this.#previous?.path },
      });
    } catch (err) {
      throw new JobError((err as Error).message);
    }
  }

  /** Reads the results file named by `resume` and checks that it belongs to this manifest. */
  #loadPrevious(info: ManifestInfo): PreviousResults {
    const path = this.#path(this.#o.resume!);
    try {
      const previous = loadPreviousResults(path, { path: resolve(info.path), sha256: info.sha256, rowCount: info.rowCount });
      this.#log.info(`resuming from ${path}: ${previous.updated.size} rows updated there are not sent again`, {
        lines: previous.lines,
        ...(previous.droppedChars ? { droppedPartialLine: `${previous.droppedChars} characters` } : {}),
        ...(previous.earlier.length ? { alsoRead: previous.earlier } : {}),
      });
      if (previous.skippedEarlier.length)
        this.#log.warn(`cannot read ${previous.skippedEarlier[0]}, which ${path} resumed from: rows updated only there run again`);
      return previous;
    } catch (err) {
      if (err instanceof ResumeError) throw new JobError(err.message);
      throw err;
    }
  }

  /** Reads and validates every row; invalid rows are recorded at once, valid ones queued. */
  async #readAll(info: ManifestInfo): Promise<void> {
    const o = this.#o;
    this.#highWater = Math.max(256, concurrencyCap(o.concurrency, this.#budget !== undefined) * this.#unitSize * 4);
    this.#queue = new WorkQueue<Work>(() => this.#kickPump());
    const validate = createValidator({
      // CSV: the header's key column holds for every row; JSON / JSON Lines: each row names its own key.
      keyType: info.format === 'csv' ? info.keyType : undefined,
      allowDuplicates: o.allowDuplicates,
      allowMdmProperties: o.allowMdmProperties,
      clearToken: o.clearToken,
      expectedRows: info.rowCount,
    });
    try {
      for await (const row of readManifest(info, { allowMdmProperties: o.allowMdmProperties, clearToken: o.clearToken })) {
        // Every shard validates every row (duplicates are judged over the whole manifest) and keeps its own.
        const carried = this.#previous?.updated.get(row.row);
        const checked = this.#shard || carried || !this.#stop ? validate(row) : undefined;
        if (this.#shard && !this.#shard.owns(row.row, checked && !isInvalid(checked) ? checked.key : undefined)) continue;
        if (carried) {
          // Updated in the run resumed from: its line carries over, even when this run is stopping.
          this.#carriedOver++;
          this.#record({ ...carried, columns: row.columns }, carried.finishedAt);
          continue;
        }
        if (this.#stop || !checked) {
          this.#record(this.#skippedFor(row));
          continue;
        }
        if (isInvalid(checked)) {
          this.#record({
            ...base(checked.row, checked.key, checked.keyType, checked.columns),
            outcome: 'invalid',
            errorMessage: checked.message,
            attempts: 0,
          });
          continue;
        }
        if (o.dryRun) {
          const plan = `PATCH ${devicePath(checked.key, checked.keyType)} ${JSON.stringify(checked.body)}`;
          this.#record({
            row: checked.row,
            key: checked.key,
            keyType: checked.keyType,
            columns: checked.columns,
            outcome: 'planned',
            errorMessage: checked.notes.length ? [plan, ...checked.notes].join('; ') : plan,
            attempts: 0,
          });
          continue;
        }
        this.#queue.push({
          key: checked.key,
          update: checked,
          item: { id: String(checked.row), path: devicePath(checked.key, checked.keyType), body: checked.body },
          phase: this.#reader && (o.readFirst || this.#plan) ? 'read' : 'write',
          attempts: 0,
          authReplays: 0,
        });
        while (this.#queue.outstanding >= this.#highWater && !this.#stop) {
          this.#readerBlocked = true;
          this.#pump();
          await new Promise<void>((r) => this.#spaceWaiters.push(r));
        }
        this.#readerBlocked = false;
      }
    } catch (err) {
      if (err instanceof ResultsWriteError) this.#halt({ reason: err.message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
      else if (err instanceof ManifestError)
        this.#halt({ reason: err.message, exitCode: ExitCode.Aborted, advice: 'fix the manifest and resume' });
      else throw err;
    } finally {
      this.#readerDone = true;
      this.#pump();
      this.#checkDone();
    }
  }

  #skippedFor(row: ManifestRow): Omit<RowResult, 'finishedAt'> {
    const keyField = row.fields.id !== undefined ? 'id' : row.fields.deviceId !== undefined ? 'deviceId' : '';
    const key = keyField ? String(row.fields[keyField] ?? '').trim() : '';
    return {
      ...base(row.row, key, keyField, row.columns),
      outcome: 'skipped',
      errorMessage: `not attempted: ${this.#stop!.reason}`,
      attempts: 0,
    };
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
    return this.#o.mode === 'batch' ? Math.min(this.#o.batchSize, this.#budget?.burst ?? 20) : 1;
  }

  /** Requests to keep in flight: from the budget and the latency measured (`concurrency: auto`), capped. */
  #inFlightLimit(writesPerRequest: number): number {
    const b = this.#budget;
    return inFlightTarget({
      refillPerSecond: b?.refillPerSecond,
      rateFactor: b?.rateFactor ?? 1,
      level: b?.level ?? 0,
      latencyMs: this.#latencyMs,
      writesPerRequest,
      cap: concurrencyCap(this.#o.concurrency, b !== undefined),
    });
  }

  /**
   * Sends ready rows while there is room in flight (one PATCH or one `$batch` per unit); how much
   * room is {@link #inFlightLimit}'s.
   */
  #pump(): void {
    if (this.#stop || !this.#sender) return;
    const batch = this.#o.mode === 'batch';
    const size = this.#unitSize;
    // Until one row has succeeded, one request at a time: a broken sign-in or permission costs one request, not a flood.
    const limit = this.#firstSuccess ? this.#inFlightLimit(size) : 1;
    while (this.#inflight < limit && this.#queue.readyCount > 0) {
      if (this.#queue.readyCount < size && !this.#readerDone && !this.#readerBlocked) break;
      let works = this.#queue.take(size);
      if (this.#reader) {
        // Rows still to be read go to the reader (batched and paced on its own); the others are written.
        for (const w of works) if (w.phase === 'read') void this.#prepare(w);
        works = works.filter((w) => w.phase === 'write');
        if (works.length === 0) continue;
      }
      this.#inflight++;
      void this.#dispatch(works, batch).finally(() => {
        this.#inflight--;
        this.#pump();
        this.#checkDone();
      });
    }
  }

  /** Reads a row's device, then decides: unchanged, not found, invalid, planned, or to be written. */
  async #prepare(w: Work): Promise<void> {
    const read = await this.#reader!.read({ key: w.key, keyType: w.update.keyType, select: selectFor(w.update.body) });
    if (read.kind === 'stopped') {
      this.#finishSkipped(w, read.last);
      return;
    }
    if (read.kind === 'failed') {
      w.attempts = read.attempts;
      this.#finishFailed(w, read.outcome, read.reason, read.outcome.status === 404 ? undefined : 'reading the device before writing');
      return;
    }
    const notes = w.update.notes;
    const decision = decideRow(w.update, read.state, { sendAll: this.#o.sendAll, appOnly: this.#appOnly });
    const fromRead = { attempts: read.attempts, httpStatus: read.httpStatus, requestId: read.requestId };
    if (decision.kind === 'unchanged') {
      this.#finish(w, { outcome: 'unchanged', ...fromRead, errorMessage: [...notes, 'already at target: nothing to write'].join('; ') });
      return;
    }
    if (decision.kind === 'invalid') {
      this.#finish(w, { outcome: 'invalid', attempts: 0, errorMessage: decision.message });
      return;
    }
    if (this.#plan) {
      const what = decision.changes.length ? `would change ${describeChanges(decision.changes)}` : 'already at target';
      this.#finish(w, { outcome: 'planned', ...fromRead, errorMessage: [what, ...notes].join('; ') });
      return;
    }
    if (this.#stop) {
      this.#finishSkipped(w); // the run stopped while this row was being read: nothing was written
      return;
    }
    w.before = read.state;
    w.changes = decision.changes;
    w.item = { ...w.item, body: decision.body };
    w.phase = 'write';
    this.#queue.retryLater(w, 0);
  }

  /** A write Graph confirmed: `updated`, or with `verify` read back first. */
  #succeeded(w: Work, outcome: ItemOutcome): void {
    this.#firstSuccess = true;
    const done = { httpStatus: outcome.status, requestId: outcome.requestId };
    if (!this.#o.verify) {
      this.#finish(w, { outcome: 'updated', ...done, errorMessage: w.update.notes.join('; ') || undefined });
      return;
    }
    void this.#reader!.read({ key: w.key, keyType: w.update.keyType, select: selectFor(w.item.body) }).then((read) => {
      this.#finish(w, { ...done, ...verdictAfterWrite(w.item.body, outcome.status, read, w.update.notes) });
    });
  }

  async #dispatch(works: Work[], batch: boolean): Promise<void> {
    const send = async () => {
      await this.#gate.wait();
      if (this.#stop) return undefined;
      // Every result known so far reaches the file before another request goes out: a file that
      // cannot be written stops the run before a request whose result could not be recorded.
      this.#results?.flush();
      if (this.#results?.error) {
        this.#halt({ reason: this.#results.error.message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
        return undefined;
      }
      for (const w of works) w.attempts++;
      this.#writesSent += works.length;
      const mark: SentMark = {
        atMs: Date.now(),
        writesSent: this.#writesSent,
        inFlightBeside: this.#writesSent - works.length - this.#writesAnswered,
      };
      if (batch) return { ...(await this.#sender!.batch(works.map((w) => w.item))), mark };
      const { outcome, info } = await this.#sender!.single(works[0]!.item);
      return { outcomes: new Map([[works[0]!.item.id, outcome]]), info, mark };
    };
    let sent: Awaited<ReturnType<typeof send>>;
    try {
      sent = this.#budget ? await this.#budget.schedule(works.length, send) : await send();
    } catch {
      sent = undefined; // the budget was stopped with this unit still waiting
    }
    if (!sent) {
      for (const w of works) this.#finishSkipped(w);
      return;
    }
    this.#handle(works, sent.outcomes, sent.info, sent.mark);
  }

  /**
   * Decides each row's fate from its outcome (final result, token renewal, or a retry after a delay),
   * then lets the pacer adjust to what the answer said (pause, budget level, refill, latency).
   */
  #handle(works: Work[], outcomes: Map<string, ItemOutcome>, info: ExchangeInfo, sent: SentMark): void {
    this.#writesAnswered += works.length;
    // After a 429 in a batch, the throttled rows all wait for the longest inner Retry-After.
    let longest = 0;
    for (const o of outcomes.values()) if (o.status === 429 && o.retryAfterMs !== undefined) longest = Math.max(longest, o.retryAfterMs);
    const now = Date.now();
    let throttledRows = 0;
    for (const w of works) {
      const outcome = outcomes.get(w.item.id) ?? { status: 502, errorCode: 'MissingBatchResponse' };
      if (outcome.status === 429 || outcome.status === 424) throttledRows++;
      if (outcome.status === 429) {
        this.#throttled++;
        if (longest > 0) outcome.retryAfterMs = longest;
      }
      if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) {
        this.#tokensThatWorked.add(info.token);
        this.#succeeded(w, outcome);
        continue;
      }
      if (outcome.status === undefined && this.#abandon.signal.aborted) {
        this.#finishSkipped(w, outcome); // abandoned after drainTimeoutMs: not confirmed, runs again on resume
        continue;
      }
      // 401: a token that worked before and is now refused has expired (or was revoked): renew and
      // replay, free, however often tokens expire during the row's life. A token that never worked
      // gets one free replay with a fresh one; refused again, the row fails (docs/graph-behaviour.md §4).
      if (outcome.status === 401 && !this.#stop && (w.authReplays === 0 || this.#tokensThatWorked.has(info.token))) {
        w.authReplays++;
        void this.#tokens!.renew(info.token).catch(() => undefined);
        this.#queue.retryLater(w, 0);
        continue;
      }
      const attemptOutcome: AttemptOutcome = {
        status: outcome.status,
        errorCode: outcome.errorCode,
        networkError: outcome.networkError,
        retryAfterMs: outcome.retryAfterMs,
      };
      const counted = w.attempts - w.authReplays;
      const decision = decideRetry(attemptOutcome, counted, this.#o.maxRetries, this.#strategies);
      if ('final' in decision) {
        this.#finishFailed(w, outcome, decision.reason);
        continue;
      }
      if (this.#stop) {
        this.#finishSkipped(w, outcome);
        continue;
      }
      this.#retries++;
      this.#queue.retryLater(w, decision.retryAfterInMs);
    }
    this.#pace(sent, now, works.length, throttledRows, longest > 0 ? longest : undefined, info);
  }

  /**
   * Feeds one answer to the pacing strategies (src/schedule/pacing.ts) and applies their decision:
   * every worker pauses (the gate, and the budget's hold), the budget is lowered or emptied, the
   * refill rate changes.
   */
  #pace(sent: SentMark, atMs: number, writes: number, throttled: number, retryAfterMs: number | undefined, info: ExchangeInfo): void {
    const b = this.#budget;
    if (info.outerStatus !== undefined) this.#latencyMs = smoothLatencyMs(this.#latencyMs, atMs - sent.atMs);
    const level = b?.level;
    const { decision, state } = decidePacing({
      observation: {
        sentAtMs: sent.atMs,
        atMs,
        writes,
        writesSentSince: this.#writesSent - sent.writesSent,
        writesInFlightBeside: sent.inFlightBeside,
        throttled,
        retryAfterMs,
        throttleLimitPercentage: info.throttleLimitPercentage,
      },
      state: this.#pacing,
      // A budget that cannot tell its level without I/O (shared through Redis) is not compared with Graph's.
      budget: b && level !== undefined ? { burst: b.burst, refillPerSecond: b.refillPerSecond, level } : undefined,
      latencyMs: this.#latencyMs,
    });
    this.#pacing = state;
    if (!decision || this.#stop) return;
    if (decision.pauseUntilMs !== undefined) {
      // One ms past the retries' own delay, so the throttled rows are ready when the workers resume.
      const untilMs = decision.pauseUntilMs + 1;
      this.#gate.pauseUntil(untilMs);
      b?.holdFor?.(untilMs - atMs);
    }
    if (b && decision.capLevel !== undefined) {
      if (b.capAt) b.capAt(decision.capLevel);
      else if (decision.capLevel <= 0) void b.drain();
    }
    if (b && decision.rateFactor !== undefined) b.rateFactor = decision.rateFactor;
  }

  /** @param during what the row was doing, when not writing (e.g. reading the device), for the message. */
  #finishFailed(w: Work, outcome: ItemOutcome, reason: string, during?: string): void {
    const code = outcome.errorCode ?? (outcome.networkError ? `network:${outcome.networkError}` : undefined);
    let message = (outcome.errorMessage ?? reason) + (during ? ` (${during})` : '');
    if (outcome.status === 404 && outcome.errorCode === 'Request_ResourceNotFound') this.#notFound++;
    if (outcome.status === 404 && outcome.errorCode === 'Request_ResourceNotFound') {
      message +=
        w.update.keyType === 'deviceId'
          ? ' Hint: no device has this deviceId; if the value is the device\'s object id, put it in an "id" column instead.'
          : ' Hint: no device has this object id; if the value is the device\'s deviceId, put it in a "deviceId" column instead.';
    }
    if (!/retries exhausted/.test(message) && /retries exhausted/.test(reason)) message = `${message} (${reason})`;
    if (w.update.notes.length > 0) message = [message, ...w.update.notes].join('; '); // what was normalised, as for updated rows
    this.#finish(w, {
      outcome: 'failed',
      httpStatus: outcome.status,
      errorCode: code,
      errorMessage: message,
      requestId: outcome.requestId,
    });
    this.#byErrorCode[code ?? `HTTP${outcome.status}`] = (this.#byErrorCode[code ?? `HTTP${outcome.status}`] ?? 0) + 1;

    const authFailure = outcome.status === 401 || (outcome.status === 403 && outcome.errorCode === 'Authorization_RequestDenied');
    if (!authFailure) this.#otherFailureSeen = true;
    if (authFailure && !this.#firstSuccess && !this.#otherFailureSeen && ++this.#authFailuresAtStart >= AUTH_FAILURE_STOP) {
      this.#halt({
        reason: `the first ${AUTH_FAILURE_STOP} rows attempted all failed with ${outcome.status} ${outcome.errorCode ?? ''}`.trim(),
        exitCode: ExitCode.Aborted,
        advice:
          outcome.status === 401
            ? 'Graph rejects the token even after renewal: check the tenant, the app registration and that the token is for Microsoft Graph ({graph-root}/.default).'
            : 'the app lacks permission: grant the application permission Device.ReadWrite.All (or Directory.ReadWrite.All) with admin consent; accountEnabled also needs Cloud Device Administrator or higher; isCompliant/isManaged only Intune or an approved MDM app.',
      });
      return;
    }
    if (maxErrorsExceeded(this.#o.maxErrors, this.#counts.failed, this.#attemptedFinal)) {
      this.#halt({
        reason: `failed rows passed --max-errors ${this.#o.maxErrors} (${this.#counts.failed} failed)`,
        exitCode: ExitCode.Aborted,
        advice: `see the failed rows' errorCode in the results file; once fixed, run again with --resume ${this.#results?.path}`,
      });
    }
  }

  #finishSkipped(w: Work, last?: ItemOutcome): void {
    const reason = this.#stop?.reason ?? 'stopped';
    const lastText = last
      ? `; last attempt: ${last.status ?? last.errorMessage ?? last.networkError} ${last.errorCode ?? ''}`.trimEnd()
      : '';
    this.#finish(w, { outcome: 'skipped', errorMessage: `not completed: ${reason}${lastText}` });
  }

  #finish(w: Work, r: Pick<RowResult, 'outcome'> & Partial<RowResult>): void {
    if (r.outcome === 'updated' || r.outcome === 'failed' || r.outcome === 'not-applied') this.#attemptedFinal++;
    this.#addRollback(w);
    this.#record({ ...base(w.update.row, w.update.key, w.update.keyType, w.update.columns), attempts: w.attempts, ...r });
    this.#queue.complete(w);
    const waiters = this.#spaceWaiters;
    if (waiters.length && this.#queue.outstanding < this.#highWater) {
      this.#spaceWaiters = [];
      for (const wake of waiters) wake();
    } // Rows decided by a read (or a read-back) finish outside any dispatch: the run may be done now.
    this.#checkDone();
  }

  /** A row a PATCH was sent for (whatever came of it) gets its line in the rollback manifest. */
  #addRollback(w: Work): void {
    if (!this.#rollback || w.phase !== 'write' || w.attempts === 0 || !w.before || !w.changes) return;
    try {
      this.#rollback.add(w.update.row, w.before.id, w.changes);
    } catch (err) {
      if (!(err instanceof RollbackWriteError)) throw err;
      this.#halt({
        reason: err.message,
        exitCode: ExitCode.Aborted,
        advice: 'free disk space or fix permissions; rows written so far are in the results file',
      });
    }
  }

  /**
   * Writes a row's result line. `r` must be a fresh object: it gets its `finishedAt` in place (no
   * copy per row); the time is formatted once per millisecond.
   */
  #record(r: Omit<RowResult, 'finishedAt'>, finishedAt = this.#isoNow()): void {
    this.#counts[r.outcome]++;
    const line = r as RowResult;
    line.finishedAt = finishedAt;
    try {
      this.#results!.write(line);
    } catch (err) {
      this.#halt({ reason: (err as Error).message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
    }
  }

  /** Stops the run: no new sends; queued rows become `skipped`; in-flight requests finish. */
  #halt(stop: Stop): void {
    if (this.#stop) return;
    this.#stop = stop;
    this.#log.warn(`stopping: ${stop.reason}`);
    this.#reader?.stop();
    void this.#readBudget?.stop();
    for (const w of this.#queue?.drain() ?? []) {
      this.#addRollback(w);
      this.#record({
        ...base(w.update.row, w.update.key, w.update.keyType, w.update.columns),
        outcome: 'skipped',
        errorMessage: `not completed: ${stop.reason}`,
        attempts: w.attempts,
      });
    }
    for (const wake of this.#spaceWaiters.splice(0)) wake();
    this.#gate.release();
    void this.#budget?.stop();
    this.#drainTimer = setTimeout(() => this.#abandon.abort(), this.#o.drainTimeoutMs);
    this.#drainTimer.unref();
    this.#checkDone();
  }

  #isoMs = 0;
  #iso = '';

  /** Now as an ISO 8601 UTC string, made once per millisecond (rows finish thousands a second). */
  #isoNow(): string {
    const ms = Date.now();
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#iso = new Date(ms).toISOString();
    }
    return this.#iso;
  }

  #checkDone(): void {
    if (this.#readerDone && this.#inflight === 0 && (this.#queue?.outstanding ?? 0) === 0) this.#doneResolve();
  }

  #summary(): JobSummary {
    const wallMs = Date.now() - this.#started;
    const c = this.#counts;
    let exitCode: number = ExitCode.Ok;
    if (c.failed > 0 || c.invalid > 0 || c['not-applied'] > 0) exitCode = ExitCode.RowErrors;
    if (this.#stop) exitCode = this.#stop.exitCode;
    return {
      exitCode,
      resultsPath: this.#results?.path,
      rows: this.#doneRows,
      byOutcome: { ...c },
      byErrorCode: { ...this.#byErrorCode },
      wallMs,
      writesSent: this.#writesSent,
      readsSent: this.#reader?.stats.reads ?? 0,
      writesPerSecond: wallMs > 0 ? (this.#writesSent * 1000) / wallMs : 0,
      throttled429: this.#throttled + (this.#reader?.stats.throttled429 ?? 0),
      retries: this.#retries + (this.#reader?.stats.retries ?? 0),
      ...(this.#rollback && this.#rollback.count > 0 ? { rollbackPath: this.#rollback.path } : {}),
      ...(this.#plan ? { plan: { toChange: this.#counts.planned, unchanged: this.#counts.unchanged, notFound: this.#notFound } } : {}),
      ...(this.#previous ? { carriedOver: this.#carriedOver, resumedFrom: this.#previous.path } : {}),
      stoppedReason: this.#stop?.reason,
      advice: this.#stop?.advice,
      ...(this.#shard ? { shard: this.#shard.toString() } : {}),
      ...(this.#shared
        ? {
            sharedBudget: {
              id: this.#shared.scope.id,
              outages: this.#shared.budget.status.outages,
              degradedMs: this.#shared.budget.status.degradedMs,
            },
          }
        : {}),
    };
  }
}

function base(row: number, key: string, keyType: RowResult['keyType'], columns: Record<string, string>) {
  return { row, key, keyType, columns };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

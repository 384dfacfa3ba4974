/**
 * `graph-bulk stale`: Microsoft's stale-device lifecycle as a scheduled job (docs/graph-behaviour.md
 * §5; docs/queries-and-stale-devices.md).
 *
 * 1. Read: the devices signed in before the threshold, never signed in, or stamped by this job
 *    (`staleQueryFilter`), every page, every property.
 * 2. Decide each one (`decideStale`): disable, delete, or keep with a reason.
 * 3. Blast radius: more disables + deletes than `maxChanges` (default 1000) → stop before any write.
 * 4. Stage 1: the devices to disable become a manifest (`accountEnabled` false, the stamp in the chosen
 *    extension attribute) run as an ordinary job: read first, results, rollback manifest, `canary`.
 * 5. Stage 2 (only with `delete`): each device due is read again and decided again; still due, it is
 *    deleted (`DELETE /devices/{id}` in `$batch`, paced by the write budget, retried like writes).
 * 6. The lifecycle's results file: one line per device read — action, reason, outcome, and every
 *    property read before (for a deleted device, what there was).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { staticTokenSource, type TokenSource } from '../auth/token-source.js';
import { decideRetry, defaultRetryStrategies, isSuccess } from '../graph/retry.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { runJob } from '../job/run-job.js';
import { READ_ONLY_SUFFIX } from '../manifest/columns.js';
import { createLogger, type Logger } from '../report/log.js';
import { WriteBudget } from '../schedule/write-budget.js';
import type { ItemOutcome } from '../send/graph-sender.js';
import { connectQuery, type QueryConnection } from '../query/connect.js';
import { DeviceLister, QueryRequestError } from '../query/device-lister.js';
import { maxChangesLimit } from '../query/guards.js';
import { deviceListRequest, DEVICE_PROPERTIES } from '../query/list-request.js';
import {
  checkStaleSettings,
  decideStale,
  KEEP_REASONS,
  stampValue,
  staleQueryFilter,
  type StaleDecision,
  type StaleDevice,
  type StaleSettings,
} from './decide.js';
import { STALE_MAX_CHANGES, staleOptionsSchema, type StaleOptions, type StaleOptionsInput } from './options.js';

/** Where the lifecycle runs from. `now` is the job's clock (the stamp's date, the ages). */
export interface StaleContext {
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  tokenSource?: TokenSource;
  signal?: AbortSignal;
  stderr?: Writable & { isTTY?: boolean };
  now?: () => Date;
}

/** One device's line in the lifecycle's results file. */
export interface StaleLine {
  id: string;
  deviceId: string;
  displayName: string;
  action: 'disable' | 'delete' | 'keep';
  reason: string;
  /** `planned` (plan / dry run / stopped by maxChanges), `kept`, the disable job's outcome
   * (`updated`, `unchanged`, `failed`, `invalid`, `skipped`, …), or for a delete `deleted` / `failed` / `skipped`. */
  outcome: string;
  httpStatus: string;
  errorCode: string;
  message: string;
  /** Every property read before, as JSON. */
  device: string;
}

/** Columns of the lifecycle's results file, in order. */
export const STALE_COLUMNS: readonly (keyof StaleLine)[] = [
  'id',
  'deviceId',
  'displayName',
  'action',
  'reason',
  'outcome',
  'httpStatus',
  'errorCode',
  'message',
  'device',
];

/** How a lifecycle run ended. */
export interface StaleSummary {
  exitCode: ExitCode;
  resultsPath: string;
  /** Devices the query returned. */
  read: number;
  /** Devices decided for disabling / deleting (before any write), and kept, by reason. */
  toDisable: number;
  toDelete: number;
  kept: Record<string, number>;
  /** Outcomes of the lines, e.g. `{updated: 3, deleted: 2, kept: 9}`. */
  byOutcome: Record<string, number>;
  /** The disable stage's own results file (a job's), when it ran. */
  disableResultsPath?: string;
  stoppedReason?: string;
}

const RECHECK_SELECT = [
  'id',
  'deviceId',
  'displayName',
  'accountEnabled',
  'approximateLastSignInDateTime',
  'physicalIds',
  'onPremisesSyncEnabled',
  'isManaged',
  'extensionAttributes',
];

function parseOptions(input: unknown): StaleOptions {
  const parsed = staleOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new JobError(
      `invalid stale-lifecycle options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The exclusion file: one id, deviceId or display name per line; blank lines and `#` comments skipped. Lower-cased. */
export function readExclusions(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new JobError(`cannot read the exclusion list ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return new Set(
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*$/, '').trim().toLowerCase())
      .filter(Boolean),
  );
}

const stampOf = (d: Date): string =>
  d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/**
 * Runs (or, with `plan`, plans) the lifecycle.
 * @returns the summary (exit 0; 1 when rows failed; 2/4 when the disable job stopped).
 * @throws {JobError} exit 3 for bad options (a threshold under 21 days, no stamp attribute), a query
 *   Graph refuses, sign-in failure, or more changes than `maxChanges` (the results file is written first).
 */
export async function runStale(input: StaleOptionsInput, context: StaleContext = {}, plan = false): Promise<StaleSummary> {
  const o = parseOptions(input);
  const nowDate = context.now?.() ?? new Date();
  const nowMs = nowDate.getTime();
  const base = (p: string) => (isAbsolute(p) ? p : resolve(context.baseDir ?? process.cwd(), p));
  const stderr = context.stderr ?? process.stderr;
  const log = createLogger(o.logFormat, stderr);
  const settings: StaleSettings = {
    nowMs,
    staleDays: o.staleDays,
    stampAttribute: o.stampAttribute,
    jobName: o.name,
    ...(o.delete ? { deleteAfterDays: o.deleteAfterDays } : {}),
    includeManaged: o.includeManaged,
    ...(o.exclude ? { exclude: readExclusions(base(o.exclude)) } : {}),
  };
  try {
    checkStaleSettings(settings);
  } catch (err) {
    throw new JobError((err as Error).message);
  }
  const fileName = `${o.name}-${stampOf(nowDate)}${plan ? '.plan' : ''}.csv`;
  let resultsPath = o.results ? base(o.results) : base(`results/${fileName}`);
  if (o.results && (/[\\/]$/.test(o.results) || (existsSync(resultsPath) && statSync(resultsPath).isDirectory())))
    resultsPath = join(resultsPath, fileName);
  if (existsSync(resultsPath)) throw new JobError(`${resultsPath} exists: a results file is never overwritten`);
  mkdirSync(dirname(resultsPath), { recursive: true });
  const stem = resultsPath.replace(/\.csv$/i, '');

  // One Graph for every stage: with the built-in emulator, one emulator.
  let graphUrl = o.graphUrl;
  let tokenSource = context.tokenSource;
  let stopEmulator: (() => Promise<void>) | undefined;
  if (o.emulator) {
    const { startEmulator } = await import('../emulator/index.js');
    const emu = await startEmulator({
      devices: o.emulator.devices ? base(o.emulator.devices) : undefined,
      seed: o.emulator.seed,
      writeBudget: o.emulator.writeBudget,
      readBudget: o.emulator.readBudget,
    });
    graphUrl = emu.url;
    tokenSource ??= staticTokenSource(emu.token, 'built-in emulator token');
    stopEmulator = () => emu.stop();
    log.info(`running against the built-in Graph emulator at ${emu.url}`);
  }
  try {
    const connection = await connectQuery(
      { ...o, graphUrl, emulator: undefined },
      {
        env: context.env ?? process.env,
        ...(tokenSource ? { tokenSource } : {}),
        log,
        ...(context.signal ? { signal: context.signal } : {}),
      },
    );
    let devices: Array<Record<string, unknown>>;
    try {
      devices = await readCandidates(connection, o, settings, context.signal);
    } catch (err) {
      await connection.close();
      throw err;
    }
    const decided = devices.map((d) => ({ device: d, decision: decideStale(d as unknown as StaleDevice, settings) }));
    const recoveryKeys = new Map<string, number>();
    if (o.bitlockerCheck) {
      settings.keepWithBitLockerKeys = true;
      const due = decided.filter((x) => x.decision.action === 'delete');
      const counts = await countRecoveryKeys(
        connection,
        due.map((x) => x.device),
        o,
        context.signal,
      );
      for (const x of due) {
        const n = counts.get(String(x.device.id));
        if (typeof n === 'number') {
          recoveryKeys.set(String(x.device.id), n);
          x.decision = decideStale({ ...(x.device as unknown as StaleDevice), bitLockerKeys: n }, settings);
        } else {
          x.decision = {
            action: 'keep',
            reason: 'bitlocker-keys',
            note: `its BitLocker recovery keys could not be read (${n?.error}): kept; the check needs BitlockerKey.ReadBasic.All`,
          };
        }
      }
    }
    const lines = new Map<string, StaleLine>(decided.map(({ device, decision }) => [String(device.id), lineFor(device, decision)]));
    const toDisable = decided.filter((x) => x.decision.action === 'disable');
    const toDelete = decided.filter((x) => x.decision.action === 'delete');
    const kept: Record<string, number> = {};
    for (const reason of KEEP_REASONS) {
      const n = decided.filter((x) => x.decision.action === 'keep' && x.decision.reason === reason).length;
      if (n > 0) kept[reason] = n;
    }
    log.info(
      `stale lifecycle (${o.staleDays} days${o.delete ? `, delete ${o.deleteAfterDays} days after disabling` : ', no deletion'}): ${devices.length} candidate devices read; ${toDisable.length} to disable, ${toDelete.length} to delete, ${devices.length - toDisable.length - toDelete.length} kept`,
    );
    const finish = (exitCode: ExitCode, extra: Partial<StaleSummary> = {}): StaleSummary => {
      writeLines(resultsPath, [...lines.values()]);
      const summary = summarize(exitCode, resultsPath, devices.length, toDisable.length, toDelete.length, kept, lines, extra);
      stderr.write(summaryText(summary));
      return summary;
    };
    const changes = toDisable.length + toDelete.length;
    const limit = maxChangesLimit(o.maxChanges === undefined ? STALE_MAX_CHANGES : o.maxChanges, devices.length);
    if (plan || o.dryRun) {
      await connection.close();
      if (changes > limit) log.warn(`a run would stop before writing: ${changes} changes, more than --max-changes allows (${limit})`);
      return finish(ExitCode.Ok);
    }
    if (changes > limit) {
      await connection.close();
      const summary = finish(ExitCode.NothingSent, { stoppedReason: 'maxChanges' });
      throw new JobError(
        `${changes} devices would be disabled or deleted (${toDisable.length} + ${toDelete.length}), more than --max-changes allows (${limit}): stopped before any write; the lifecycle is in ${summary.resultsPath}`,
      );
    }

    // Stage 1: disable and stamp, as an ordinary job.
    let exitCode: ExitCode = ExitCode.Ok;
    let disableResultsPath: string | undefined;
    let stoppedReason: string | undefined;
    if (toDisable.length > 0) {
      const manifest = `${stem}.disable.manifest.csv`;
      const stamp = stampValue(o.name, nowMs);
      writeFileSync(
        manifest,
        stringify([
          ['id', `displayName${READ_ONLY_SUFFIX}`, 'accountEnabled', o.stampAttribute],
          ...toDisable.map(({ device }) => [String(device.id), String(device.displayName ?? ''), 'false', stamp]),
        ]),
      );
      disableResultsPath = `${stem}.disable.csv`;
      const job = await runJob(
        {
          manifest,
          results: disableResultsPath,
          graphUrl,
          cloud: o.cloud,
          apiVersion: o.apiVersion,
          allowUnknownHost: o.allowUnknownHost,
          auth: o.auth,
          ...(o.tenantId ? { tenantId: o.tenantId } : {}),
          ...(o.clientId ? { clientId: o.clientId } : {}),
          ...(o.authorityHost ? { authorityHost: o.authorityHost } : {}),
          timeoutMs: o.timeoutMs,
          maxRetries: o.maxRetries,
          retryBaseDelayMs: o.retryBaseDelayMs,
          writeBudget: o.writeBudget,
          readBudget: o.readBudget,
          throttlePriority: o.throttlePriority,
          logFormat: o.logFormat,
          progress: o.progress,
          ...(o.canary !== undefined ? { canary: o.canary } : {}),
          ...(o.proxy !== undefined ? { proxy: o.proxy } : {}),
          ...(o.caFile !== undefined ? { caFile: base(o.caFile) } : {}),
        },
        {
          ...(tokenSource ? { tokenSource } : {}),
          ...(context.env ? { env: context.env } : {}),
          ...(context.signal ? { signal: context.signal } : {}),
          stderr,
        },
      );
      exitCode = job.exitCode as ExitCode;
      stoppedReason = job.stoppedReason;
      const rows = parse(readFileSync(disableResultsPath, 'utf8'), { columns: true }) as Array<Record<string, string>>;
      for (const r of rows) {
        const line = lines.get(r.id ?? r.key ?? '');
        if (!line) continue;
        line.outcome = r.outcome ?? '';
        line.httpStatus = r.httpStatus ?? '';
        line.errorCode = r.errorCode ?? '';
        if (r.errorMessage) line.message = `${line.message}; ${r.errorMessage}`;
      }
    }

    // Stage 2: delete, only with the explicit flag, only what is still due.
    if (toDelete.length > 0 && exitCode !== ExitCode.Aborted && exitCode !== ExitCode.Interrupted && !context.signal?.aborted) {
      log.warn(`deleting ${toDelete.length} device(s): a deleted device cannot be recovered, and its BitLocker recovery keys go with it`);
      const deleted = await deleteDue(
        connection,
        toDelete.map((x) => String(x.device.id)),
        o,
        settings,
        log,
        context.signal,
        recoveryKeys,
      );
      for (const [id, r] of deleted) {
        const line = lines.get(id)!;
        line.outcome = r.outcome;
        line.httpStatus = r.httpStatus ?? '';
        line.errorCode = r.errorCode ?? '';
        if (r.message) line.message = `${line.message}; ${r.message}`;
        if (r.outcome === 'failed' && exitCode === ExitCode.Ok) exitCode = ExitCode.RowErrors;
      }
    } else {
      for (const { device } of toDelete) {
        const line = lines.get(String(device.id))!;
        line.outcome = 'skipped';
        line.message = `${line.message}; not deleted: the disable stage stopped`;
      }
    }
    await connection.close();
    return finish(exitCode, { ...(disableResultsPath ? { disableResultsPath } : {}), ...(stoppedReason ? { stoppedReason } : {}) });
  } finally {
    await stopEmulator?.();
  }
}

/** Reads every candidate device (all properties), page by page. */
async function readCandidates(
  connection: QueryConnection,
  o: StaleOptions,
  s: StaleSettings,
  signal: AbortSignal | undefined,
): Promise<Array<Record<string, unknown>>> {
  const request = deviceListRequest({ filter: staleQueryFilter(s), select: DEVICE_PROPERTIES });
  const lister = new DeviceLister({
    sender: connection.sender,
    tokens: connection.tokens,
    budget: connection.readBudget,
    maxRetries: o.maxRetries,
    strategies: defaultRetryStrategies(undefined, { baseDelayMs: o.retryBaseDelayMs }),
    ...(signal ? { signal } : {}),
  });
  const devices: Array<Record<string, unknown>> = [];
  let complete = false;
  try {
    for await (const page of lister.pages(`${connection.sender.versionRoot}${request.path}`, request.headers)) {
      devices.push(...page.devices);
      if (page.nextLink === undefined) complete = true;
    }
  } catch (err) {
    if (err instanceof QueryRequestError) throw new JobError(`reading the devices failed: ${err.message}`);
    throw err;
  }
  if (!complete)
    throw new JobError(`reading the devices was interrupted after ${devices.length}: nothing was written`, ExitCode.Interrupted);
  return devices;
}

/**
 * How many BitLocker recovery keys Entra holds for each device (`GET
 * /informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '…'` in `$batch`), by object id;
 * `{error}` when they could not be read (e.g. 403 without BitlockerKey.ReadBasic.All).
 */
async function countRecoveryKeys(
  connection: QueryConnection,
  devices: Array<Record<string, unknown>>,
  o: StaleOptions,
  signal: AbortSignal | undefined,
): Promise<Map<string, number | { error: string }>> {
  const out = new Map<string, number | { error: string }>();
  const strategies = defaultRetryStrategies(undefined, { baseDelayMs: o.retryBaseDelayMs });
  const byId = new Map(devices.map((d) => [String(d.id), String(d.deviceId ?? '')]));
  const ids = [...byId.keys()];
  for (let i = 0; i < ids.length; i += 20) {
    const chunk = ids.slice(i, i + 20);
    const answers = await withRetries(
      chunk,
      (items) =>
        connection.sender.batchGet(
          items.map((id) => ({
            id,
            path: `/informationProtection/bitlocker/recoveryKeys?$filter=${encodeURIComponent(`deviceId eq '${byId.get(id)}'`)}`,
          })),
        ),
      o,
      strategies,
      connection.readBudget,
      signal,
    );
    for (const id of chunk) {
      const a = answers.get(id)!;
      const value = (a.body as { value?: unknown } | undefined)?.value;
      if (a.status !== undefined && isSuccess(a.status) && Array.isArray(value)) out.set(id, value.length);
      else out.set(id, { error: `${a.status ?? a.networkError} ${a.errorCode ?? ''}`.trim() });
    }
  }
  return out;
}

function lineFor(device: Record<string, unknown>, d: StaleDecision): StaleLine {
  return {
    id: String(device.id ?? ''),
    deviceId: String(device.deviceId ?? ''),
    displayName: String(device.displayName ?? ''),
    action: d.action,
    reason: d.action === 'keep' ? d.reason : d.action === 'disable' ? 'stale' : 'disabled-by-this-job',
    outcome: d.action === 'keep' ? 'kept' : 'planned',
    httpStatus: '',
    errorCode: '',
    message: d.note,
    device: JSON.stringify(device),
  };
}

interface DeleteResult {
  outcome: 'deleted' | 'failed' | 'kept' | 'skipped';
  httpStatus?: string;
  errorCode?: string;
  message?: string;
}

/**
 * Stage 2: reads each device due again (a `$batch` of GETs), decides again, and deletes those still
 * due (`$batch` of DELETEs, 20 at most, paced by the write budget; 429/503/504/network retried after
 * Retry-After or backoff).
 */
async function deleteDue(
  connection: QueryConnection,
  ids: string[],
  o: StaleOptions,
  s: StaleSettings,
  log: Logger,
  signal: AbortSignal | undefined,
  recoveryKeys: Map<string, number>,
): Promise<Map<string, DeleteResult>> {
  const out = new Map<string, DeleteResult>();
  const strategies = defaultRetryStrategies(undefined, { baseDelayMs: o.retryBaseDelayMs });
  const budget = o.writeBudget ? new WriteBudget(o.writeBudget) : undefined;
  const select = RECHECK_SELECT.join(',');
  try {
    for (let i = 0; i < ids.length; i += 20) {
      const chunk = ids.slice(i, i + 20);
      if (signal?.aborted) {
        for (const id of chunk) out.set(id, { outcome: 'skipped', message: 'not deleted: interrupted' });
        continue;
      }
      // Read again right before deleting: a device re-enabled (or signed in) since is no longer due.
      const reads = await withRetries(
        chunk,
        (items) => connection.sender.batchGet(items.map((id) => ({ id, path: `/devices/${id}?$select=${select}` }))),
        o,
        strategies,
        connection.readBudget,
        signal,
      );
      const due: string[] = [];
      for (const id of chunk) {
        const r = reads.get(id)!;
        if (r.status === 404) {
          out.set(id, { outcome: 'kept', httpStatus: '404', message: 'already gone when read again' });
          continue;
        }
        if (r.status === undefined || !isSuccess(r.status)) {
          out.set(id, {
            outcome: 'failed',
            httpStatus: String(r.status ?? ''),
            errorCode: r.errorCode,
            message: `not deleted: reading it again failed (${r.errorMessage ?? r.networkError})`,
          });
          continue;
        }
        const again = decideStale(
          { ...(r.body as StaleDevice), ...(recoveryKeys.has(id) ? { bitLockerKeys: recoveryKeys.get(id) } : {}) },
          s,
        );
        if (again.action !== 'delete') {
          out.set(id, {
            outcome: 'kept',
            message: `not deleted: read again, it is ${again.action === 'keep' ? again.reason : again.action} (${again.note})`,
          });
          continue;
        }
        due.push(id);
      }
      if (due.length === 0) continue;
      const answers = await withRetries(
        due,
        (items) => connection.sender.batch(items.map((id) => ({ id, path: `/devices/${id}`, body: {}, method: 'DELETE' as const }))),
        o,
        strategies,
        budget,
        signal,
      );
      for (const id of due) {
        const a = answers.get(id)!;
        if (a.status !== undefined && isSuccess(a.status)) out.set(id, { outcome: 'deleted', httpStatus: String(a.status) });
        else
          out.set(id, {
            outcome: 'failed',
            httpStatus: String(a.status ?? ''),
            errorCode: a.errorCode ?? (a.networkError ? `network:${a.networkError}` : ''),
            message: a.errorMessage ?? '',
          });
      }
    }
  } finally {
    await budget?.stop();
  }
  const n = [...out.values()].filter((r) => r.outcome === 'deleted').length;
  log.info(`deleted ${n} device(s)`);
  return out;
}

/** Sends a `$batch` of `ids` until each has a final answer (retrying what Graph says to retry). */
async function withRetries(
  ids: string[],
  send: (ids: string[]) => Promise<{ outcomes: Map<string, ItemOutcome> }>,
  o: StaleOptions,
  strategies: ReturnType<typeof defaultRetryStrategies>,
  budget: Pick<WriteBudget, 'schedule'> | undefined,
  signal: AbortSignal | undefined,
): Promise<Map<string, ItemOutcome>> {
  const final = new Map<string, ItemOutcome>();
  let pending = ids;
  const attempts = new Map<string, number>();
  while (pending.length > 0) {
    const { outcomes } = budget ? await budget.schedule(pending.length, () => send(pending)) : await send(pending);
    const again: string[] = [];
    let waitMs = 0;
    for (const id of pending) {
      const outcome = outcomes.get(id) ?? { status: 502, errorCode: 'MissingBatchResponse' };
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      if (outcome.status !== undefined && isSuccess(outcome.status)) {
        final.set(id, outcome);
        continue;
      }
      const decision = decideRetry(outcome, attempt, o.maxRetries, strategies);
      if ('final' in decision || signal?.aborted) {
        final.set(id, outcome);
        continue;
      }
      waitMs = Math.max(waitMs, decision.retryAfterInMs);
      again.push(id);
    }
    pending = again;
    if (pending.length > 0) await new Promise((r) => setTimeout(r, waitMs));
  }
  return final;
}

function writeLines(path: string, lines: readonly StaleLine[]): void {
  writeFileSync(path, stringify([STALE_COLUMNS as string[], ...lines.map((l) => STALE_COLUMNS.map((c) => l[c]))]), { flag: 'wx' });
}

function summarize(
  exitCode: ExitCode,
  resultsPath: string,
  read: number,
  toDisable: number,
  toDelete: number,
  kept: Record<string, number>,
  lines: Map<string, StaleLine>,
  extra: Partial<StaleSummary>,
): StaleSummary {
  const byOutcome: Record<string, number> = {};
  for (const l of lines.values()) byOutcome[l.outcome] = (byOutcome[l.outcome] ?? 0) + 1;
  return { exitCode, resultsPath, read, toDisable, toDelete, kept, byOutcome, ...extra };
}

function summaryText(s: StaleSummary): string {
  const keptText = Object.entries(s.kept)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `graph-bulk stale: ${s.read} candidate devices: ${s.toDisable} to disable, ${s.toDelete} to delete, kept ${Object.values(s.kept).reduce((a, b) => a + b, 0)}${keptText ? ` (${keptText})` : ''}`,
    `  outcomes: ${
      Object.entries(s.byOutcome)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
    `  results file: ${s.resultsPath}${s.disableResultsPath ? ` (disable stage: ${s.disableResultsPath})` : ''}`,
    `  exit code ${s.exitCode}`,
    '',
  ].join('\n');
}

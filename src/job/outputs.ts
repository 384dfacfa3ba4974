/**
 * The files a job writes: the results file (named from the job, the shard and the time, or as the
 * `results` option says) and, when rows are read before writing, the rollback manifest beside it.
 */
import { statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { ManifestInfo } from '../manifest/index.js';
import type { Logger } from '../report/log.js';
import { ResultsFile, resultsFormatFor } from '../report/results-file.js';
import type { PreviousResults } from '../report/resume.js';
import { RollbackFile, rollbackColumns, rollbackPathFor } from '../state/rollback-file.js';
import { readRollbackLines } from '../state/rollback-read.js';
import type { GraphIdentity } from '../report/results-meta.js';
import { chainRootOf } from '../report/results-lock.js';
import { JobError } from './errors.js';
import type { JobOptions } from './options.js';
import type { ShardFilter } from './shard.js';

/** What {@link openResults} names the file from. */
export interface ResultsNaming {
  options: Pick<JobOptions, 'name' | 'results' | 'resultsDelimiter'>;
  /** Resolves a path of the options against the job's folder. */
  path: (p: string) => string;
  /** The job file, whose base name is the default job name. */
  jobFile?: string;
  /** Now, for the file name's UTC time stamp. */
  now: Date;
  shard?: ShardFilter;
  /** A plan (`.plan.csv`). */
  plan: boolean;
  /** The results file being resumed: the new file must be another one. */
  previous?: PreviousResults;
  /** The Graph the run sends to (recorded in the sidecar; a resume must be against the same). */
  identity?: GraphIdentity;
  /** The manifest as the admin named it (the run reads a snapshot of it). */
  manifestPath?: string;
}

/**
 * The delimiter of the results, errors and rollback CSVs: the `resultsDelimiter` option, or for
 * `manifest` the manifest's own (undefined for a JSON manifest: the file's default, `,` or tab for `.tsv`).
 */
export function outputDelimiter(info: Pick<ManifestInfo, 'delimiter'>, o: Pick<JobOptions, 'resultsDelimiter'>): string | undefined {
  if (o.resultsDelimiter === 'manifest')
    return info.delimiter !== undefined && /^[,;\t|]$/.test(info.delimiter) ? info.delimiter : undefined;
  return o.resultsDelimiter === 'tab' ? '\t' : o.resultsDelimiter;
}

/**
 * Checks, before signing in, that a `results` option naming a file has a results extension.
 * @throws {JobError} (exit 3) for `-o r.json`, `-o r.xlsx`, … (see `resultsFormatFor`).
 */
export function checkResultsName(o: Pick<JobOptions, 'results'>, path: (p: string) => string): void {
  if (!o.results || /[\\/]$/.test(o.results) || isDirectory(path(o.results))) return;
  try {
    resultsFormatFor(path(o.results));
  } catch (err) {
    throw new JobError((err as Error).message);
  }
}

/**
 * Creates the results file: `results/<job>[-shard<i>of<n>]-<UTC time>[.plan].csv` by default; a
 * `results` option that is a folder (ends with a slash, or exists as one) gets that name inside it,
 * so a nightly cron job never collides with last night's file.
 * @throws {JobError} (exit 3) when it is the file being resumed, or cannot be created.
 */
export function openResults(info: ManifestInfo, n: ResultsNaming): ResultsFile {
  const o = n.options;
  const name = o.name ?? basename(n.jobFile ?? info.path, extname(n.jobFile ?? info.path));
  const stamp = n.now
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const shardPart = n.shard ? `-shard${n.shard.shard.index}of${n.shard.shard.count}` : '';
  const fileName = `${name}${shardPart}-${stamp}${n.plan ? '.plan' : ''}.csv`;
  let path = o.results ? n.path(o.results) : n.path(`results/${fileName}`);
  if (o.results && (/[\\/]$/.test(o.results) || isDirectory(path))) path = join(path, fileName);
  if (n.previous && path === n.previous.path) {
    throw new JobError(`the results file must be a new file: ${path} is the one --resume reads (the old file is kept as it is)`);
  }
  try {
    return ResultsFile.create(path, {
      manifestColumns: info.columns,
      delimiter: outputDelimiter(info, o),
      meta: {
        manifest: { path: resolve(n.manifestPath ?? info.path), sha256: info.sha256, rows: info.rowCount },
        resumedFrom: n.previous?.path,
        ...(n.identity ? { graph: n.identity } : {}),
        chain: n.previous ? chainRootOf(n.previous) : path,
      },
    });
  } catch (err) {
    throw new JobError((err as Error).message);
  }
}

/**
 * Creates the rollback manifest beside `results` (`<results>.rollback.csv`); closes `results` if it
 * cannot. A resume reads the rollback manifests of the chain's earlier runs first: a device one of
 * them covers keeps that line (its values from before the first run) and gets none here.
 * @throws {JobError} (exit 3) when it cannot be created, or an earlier one cannot be read.
 */
export function openRollback(
  results: ResultsFile,
  info: ManifestInfo,
  o: Pick<JobOptions, 'clearToken' | 'allowDuplicates' | 'resultsDelimiter'>,
  previous?: PreviousResults,
  log?: Pick<Logger, 'warn'>,
): RollbackFile {
  let rollback: RollbackFile;
  try {
    rollback = RollbackFile.create(
      rollbackPathFor(results.path),
      rollbackColumns(info.columns),
      o.clearToken,
      o.allowDuplicates,
      outputDelimiter(info, o) ?? ',',
    );
  } catch (err) {
    results.close();
    throw new JobError((err as Error).message);
  }
  for (const earlier of previous ? [previous.path, ...previous.earlier] : []) {
    let read: ReturnType<typeof readRollbackLines>;
    try {
      read = readRollbackLines(rollbackPathFor(earlier));
    } catch (err) {
      rollback.close();
      results.close();
      throw new JobError((err as Error).message);
    }
    for (const line of read?.lines ?? []) rollback.remember(line.id, line.properties);
    if (read?.droppedChars)
      log?.warn(
        `${rollbackPathFor(earlier)} ends with a line cut short (${read.droppedChars} characters): its PATCH was never sent; left out`,
      );
  }
  return rollback;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Warns, at the end of a run, about rollback lines that need `--allow-duplicates` or cannot restore a value. */
export function warnAboutRollback(rollback: RollbackFile | undefined, log: Pick<Logger, 'warn'>): void {
  if (rollback && rollback.repeatedDevices > 0) {
    log.warn(
      `the rollback manifest has several lines for ${rollback.repeatedDevices} device(s), each line with other properties: run it with --allow-duplicates`,
    );
  }
  if (rollback && rollback.unrestorable > 0) {
    log.warn(
      `${rollback.unrestorable} previous values were empty on properties Graph cannot empty (displayName, accountEnabled, …): the rollback manifest cannot put those back`,
    );
  }
}

/** Logs the start of a job (or plan): manifest, rows, mode, results file, sign-in, shard; warns when reads are off. */
export function logStart(
  log: Pick<Logger, 'info' | 'warn'>,
  s: { o: JobOptions; plan: boolean; manifestPath: string; info: ManifestInfo; results: ResultsFile; auth?: string; shard?: ShardFilter },
): void {
  const o = s.o;
  if (s.info.ignoredColumns.length > 0) {
    log.info(`columns that are not updatable are skipped (--ignore-read-only-columns): ${s.info.ignoredColumns.join(', ')}`);
  }
  log.info(s.plan ? 'plan started' : 'job started', {
    manifest: s.manifestPath,
    rows: s.info.rowCount,
    mode: o.dryRun ? 'dry-run' : s.plan ? 'plan' : o.mode,
    results: s.results.path,
    ...(o.dryRun ? {} : { readFirst: o.readFirst, ...(o.sendAll ? { sendAll: true } : {}), ...(o.verify ? { verify: true } : {}) }),
    ...(s.auth ? { auth: s.auth } : {}),
    ...(s.shard ? { shard: s.shard.toString(), shardRows: s.shard.expectedRows(s.info.rowCount) } : {}),
  });
  if (!o.dryRun && !o.readFirst)
    log.warn('readFirst is off: rows are sent as given, unchanged ones too, and no rollback manifest is saved');
}

/**
 * The intake: the manifest's rows into the run. Each row is validated (every shard validates every
 * row: duplicates are judged over the whole manifest), kept or left to its shard, carried over from
 * the results file being resumed, recorded at once when invalid or in a dry run, or queued for the
 * dispatcher — waiting while the dispatcher is full (back-pressure: the manifest is read no faster
 * than rows are sent).
 */
import { resolve } from 'node:path';
import { devicePath } from '../graph/urls.js';
import { inspectManifest, ManifestError, type ManifestInfo, readManifest } from '../manifest/index.js';
import type { Logger } from '../report/log.js';
import { ResultsWriteError } from '../report/results-file.js';
import { readResultsEnd } from '../report/results-meta.js';
import { loadPreviousResults, type PreviousResults, ResumeError } from '../report/resume.js';
import { aboutOriginal, type ManifestSnapshot } from '../manifest/snapshot.js';
import { carriedLineMismatch } from '../report/resume-checks.js';
import { createValidator, isInvalid } from '../validate/index.js';
import { JobError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { Ledger } from './ledger.js';
import type { JobOptions } from './options.js';
import { parseShard, ShardFilter } from './shard.js';
import { RESULTS_ADVICE, type StopSwitch, type Work } from './work.js';

/** Where the intake queues the rows to send (the dispatcher). */
export interface RowSink {
  push(w: Work): void;
  /** True while the intake must wait for {@link waitForRoom} before the next row. */
  readonly full: boolean;
  waitForRoom(): Promise<void>;
}

/** Inputs of {@link intake}. */
export interface IntakeInput {
  info: ManifestInfo;
  options: Pick<JobOptions, 'allowDuplicates' | 'allowMdmProperties' | 'clearToken' | 'dryRun' | 'readFirst'>;
  ledger: Ledger;
  stops: StopSwitch;
  /** Where valid rows go; undefined in a dry run (nothing is sent). */
  sink: RowSink | undefined;
  /** Rows are read before writing (their first phase is `read`). */
  readFirst: boolean;
  shard?: ShardFilter;
  /** The results file being resumed: its `updated`/`unchanged` rows carry over, not sent again. */
  previous?: PreviousResults;
  /** Warnings (a carried line that does not match its row). */
  log?: Pick<Logger, 'warn'>;
  /** The snapshot the run reads (messages name the manifest instead). */
  snapshot?: ManifestSnapshot;
}

/**
 * Reads and validates every row; invalid rows (and a dry run's `planned` rows, and rows carried
 * over) are recorded at once, valid ones queued. A bad row further into the manifest stops the run
 * (exit 2), a results file that cannot be written too (exit 3): the rest are recorded `skipped`.
 * @returns rows carried over from the resumed results file.
 * @throws what reading throws beyond a `ManifestError` or `ResultsWriteError` (a bug).
 */
export async function intake(input: IntakeInput): Promise<{ carriedOver: number }> {
  const { info, options: o, ledger, stops, sink, shard, previous } = input;
  let carriedOver = 0;
  let mismatched = 0;
  const validate = createValidator({
    // CSV: the header's key column holds for every row; JSON / JSON Lines: each row names its own key.
    keyType: info.format === 'csv' ? info.keyType : undefined,
    allowDuplicates: o.allowDuplicates,
    allowMdmProperties: o.allowMdmProperties,
    clearToken: o.clearToken,
    expectedRows: info.rowCount,
    // Rows with both id and deviceId filled: the device read by id must have that deviceId (decideRow).
    checksDeviceId: input.readFirst && !o.dryRun,
  });
  try {
    for await (const row of readManifest(info, { allowMdmProperties: o.allowMdmProperties, clearToken: o.clearToken })) {
      let carried = previous?.updated.get(row.row);
      const checked = shard || carried || !stops.current ? validate(row) : undefined;
      if (shard && !shard.owns(row.row, checked && !isInvalid(checked) ? checked.key : undefined)) continue;
      if (carried) {
        // A carried line must be this row's line (key and values), or the row runs again.
        const mismatch = carriedLineMismatch(
          carried,
          { key: checked && !isInvalid(checked) ? checked.key : undefined, columns: row.columns },
          info.columns,
        );
        if (mismatch !== undefined) {
          if (mismatched++ < 5)
            input.log?.warn(`row ${row.row}: its line in ${previous!.path} is not this row's (${mismatch}): the row runs again`);
          carried = undefined;
        }
      }
      if (carried) {
        // Updated in the run resumed from: its line carries over, even when this run is stopping.
        carriedOver++;
        ledger.record({ ...carried, columns: row.columns }, carried.finishedAt);
        continue;
      }
      const stop = stops.current;
      if (stop || !checked) {
        ledger.notAttempted(row, stop?.reason ?? 'stopped');
        continue;
      }
      if (isInvalid(checked)) {
        ledger.record({
          row: checked.row,
          key: checked.key,
          keyType: checked.keyType,
          columns: checked.columns,
          outcome: 'invalid',
          errorMessage: checked.message,
          attempts: 0,
        });
        continue;
      }
      if (o.dryRun || !sink) {
        const plan = `PATCH ${devicePath(checked.key, checked.keyType)} ${JSON.stringify(checked.body)}`;
        ledger.record({
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
      sink.push({
        key: checked.key,
        update: checked,
        item: { id: String(checked.row), path: devicePath(checked.key, checked.keyType), body: checked.body },
        phase: input.readFirst ? 'read' : 'write',
        attempts: 0,
        authReplays: 0,
      });
      if (sink.full) await sink.waitForRoom();
    }
  } catch (err) {
    if (err instanceof ResultsWriteError) stops.halt({ reason: err.message, exitCode: ExitCode.NothingSent, advice: RESULTS_ADVICE });
    else if (err instanceof ManifestError)
      stops.halt({ reason: aboutOriginal(err.message, input.snapshot), exitCode: ExitCode.Aborted, advice: 'fix the manifest and resume' });
    else throw err;
  }
  if (mismatched > 5) input.log?.warn(`${mismatched} rows in all had a carried line that is not theirs: they ran again`);
  return { carriedOver };
}

/**
 * Reads the results file named by `resumePath` (already resolved) and checks that it belongs to
 * this manifest (path, sha256, rows); logs what it found.
 * @throws {JobError} (exit 3) when it cannot be read or belongs to another manifest.
 */
export function loadPrevious(resumePath: string, info: ManifestInfo, log: Logger, manifestPath = info.path): PreviousResults {
  try {
    const previous = loadPreviousResults(resumePath, { path: resolve(manifestPath), sha256: info.sha256, rowCount: info.rowCount });
    log.info(`resuming from ${resumePath}: ${previous.updated.size} rows updated there are not sent again`, {
      lines: previous.lines,
      ...(previous.droppedChars ? { droppedPartialLine: `${previous.droppedChars} characters` } : {}),
      ...(previous.earlier.length ? { alsoRead: previous.earlier } : {}),
    });
    if (!readResultsEnd(resumePath))
      log.warn(
        `${resumePath} did not end cleanly (killed, or the machine went down): a partial last line is dropped, and its rollback manifest may hold lines of rows never sent (they put back values the devices still have)`,
      );
    if (previous.skippedEarlier.length)
      log.warn(`cannot read ${previous.skippedEarlier[0]}, which ${resumePath} resumed from: rows updated only there run again`);
    return previous;
  } catch (err) {
    if (err instanceof ResumeError) throw new JobError(err.message);
    throw err;
  }
}

/**
 * The manifest's first pass (`inspectManifest`: format, header, key column, rows, sha256).
 * @throws {JobError} (exit 3) for a bad header or a file that cannot be read, naming the file.
 */
export async function openManifest(
  manifestPath: string,
  o: Pick<JobOptions, 'format' | 'delimiter' | 'encoding' | 'allowMdmProperties' | 'clearToken' | 'ignoreReadOnlyColumns'>,
  snapshot?: ManifestSnapshot,
): Promise<ManifestInfo> {
  try {
    return await inspectManifest(manifestPath, {
      format: o.format,
      delimiter: o.delimiter,
      encoding: o.encoding,
      allowMdmProperties: o.allowMdmProperties,
      clearToken: o.clearToken,
      ignoreReadOnlyColumns: o.ignoreReadOnlyColumns,
    });
  } catch (err) {
    if (err instanceof ManifestError) throw new JobError(aboutOriginal(err.message, snapshot));
    throw new JobError(aboutOriginal(`cannot read manifest ${manifestPath}: ${(err as Error).message}`, snapshot));
  }
}

/** The `shard` option as a filter (undefined when not sharded). @throws {JobError} (exit 3) for a bad shard. */
export function shardFilter(o: Pick<JobOptions, 'shard' | 'allowDuplicates'>, env: NodeJS.ProcessEnv): ShardFilter | undefined {
  try {
    return o.shard ? new ShardFilter(parseShard(o.shard, env), { deviceAffinity: o.allowDuplicates }) : undefined;
  } catch (err) {
    throw new JobError((err as Error).message);
  }
}

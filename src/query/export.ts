/**
 * `graph-bulk export`: the devices a `$filter` matches, as a manifest (CSV or JSON Lines) — edit a
 * column, run it. Every page is read (`$top` 999, every `@odata.nextLink`), paced by the read budget;
 * an interrupted export resumes from its last page (`resume`).
 *
 * Files: the output, and beside it `<output>.export.json` (the query, the next page's link, rows and
 * bytes written so far, `complete`). Each page is appended and flushed to disk before the state file
 * records it, so a resumed export cuts the output back to what the state file vouches for and goes on
 * from the next link: no device twice, none missing.
 * Source: docs/graph-behaviour.md §5.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { TokenSource } from '../auth/token-source.js';
import { defaultRetryStrategies } from '../graph/retry.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { createLogger } from '../report/log.js';
import { Progress } from '../report/progress.js';
import { connectQuery } from './connect.js';
import { DeviceLister, QueryRequestError } from './device-lister.js';
import { csvCells, exportColumns, jsonRow, type ExportColumn } from './export-columns.js';
import { exportOptionsSchema, type ExportOptions, type ExportOptionsInput } from './export-options.js';
import { deviceListRequest, exportProperties, QueryError, selectList } from './list-request.js';

export type { ExportOptions, ExportOptionsInput } from './export-options.js';

/** The state file of an export (`<output>.export.json`). */
export interface ExportState {
  version: 1;
  filter?: string;
  properties: string[];
  /** The next page to read; absent once complete. */
  nextLink?: string;
  /** Devices written so far. */
  rows: number;
  /** Bytes of the output that hold those rows (header included). */
  bytes: number;
  /** `@odata.count`, when Graph sent one (advanced queries). */
  count?: number;
  complete: boolean;
}

/** How an export ended. */
export interface ExportSummary {
  exitCode: ExitCode;
  output: string;
  rows: number;
  pages: number;
  complete: boolean;
  /** Why the query was an advanced one (`ConsistencyLevel: eventual` and `$count=true` were sent). */
  advanced: string[];
  stoppedReason?: string;
}

/** Where an export is run from. */
export interface ExportContext {
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  tokenSource?: TokenSource;
  signal?: AbortSignal;
  stderr?: Writable & { isTTY?: boolean };
}

/** The state file beside an export's output. */
export const exportStatePath = (output: string): string => `${output}.export.json`;

function parseOptions(input: unknown): ExportOptions {
  const parsed = exportOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new JobError(
      `invalid export options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

function writeState(path: string, state: ExportState): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Runs an export.
 * @returns the summary: exit 0 when every page was written, 4 when interrupted (resume it), 2 when
 *   Graph stopped giving pages part-way (retries exhausted; resume it).
 * @throws {JobError} (exit 3, nothing written) for bad options, an output that exists (without
 *   `resume`), a state file of another query, a filter Graph refuses (its code and message), sign-in
 *   failure.
 */
export async function exportDevices(input: ExportOptionsInput, context: ExportContext = {}): Promise<ExportSummary> {
  const o = parseOptions(input);
  const stderr = context.stderr ?? process.stderr;
  const log = createLogger(o.logFormat, stderr);
  const output = isAbsolute(o.output) ? o.output : resolve(context.baseDir ?? process.cwd(), o.output);
  const format = extname(output).toLowerCase() === '.jsonl' ? 'jsonl' : extname(output).toLowerCase() === '.csv' ? 'csv' : undefined;
  if (!format) throw new JobError(`export output ${output}: name a .csv or .jsonl file`);
  const select = typeof o.select === 'string' ? o.select.split(',') : (o.select ?? []);
  let properties: string[];
  let request: ReturnType<typeof deviceListRequest>;
  try {
    properties = exportProperties(select);
    request = deviceListRequest({ filter: o.filter, select: selectList(properties) });
  } catch (err) {
    if (err instanceof QueryError) throw new JobError(err.message);
    throw err;
  }
  const columns: ExportColumn[] = exportColumns(properties);
  const statePath = exportStatePath(output);

  let state: ExportState;
  if (o.resume) {
    if (!existsSync(statePath) || !existsSync(output)) throw new JobError(`nothing to resume: ${statePath} or ${output} does not exist`);
    state = JSON.parse(readFileSync(statePath, 'utf8')) as ExportState;
    if (state.filter !== o.filter || state.properties.join(',') !== properties.join(',')) {
      throw new JobError(
        `${output} is the export of another query (filter ${JSON.stringify(state.filter)}, properties ${state.properties.join(',')}): give the same --filter and --select to resume it`,
      );
    }
    if (state.complete) throw new JobError(`${output} is complete (${state.rows} devices): nothing to resume`);
  } else {
    if (existsSync(output))
      throw new JobError(`${output} exists: an export never overwrites a file (name another, or --resume an interrupted one)`);
    state = { version: 1, ...(o.filter !== undefined ? { filter: o.filter } : {}), properties, rows: 0, bytes: 0, complete: false };
  }

  const connection = await connectQuery(
    { ...o, ...(o.emulator ? { emulator: o.emulator } : {}) },
    {
      env: context.env ?? process.env,
      ...(context.tokenSource ? { tokenSource: context.tokenSource } : {}),
      log,
      ...(context.signal ? { signal: context.signal } : {}),
    },
  );
  if (request.advanced.length > 0) {
    log.info(`advanced query (${request.advanced.join(', ')}): sending ConsistencyLevel: eventual and $count=true, as Graph requires`);
  }
  const lister = new DeviceLister({
    sender: connection.sender,
    tokens: connection.tokens,
    budget: connection.readBudget,
    maxRetries: o.maxRetries,
    strategies: defaultRetryStrategies(undefined, { baseDelayMs: o.retryBaseDelayMs }),
    ...(context.signal ? { signal: context.signal } : {}),
  });

  const fd = openSync(output, o.resume ? 'r+' : 'wx');
  let stoppedReason: string | undefined;
  let refused = false;
  let exitCode: ExitCode = ExitCode.Ok;
  const progress = o.progress
    ? new Progress(
        () => ({ done: state.rows, total: state.count ?? state.rows, throttled429: lister.stats.throttled429 }),
        stderr,
        o.logFormat,
      )
    : undefined;
  try {
    if (o.resume) {
      if (statSync(output).size < state.bytes)
        throw new JobError(`${output} is shorter than its state file says (${state.bytes} bytes): it was changed; start a new export`);
      ftruncateSync(fd, state.bytes); // a page written after the last state update is written again
    } else if (format === 'csv') {
      state.bytes += writeSync(fd, stringify([columns.map((c) => c.header)]));
      fsyncSync(fd);
      writeState(statePath, state);
    } else writeState(statePath, state);
    progress?.start();
    const start = o.resume && state.nextLink ? state.nextLink : `${connection.sender.versionRoot}${request.path}`;
    try {
      for await (const page of lister.pages(start, request.headers)) {
        const text =
          format === 'csv'
            ? page.devices.length > 0
              ? stringify(page.devices.map((d) => csvCells(d, columns)))
              : ''
            : page.devices.map((d) => `${JSON.stringify(jsonRow(d, columns))}\n`).join('');
        if (text !== '') state.bytes += writeSync(fd, text, state.bytes);
        fsyncSync(fd);
        state.rows += page.devices.length;
        if (page.count !== undefined) state.count = page.count;
        if (page.nextLink !== undefined) state.nextLink = page.nextLink;
        else {
          delete state.nextLink;
          state.complete = true;
        }
        writeState(statePath, state);
        if (o.progress && o.logFormat === 'text' && !stderr.isTTY && page.nextLink !== undefined) {
          stderr.write(
            `export: ${state.rows.toLocaleString('en-US')} devices${state.count !== undefined ? ` of ${state.count.toLocaleString('en-US')}` : ''} so far\n`,
          );
        }
      }
    } catch (err) {
      if (err instanceof QueryRequestError || err instanceof QueryError) {
        if (state.rows === 0 && lister.stats.pages === 0 && err instanceof QueryRequestError && err.outcome.status === 400) {
          if (!o.resume) refused = true;
          throw new JobError(
            `${err.message}${request.advanced.length === 0 ? '' : ' (sent as an advanced query: ConsistencyLevel: eventual, $count=true)'}`,
          );
        }
        stoppedReason = err.message;
        exitCode = ExitCode.Aborted;
      } else throw err;
    }
    if (!state.complete && !stoppedReason) {
      stoppedReason = 'interrupted';
      exitCode = ExitCode.Interrupted;
    }
  } finally {
    progress?.stop();
    closeSync(fd);
    await connection.close();
    if (refused) {
      // Graph refused the query itself: leave nothing behind that looks like an (empty) export.
      rmSync(output, { force: true });
      rmSync(statePath, { force: true });
    }
  }
  const summary: ExportSummary = {
    exitCode,
    output,
    rows: state.rows,
    pages: lister.stats.pages,
    complete: state.complete,
    advanced: request.advanced,
    ...(stoppedReason ? { stoppedReason } : {}),
  };
  if (state.complete)
    log.info(`exported ${state.rows} devices to ${output} (${lister.stats.pages} pages): edit a column and run it as a manifest`);
  else log.warn(`export stopped: ${stoppedReason}; ${state.rows} devices written; run it again with --resume to go on`);
  return summary;
}

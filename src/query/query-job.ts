/**
 * Query jobs: `graph-bulk run --filter "<OData>" --set extensionAttribute3=kiosk` (and `filter` / `set`
 * in a job file). The query is resolved to a manifest file written beside the results file
 * (`<results>.manifest.csv`, with `<manifest>.query.json` recording the query), then the job runs that
 * manifest like any other, so resume, plan, verify and rollback work as they always do. A resumed
 * query job reads the manifest the first run wrote (the devices do not change between the runs).
 * Source of the query's rules: docs/graph-behaviour.md §5.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { defaultRetryStrategies } from '../graph/retry.js';
import { JobError } from '../job/errors.js';
import { parseJobOptions, type JobOptions } from '../job/options.js';
import { planJob, runJob, type JobSummary, type RunContext } from '../job/run-job.js';
import { canonicalColumn, isExtensionAttribute, READ_ONLY_SUFFIX } from '../manifest/columns.js';
import { createLogger, type Logger } from '../report/log.js';
import { readResultsMeta } from '../report/results-meta.js';
import { runGuarded } from './guards.js';
import { connectQuery } from './connect.js';
import { DeviceLister, QueryRequestError } from './device-lister.js';
import { propertyValue } from './export-columns.js';
import { deviceListRequest, QueryError, selectList } from './list-request.js';

/** A query job's `maxChanges` when none is given: a wrong filter is the classic mass-change accident. */
export const QUERY_JOB_MAX_CHANGES = 1000;

/** The query recorded beside a query job's manifest. */
export interface QueryRecord {
  kind: 'graph-bulk-query';
  filter: string;
  set: Record<string, string>;
  devices: number;
}

/** `<manifest>.query.json`. */
export const queryRecordPath = (manifest: string): string => `${manifest}.query.json`;

/**
 * Checks `set` and turns it into manifest cells: names are updatable properties (any case; not
 * `id`/`deviceId`), values cell text (`true`/`false`; `null` → the clear token).
 * @throws {JobError} naming a property that cannot be set, or an empty `set`.
 */
export function setColumns(set: Record<string, string | boolean | null> | undefined, clearToken: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(set ?? {})) {
    const canonical = canonicalColumn(name);
    if (!canonical || canonical === 'id' || canonical === 'deviceId') {
      throw new JobError(
        `--set ${name}: not a property a job can change (accountEnabled, displayName, operatingSystem, operatingSystemVersion, extensionAttribute1 … extensionAttribute15)`,
      );
    }
    if (canonical in out) throw new JobError(`--set ${name}: ${canonical} is set twice`);
    out[canonical] = value === null ? clearToken : String(value);
  }
  if (Object.keys(out).length === 0)
    throw new JobError('a --filter job needs at least one --set property=value (what to change on the devices found)');
  return out;
}

/** Where the results file of a run goes: as `openResults` names it (a folder gets `<name>-<UTC time>.csv`). */
function resultsPathFor(o: JobOptions, context: RunContext, plan: boolean, base: (p: string) => string): string {
  const name = o.name ?? (context.jobFile ? basename(context.jobFile, extname(context.jobFile)) : 'query');
  const stamp = (context.now?.() ?? new Date())
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const fileName = `${name}-${stamp}${plan ? '.plan' : ''}.csv`;
  if (!o.results) return base(`results/${fileName}`);
  const path = base(o.results);
  const isDir = /[\\/]$/.test(o.results) || (existsSync(path) && statSync(path).isDirectory());
  return isDir ? join(path, fileName) : path;
}

/** A results path's manifest: `<results without extension>.manifest.csv`. */
export function manifestPathFor(resultsPath: string): string {
  return `${resultsPath.slice(0, resultsPath.length - extname(resultsPath).length)}.manifest.csv`;
}

/**
 * Lists the devices a filter matches and writes the manifest: `id`, then `deviceId`, `displayName`,
 * `operatingSystem` as read-only columns (shown, never sent), then one column per `set` property.
 * @returns the number of devices.
 * @throws {JobError} for a filter Graph refuses (its code and message) or a listing that fails part-way.
 */
async function writeQueryManifest(
  o: JobOptions,
  cells: Record<string, string>,
  manifest: string,
  context: RunContext,
  log: Logger,
): Promise<number> {
  let request: ReturnType<typeof deviceListRequest>;
  try {
    request = deviceListRequest({
      filter: o.filter,
      select: selectList(['id', 'deviceId', 'displayName', 'operatingSystem', ...Object.keys(cells)]),
    });
  } catch (err) {
    if (err instanceof QueryError) throw new JobError(err.message);
    throw err;
  }
  const connection = await connectQuery(o, {
    env: context.env ?? process.env,
    ...(context.tokenSource ? { tokenSource: context.tokenSource } : {}),
    log,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  if (request.advanced.length > 0)
    log.info(`advanced query (${request.advanced.join(', ')}): sending ConsistencyLevel: eventual and $count=true`);
  const lister = new DeviceLister({
    sender: connection.sender,
    tokens: connection.tokens,
    budget: connection.readBudget,
    maxRetries: o.maxRetries,
    strategies: defaultRetryStrategies(undefined, { baseDelayMs: o.retryBaseDelayMs }),
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const info = ['deviceId', 'displayName', 'operatingSystem'];
  mkdirSync(dirname(manifest), { recursive: true });
  const fd = openSync(manifest, 'wx');
  let devices = 0;
  let complete = false;
  try {
    writeSync(fd, stringify([['id', ...info.map((p) => `${p}${READ_ONLY_SUFFIX}`), ...Object.keys(cells)]]));
    for await (const page of lister.pages(`${connection.sender.versionRoot}${request.path}`, request.headers)) {
      const rows = page.devices.map((d) => [
        String(d.id ?? ''),
        ...info.map((p) => String(propertyValue(d, p) ?? '')),
        ...Object.values(cells),
      ]);
      if (rows.length) writeSync(fd, stringify(rows));
      devices += rows.length;
      if (page.nextLink === undefined) complete = true;
      else if (o.progress) log.info(`query: ${devices} devices so far${page.count !== undefined ? ` of ${page.count}` : ''}`);
    }
    fsyncSync(fd);
  } catch (err) {
    if (err instanceof QueryRequestError || err instanceof QueryError)
      throw new JobError(`the query could not be resolved: ${err.message}`);
    throw err;
  } finally {
    closeSync(fd);
    await connection.close();
  }
  if (!complete) throw new JobError(`the query was interrupted after ${devices} devices: nothing was written; run it again`, 4);
  return devices;
}

/**
 * Runs (or plans) a query job: resolves `filter` + `set` to a manifest beside the results file, then
 * runs it through {@link runGuarded} (blast radius: `maxChanges`, default {@link QUERY_JOB_MAX_CHANGES};
 * `canary`). With `resume`: the manifest of the run resumed, checked against its recorded query.
 * @throws {JobError} (exit 3) for `filter` with `manifest`, a bad `set`, a refused filter, a resume of
 *   another query; and as {@link runJob}.
 */
export async function runQueryJob(input: Record<string, unknown>, context: RunContext = {}, plan = false): Promise<JobSummary> {
  if (input.manifest !== undefined) throw new JobError('give a manifest or a --filter, not both');
  const o = parseJobOptions({ ...input, manifest: '(query)' }, context.jobFile ?? 'options');
  const base = (p: string) => (isAbsolute(p) ? p : resolve(context.baseDir ?? process.cwd(), p));
  const log = createLogger(o.logFormat, context.stderr ?? process.stderr);
  const cells = setColumns(o.set, o.clearToken);
  const resultsPath = resultsPathFor(o, context, plan, base);
  let manifest: string;
  if (o.resume) {
    let meta: ReturnType<typeof readResultsMeta>;
    try {
      meta = readResultsMeta(base(o.resume));
    } catch (err) {
      throw new JobError((err as Error).message);
    }
    manifest = meta.manifest.path;
    const recordPath = queryRecordPath(manifest);
    const record = existsSync(recordPath) ? (JSON.parse(readFileSync(recordPath, 'utf8')) as QueryRecord) : undefined;
    if (!record || record.filter !== o.filter || JSON.stringify(record.set) !== JSON.stringify(cells)) {
      throw new JobError(
        `${o.resume} is not a run of this query (${record ? `filter ${JSON.stringify(record.filter)}, set ${JSON.stringify(record.set)}` : 'no query recorded beside its manifest'}): give the same --filter and --set to resume it`,
      );
    }
    log.info(`resuming the query job: the devices are those of ${manifest} (${record.devices}), not queried again`);
  } else {
    manifest = manifestPathFor(resultsPath);
    const devices = await writeQueryManifest(o, cells, manifest, context, log);
    const record: QueryRecord = { kind: 'graph-bulk-query', filter: o.filter ?? '', set: cells, devices };
    writeFileSync(queryRecordPath(manifest), `${JSON.stringify(record, null, 2)}\n`);
    log.info(`the query matched ${devices} device(s): manifest ${manifest}`);
  }
  const { filter: _filter, set: _set, ...rest } = input;
  const jobInput = { ...rest, manifest, results: resultsPath, maxChanges: o.maxChanges ?? QUERY_JOB_MAX_CHANGES };
  return runGuarded(jobInput, context, plan);
}

export { planJob, runJob };

/**
 * The blast-radius guard around a run (`maxChanges`): the devices are read first — a plan — and when
 * more would change than allowed, the run stops before any write (exit 3) and says how many; else the
 * job runs (reading each device again right before writing it, so nothing decided on stale data).
 * The plan it read is kept beside the results file (`<results>.max-changes.plan.csv`).
 */
import { extname, isAbsolute, resolve } from 'node:path';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { parseJobOptions } from '../job/options.js';
import { planJob, runJob, type JobSummary, type RunContext } from '../job/run-job.js';
import { createLogger } from '../report/log.js';

/**
 * The most rows `maxChanges` allows to change out of `rows`: a count as it is; `P%` of the rows,
 * rounded down; `undefined`/`false` → no limit (Infinity).
 */
export function maxChangesLimit(maxChanges: number | string | false | undefined, rows: number): number {
  if (maxChanges === undefined || maxChanges === false) return Number.POSITIVE_INFINITY;
  if (typeof maxChanges === 'number') return maxChanges;
  if (maxChanges.endsWith('%')) return Math.floor((Number(maxChanges.slice(0, -1)) * rows) / 100);
  return Number(maxChanges);
}

/** `<results without extension>.max-changes.plan.csv`. */
export function guardPlanPath(resultsPath: string): string {
  return `${resultsPath.slice(0, resultsPath.length - extname(resultsPath).length)}.max-changes.plan.csv`;
}

/**
 * Runs (or plans) a job with its `maxChanges` guard.
 * - plan: the plan, plus a warning when a run would stop on `maxChanges`;
 * - run with `maxChanges` (and not a dry run): plan first; over the limit → {@link JobError} exit 3
 *   (nothing written; the message says how many would change and where the plan is); else the run.
 * @throws {JobError} as above and as {@link runJob}.
 */
export async function runGuarded(input: Record<string, unknown>, context: RunContext = {}, plan = false): Promise<JobSummary> {
  const o = parseJobOptions(input, context.jobFile ?? 'options');
  const log = createLogger(o.logFormat, context.stderr ?? process.stderr);
  const guarded = o.maxChanges !== undefined && o.maxChanges !== false;
  if (plan) {
    const summary = await planJob(input as never, context);
    const limit = maxChangesLimit(o.maxChanges, summary.rows);
    if (guarded && summary.byOutcome.planned > limit) {
      log.warn(
        `${summary.byOutcome.planned} devices would change: a run would stop before writing (--max-changes ${o.maxChanges}, at most ${limit})`,
      );
    }
    return summary;
  }
  if (!guarded || o.dryRun) return runJob(input as never, context);
  const base = (p: string) => (isAbsolute(p) ? p : resolve(context.baseDir ?? process.cwd(), p));
  const checkInput: Record<string, unknown> = { ...input };
  if (typeof input.results === 'string' && !/[\\/]$/.test(input.results)) checkInput.results = guardPlanPath(base(input.results));
  else delete checkInput.results;
  delete checkInput.resume; // the guard counts what would change now, over every row
  log.info(`--max-changes ${o.maxChanges}: reading every device first to count the changes`);
  const check = await planJob(checkInput as never, context);
  const planned = check.byOutcome.planned;
  const limit = maxChangesLimit(o.maxChanges, check.rows);
  if (check.exitCode === ExitCode.Interrupted || check.exitCode === ExitCode.Aborted) {
    throw new JobError(`the count before writing did not finish (${check.stoppedReason ?? 'stopped'}): nothing written`, check.exitCode);
  }
  if (planned > limit) {
    throw new JobError(
      `${planned} of ${check.rows} devices would change, more than --max-changes ${o.maxChanges} allows (${limit}): stopped before any write. What would change is in ${check.resultsPath}; raise --max-changes (or turn it off with --max-changes off) if that is intended`,
      ExitCode.NothingSent,
    );
  }
  log.info(`${planned} of ${check.rows} devices will change (--max-changes ${o.maxChanges} allows ${limit}): running`);
  return runJob(input as never, context);
}

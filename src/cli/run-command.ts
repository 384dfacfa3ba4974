import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { redactSecrets, rememberEnvironmentSecrets } from '../graph/errors.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { loadJobFile } from '../job/job-file.js';
import type { runJob } from '../job/run-job.js';
import { formatLogLine, type LogFormat, requestedLogFormat } from '../report/log.js';
import { ResultsFile } from '../report/results-file.js';
import { ignoreClosedOutput } from './closed-output.js';
import { jobOptionsBuilder, mergeRunOptions, type RunArgs } from './job-flags.js';

/** `graph-bulk run [job]`: runs a job from a job file and/or flags. */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [job]',
  describe: 'Run a job: apply a manifest of device updates and write a results file',
  builder: jobOptionsBuilder,
  handler: async (args) => {
    process.exitCode = await runFromCli(args, (await import('../job/run-job.js')).runJob); // loaded to run, not for --help
  },
};

/** `graph-bulk plan [job]`: reads the devices and writes a plan file; sends no write. */
export const planCommand: CommandModule<object, RunArgs> = {
  command: 'plan [job]',
  describe: 'Plan a job: read every device of the manifest and write a plan file of what would change (old → new); writes nothing',
  builder: jobOptionsBuilder,
  handler: async (args) => {
    process.exitCode = await runFromCli(args, (await import('../job/run-job.js')).planJob);
  },
};

/**
 * Runs a job (or a plan) from parsed flags: reads the job file, merges the flags over it, runs, and
 * maps the outcome to an exit code (0, 1, 2, 3 or 4: src/job/exit-codes.ts). SIGINT/SIGTERM/SIGHUP
 * stop it cleanly (a second one exits at once, 4).
 */
export async function runFromCli(args: RunArgs, job: typeof runJob): Promise<number> {
  const controller = new AbortController();
  // Every line this writes is in the run's log format: the flag, else the job file's (known once it is read).
  let format: LogFormat =
    args.logFormat === 'json' || args.logFormat === 'text' ? args.logFormat : requestedLogFormat(hideBin(process.argv));
  // Text lines keep the plain `graph-bulk: …` prefix; JSON lines carry the level and the fields.
  const say = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(formatLogLine(format, format === 'json' ? level : 'info', message, format === 'json' ? fields : undefined));
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      if (format === 'text') process.stderr.write('\n'); // off the progress line
      say('warn', `${sig}: finishing requests in flight; the other rows are recorded as skipped (again to exit at once)`, {
        signal: sig,
      });
      controller.abort();
      return;
    }
    ResultsFile.flushAll();
    say('error', `${sig} again: exiting now; the results file can be resumed`, { signal: sig, exitCode: ExitCode.Interrupted });
    process.exit(ExitCode.Interrupted);
  };
  ignoreClosedOutput(); // a closed stderr (… 2>&1 | head -1) never stops the job
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // the terminal went away: as SIGTERM
  rememberEnvironmentSecrets(process.env); // GRAPH_ACCESS_TOKEN, AZURE_CLIENT_SECRET, …: redacted from every output
  try {
    const fromFile = args.job ? loadJobFile(args.job) : {};
    const options = mergeRunOptions(fromFile, args);
    if (options.logFormat === 'json' || options.logFormat === 'text') format = options.logFormat;
    if (format === 'json') jsonProcessWarnings(say);
    const context = { jobFile: args.job, signal: controller.signal };
    const plan = job === (await import('../job/run-job.js')).planJob;
    if (options.filter !== undefined) {
      // A query job (docs/queries-and-stale-devices.md): resolved to a manifest, then run with its guards.
      const { runQueryJob } = await import('../query/query-job.js');
      return (await runQueryJob(options, context, plan)).exitCode;
    }
    if (Array.isArray(options.tenants) && !plan) {
      // Many tenants, one app (docs/budgets.md): one job per tenant, side by side.
      const { runTenants } = await import('../job/tenants.js');
      return (await runTenants(options as never, context)).exitCode;
    }
    if (options.manifest === undefined) throw new JobError('no manifest: give a job file, --manifest <file> or --filter "<OData $filter>"');
    if (options.maxChanges !== undefined || options.canary !== undefined) {
      const { runGuarded } = await import('../query/guards.js');
      return (await runGuarded(options, context, plan)).exitCode;
    }
    const summary = await job(options as never, context);
    return summary.exitCode;
  } catch (err) {
    if (err instanceof JobError) {
      say('error', redactSecrets(err.message), { exitCode: err.exitCode });
      return err.exitCode;
    }
    // A bug, not bad input: one line without the stack trace unless GRAPH_BULK_DEBUG is set; never a secret.
    const debug = process.env.GRAPH_BULK_DEBUG !== undefined && process.env.GRAPH_BULK_DEBUG !== '' && process.env.GRAPH_BULK_DEBUG !== '0';
    const text = debug
      ? ((err as Error)?.stack ?? String(err))
      : `${(err as Error)?.message ?? String(err)} (set GRAPH_BULK_DEBUG=1 for details)`;
    say('error', `internal error: ${redactSecrets(text)}`, { exitCode: ExitCode.NothingSent });
    return ExitCode.NothingSent;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/**
 * Node's own process warnings (a deprecation in a library, too many listeners) as JSON log lines
 * instead of Node's plain `(node:…) Warning: …` text: Node prints them through its one `warning`
 * listener, which is replaced.
 */
function jsonProcessWarnings(say: (level: 'warn', message: string, fields?: Record<string, unknown>) => void): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) =>
    say('warn', `${w.name}: ${w.message}`, {
      node: true,
      ...((w as { code?: string }).code ? { code: (w as { code?: string }).code } : {}),
    }),
  );
}

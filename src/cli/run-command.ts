import type { CommandModule } from 'yargs';
import { redactSecrets, rememberEnvironmentSecrets } from '../graph/errors.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { loadJobFile } from '../job/job-file.js';
import { planJob, runJob } from '../job/run-job.js';
import { ResultsFile } from '../report/results-file.js';
import { jobOptionsBuilder, mergeRunOptions, type RunArgs } from './job-flags.js';

/** `graph-bulk run [job]`: runs a job from a job file and/or flags. */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [job]',
  describe: 'Run a job: apply a manifest of device updates and write a results file',
  builder: jobOptionsBuilder,
  handler: async (args) => {
    process.exitCode = await runFromCli(args, runJob);
  },
};

/** `graph-bulk plan [job]`: reads the devices and writes a plan file; sends no write. */
export const planCommand: CommandModule<object, RunArgs> = {
  command: 'plan [job]',
  describe: 'Plan a job: read every device of the manifest and write a plan file of what would change (old → new); writes nothing',
  builder: jobOptionsBuilder,
  handler: async (args) => {
    process.exitCode = await runFromCli(args, planJob);
  },
};

async function runFromCli(args: RunArgs, job: typeof runJob): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(
        `\ngraph-bulk: ${sig}: finishing requests in flight; the other rows are recorded as skipped (again to exit at once)\n`,
      );
      controller.abort();
      return;
    }
    ResultsFile.flushAll();
    process.stderr.write(`graph-bulk: ${sig} again: exiting now; the results file can be resumed\n`);
    process.exit(ExitCode.Interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  rememberEnvironmentSecrets(process.env); // GRAPH_ACCESS_TOKEN, AZURE_CLIENT_SECRET, …: redacted from every output
  try {
    const fromFile = args.job ? loadJobFile(args.job) : {};
    const options = mergeRunOptions(fromFile, args);
    if (options.manifest === undefined) throw new JobError('no manifest: give a job file or --manifest <file>');
    const summary = await job(options as never, { jobFile: args.job, signal: controller.signal });
    return summary.exitCode;
  } catch (err) {
    if (err instanceof JobError) {
      process.stderr.write(`graph-bulk: ${redactSecrets(err.message)}\n`);
      return err.exitCode;
    }
    // A bug, not bad input: one line without the stack trace unless GRAPH_BULK_DEBUG is set; never a secret.
    const debug = process.env.GRAPH_BULK_DEBUG !== undefined && process.env.GRAPH_BULK_DEBUG !== '' && process.env.GRAPH_BULK_DEBUG !== '0';
    const text = debug
      ? ((err as Error)?.stack ?? String(err))
      : `${(err as Error)?.message ?? String(err)} (set GRAPH_BULK_DEBUG=1 for details)`;
    process.stderr.write(`graph-bulk: internal error: ${redactSecrets(text)}\n`);
    return ExitCode.NothingSent;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

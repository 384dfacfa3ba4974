/**
 * `graph-bulk demo`: runs the demo job that ships in the package (jobs/demo.json, its manifest
 * fixtures/demo-manifest.csv) on the built-in Graph emulator, from any folder. The results file goes
 * where a run's default puts it, `results/demo-<UTC time>.csv` under the current folder; every flag of
 * `graph-bulk run` applies (`--dry-run`, `--results`, `--mode single`, …).
 */
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { jobOptionsBuilder, type RunArgs } from './job-flags.js';
import { runFromCli } from './run-command.js';

/** The packaged demo job file (this module is dist/cli/demo-command.js; the job is jobs/demo.json beside dist/). */
export const DEMO_JOB = fileURLToPath(new URL('../../jobs/demo.json', import.meta.url));

/** `graph-bulk demo [flags]`. */
export const demoCommand: CommandModule<object, RunArgs> = {
  command: 'demo',
  describe: 'Run the demo job on the built-in Graph emulator, from any folder (results into ./results/)',
  builder: jobOptionsBuilder,
  handler: async (args) => {
    process.exitCode = await runFromCli({ ...args, job: DEMO_JOB }, (await import('../job/run-job.js')).runJob);
  },
};

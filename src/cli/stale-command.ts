/**
 * `graph-bulk stale [job]`: the stale-device lifecycle (docs/queries-and-stale-devices.md). Its flags
 * come from the one declaration of its options (`STALE_OPTIONS`); a job file may hold the same fields.
 * The lifecycle itself is loaded when the command runs.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { redactSecrets, rememberEnvironmentSecrets } from '../graph/errors.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { loadJobFile } from '../job/job-file.js';
import { type FlagsOfDeclarations, flagsOf, kebab, valueFromFlags } from '../job/option-declaration.js';
import { STALE_OPTIONS } from '../stale/options.js';

/** Flags of `graph-bulk stale`, typed from `STALE_OPTIONS`. */
export type StaleArgs = { job?: string } & FlagsOfDeclarations<typeof STALE_OPTIONS>;

function builder(y: Argv): Argv<StaleArgs> {
  let out = y.positional('job', { type: 'string', describe: 'Job file (JSON) with the same options as the flags; flags override it' });
  for (const [name, d] of Object.entries(STALE_OPTIONS)) {
    for (const [flag, f] of Object.entries(flagsOf(name, d))) {
      const o: Options = {
        type: f.type,
        describe: f.describe,
        ...(f.choices ? { choices: [...f.choices] } : {}),
        ...(f.alias ? { alias: f.alias } : {}),
      };
      out = out.option(kebab(flag), o);
    }
  }
  return out as unknown as Argv<StaleArgs>;
}

/** A job file's fields with the flags typed (flags win). */
export function staleOptionsFromFlags(fromFile: Record<string, unknown>, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fromFile };
  for (const [name, d] of Object.entries(STALE_OPTIONS)) {
    const value = valueFromFlags(name, d, args, out[name]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** `graph-bulk stale`. */
export const staleCommand: CommandModule<object, StaleArgs> = {
  command: 'stale [job]',
  describe: 'Stale-device lifecycle: disable devices not signed in for N days (stamped), later delete those this job disabled (--delete)',
  builder,
  handler: async (args) => {
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    rememberEnvironmentSecrets(process.env);
    try {
      const fromFile = args.job ? loadJobFile(args.job) : {};
      const { runStale } = await import('../stale/lifecycle.js');
      const options = staleOptionsFromFlags(fromFile, args as Record<string, unknown>);
      // --dry-run is the lifecycle's plan: read, decide, write the plan; send nothing.
      const summary = await runStale(options as never, { signal: controller.signal }, options.dryRun === true);
      process.exitCode = summary.exitCode;
    } catch (err) {
      process.stderr.write(
        `graph-bulk: ${redactSecrets(err instanceof JobError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`)}\n`,
      );
      process.exitCode = err instanceof JobError ? err.exitCode : ExitCode.NothingSent;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

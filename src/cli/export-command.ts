/**
 * `graph-bulk export --filter "<OData $filter>" [--select p1,p2] -o devices.csv|.jsonl`: the devices a
 * query matches, as a manifest (docs/queries-and-stale-devices.md). Its flags come from the one
 * declaration of the export's options (`EXPORT_OPTIONS`); the export itself is loaded when it runs.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { redactSecrets, rememberEnvironmentSecrets } from '../graph/errors.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { type FlagsOfDeclarations, flagsOf, kebab, valueFromFlags } from '../job/option-declaration.js';
import { EXPORT_OPTIONS } from '../query/export-options.js';

/** Flags of `graph-bulk export`, typed from `EXPORT_OPTIONS`. */
export type ExportArgs = FlagsOfDeclarations<typeof EXPORT_OPTIONS>;

function builder(y: Argv): Argv<ExportArgs> {
  let out = y;
  for (const [name, d] of Object.entries(EXPORT_OPTIONS)) {
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
  return out as unknown as Argv<ExportArgs>;
}

/** The export's options from the flags typed. */
export function exportOptionsFromFlags(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(EXPORT_OPTIONS)) {
    const value = valueFromFlags(name, d, args, undefined);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** `graph-bulk export`. */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Export the devices an OData $filter matches (every page) to a CSV or JSON Lines manifest: edit a column, run it',
  builder,
  handler: async (args) => {
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    rememberEnvironmentSecrets(process.env);
    try {
      const { exportDevices } = await import('../query/export.js');
      const summary = await exportDevices(exportOptionsFromFlags(args as Record<string, unknown>) as never, { signal: controller.signal });
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

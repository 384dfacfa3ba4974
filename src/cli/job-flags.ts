/**
 * The flags of `graph-bulk run` and `graph-bulk plan`, derived from the one declaration of the job
 * options (`JOB_OPTIONS` in src/job/options.ts): their names, types, descriptions and choices, and
 * the merge of a job file's fields with the flags typed.
 */
import type { Argv, Options } from 'yargs';
import { type FlagDeclaration, type FlagsOfDeclarations, flagsOf, kebab, valueFromFlags } from '../job/option-declaration.js';
import { JOB_OPTIONS } from '../job/options.js';

/** Flags of `graph-bulk run` / `plan` as yargs parses them (kebab-case flags arrive camelCased), typed from `JOB_OPTIONS`. */
export type RunArgs = { job?: string } & FlagsOfDeclarations<typeof JOB_OPTIONS>;

/** Every flag of the job options, camelCase name → declaration, in declaration order. */
export function jobFlags(): Record<string, FlagDeclaration> {
  const out: Record<string, FlagDeclaration> = {};
  for (const [name, d] of Object.entries(JOB_OPTIONS)) Object.assign(out, flagsOf(name, d));
  return out;
}

/**
 * Merges a job file's fields with the flags given on the command line (flags win). Only flags the
 * user typed are present in `args` (no yargs defaults), so a job file's value stands unless overridden.
 */
export function mergeRunOptions(fromFile: Record<string, unknown>, args: RunArgs): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fromFile };
  for (const [name, d] of Object.entries(JOB_OPTIONS)) {
    const value = valueFromFlags(name, d, args as Record<string, unknown>, out[name]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The yargs definition of one flag. */
function yargsOption(f: FlagDeclaration): Options {
  return { type: f.type, describe: f.describe, ...(f.choices ? { choices: [...f.choices] } : {}), ...(f.alias ? { alias: f.alias } : {}) };
}

/**
 * The options shared by `graph-bulk run` and `graph-bulk plan`: a job file and every job option as a flag.
 * Only flags the user typed end up in the parsed args (no yargs defaults), so a job file's values stand.
 */
export function jobOptionsBuilder(y: Argv): Argv<RunArgs> {
  let out = y.positional('job', { type: 'string', describe: 'Job file (JSON) with the same options as the flags; flags override it' });
  for (const [name, f] of Object.entries(jobFlags())) out = out.option(kebab(name), yargsOption(f));
  return out as unknown as Argv<RunArgs>;
}

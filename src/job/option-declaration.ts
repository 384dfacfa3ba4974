/**
 * The shape of one job option's declaration (see `JOB_OPTIONS` in `options.ts`), and what is derived
 * from it: the zod schema of the job file, the command-line flags and the README's options table.
 * Pure: nothing here reads the command line or the file system.
 */
import { z } from 'zod';

/** A flag's yargs type. */
export type FlagType = 'string' | 'number' | 'boolean';
/** The TypeScript value of a flag of type `T`, as yargs parses it. */
export type FlagValue<T> = T extends 'string' ? string : T extends 'number' ? number : T extends 'boolean' ? boolean : never;

/** One command-line flag, named in camelCase (yargs shows it kebab-case: `writeBurst` → `--write-burst`). */
export interface FlagDeclaration {
  type: FlagType;
  /** One line for `--help`. */
  describe: string;
  /** Allowed values (a string flag). */
  choices?: readonly string[];
  /** One-letter alias (`-m`). */
  alias?: string;
  /** A boolean that is on unless turned off: shown as `--no-<flag>` in the README. */
  negated?: boolean;
}

/**
 * Several flags that together give one option (a budget: `--write-burst`, `--write-refill`,
 * `--no-write-budget`). `merge` receives every flag the user typed (camelCase keys, absent when not
 * typed) and the option's value so far (from the job file, or undefined), and returns the new value,
 * or undefined to leave the option as it is.
 */
export interface CustomFlags {
  flags: Record<string, FlagDeclaration>;
  merge: (args: Record<string, unknown>, current: unknown) => unknown;
}

/** One flag named after the option whose text `parse` turns into the value (`--concurrency auto|12`). */
export interface ParsedFlag {
  type: FlagType;
  parse: (value: never) => unknown;
}

/** The declaration of one job option. */
export interface OptionDeclaration<S extends z.ZodType = z.ZodType> {
  /** The job-file field's schema, with its default (`.default(…)`) or `.optional()`. */
  schema: S;
  /** One line: `--help` shows it, and the README's options table. */
  describe: string;
  /** The README's default column (Markdown; `--help` shows it without backticks) when the schema's
   * default is not what a reader should see (`"the job file's name"`, a budget's `3000, 20`); `''`
   * for none. Default: the schema's default. */
  shownDefault?: string;
  /** One-letter flag alias. */
  alias?: string;
  /**
   * How the command line gives the option:
   * - omitted: one flag `--<kebab-name>`, its type from the schema (boolean, number, string; an enum's
   *   values as choices) — the usual case;
   * - {@link ParsedFlag}: one flag whose value `parse` converts (a union such as `auto` | number);
   * - {@link CustomFlags}: several flags merged into one value;
   * - `false`: job file only.
   */
  cli?: false | ParsedFlag | CustomFlags;
}

/** Declares an option, keeping its exact types (so `JobOptions` and the flags' types are inferred from it). */
export function option<const D extends OptionDeclaration>(declaration: D): D {
  return declaration;
}

/** camelCase → kebab-case, digits kept with their word: `batchSize` → `batch-size`, `rate503` → `rate-503`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/([a-z])(\d)/g, '$1-$2');
}

/** The schema inside `.default()` / `.optional()`. */
function inner(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/** The schema's default value, or undefined. */
export function schemaDefault(schema: z.ZodType): unknown {
  return schema instanceof z.ZodDefault ? schema.def.defaultValue : undefined;
}

/**
 * The flags of one option, named in camelCase, with the default appended to each description.
 * @throws Error when the option has no `cli` and its schema is not a boolean, number, string or enum
 *   (declare `cli` for it) — caught by the options tests as soon as such an option is added.
 */
export function flagsOf(name: string, d: OptionDeclaration): Record<string, FlagDeclaration> {
  if (d.cli === false) return {};
  if (d.cli && 'flags' in d.cli) return d.cli.flags;
  const shown = shownDefault(d).replace(/`/g, '');
  const describe = shown ? `${d.describe} (default ${shown})` : d.describe;
  const base = { describe, ...(d.alias ? { alias: d.alias } : {}) };
  if (d.cli) return { [name]: { type: d.cli.type, ...base } };
  const s = inner(d.schema);
  if (s instanceof z.ZodBoolean)
    return { [name]: { type: 'boolean', ...base, ...(schemaDefault(d.schema) === true ? { negated: true } : {}) } };
  if (s instanceof z.ZodNumber) return { [name]: { type: 'number', ...base } };
  if (s instanceof z.ZodString) return { [name]: { type: 'string', ...base } };
  if (s instanceof z.ZodEnum) return { [name]: { type: 'string', choices: s.options.map(String), ...base } };
  throw new Error(`option ${name}: its schema is not a boolean, number, string or enum; declare its cli`);
}

/** The option's value from its flags: the flag's value (parsed), the merge of several, or undefined. */
export function valueFromFlags(name: string, d: OptionDeclaration, args: Record<string, unknown>, current: unknown): unknown {
  if (d.cli === false) return undefined;
  if (d.cli && 'flags' in d.cli) return d.cli.merge(args, current);
  const v = args[name];
  if (v === undefined) return undefined;
  return d.cli ? d.cli.parse(v as never) : v;
}

/** The README's default column (Markdown): `shownDefault`, else the schema's default in code (`''` when none). */
export function shownDefault(d: OptionDeclaration): string {
  if (d.shownDefault !== undefined) return d.shownDefault;
  const v = schemaDefault(d.schema);
  if (v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return `\`${String(v)}\``;
}

/** Flags of every option (typed from the declarations) — the parsed args of `graph-bulk run`. */
export type FlagsOfDeclaration<K extends string, D> = D extends { cli: false }
  ? object
  : D extends { cli: { flags: infer F } }
    ? { [P in keyof F]?: F[P] extends { type: infer T } ? FlagValue<T> : never }
    : D extends { cli: { type: infer T } }
      ? { [P in K]?: FlagValue<T> }
      : D extends { schema: infer S extends z.ZodType }
        ? { [P in K]?: NonNullable<z.output<S>> }
        : never;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The flags given by a record of declarations, as one object type (every flag optional). */
export type FlagsOfDeclarations<O> = UnionToIntersection<{ [K in keyof O & string]: FlagsOfDeclaration<K, O[K]> }[keyof O & string]>;

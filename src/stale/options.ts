/**
 * The options of `graph-bulk stale`, declared once (as the job options are): the lifecycle's own and
 * the job options it shares, by reference (same names, defaults and meaning).
 * Source of the rules behind them: docs/graph-behaviour.md §5 (stale-device guidance).
 */
import { z } from 'zod';
import { option, type OptionDeclaration } from '../job/option-declaration.js';
import { JOB_OPTIONS } from '../job/options.js';
import { MIN_STALE_DAYS } from './decide.js';

/** A lifecycle's `maxChanges` when none is given (disabled + deleted devices). */
export const STALE_MAX_CHANGES = 1000;

/** Every option of `graph-bulk stale`. */
export const STALE_OPTIONS = {
  /** The job's name: in the stamp it writes, so only its own stamps count; and in the results file names. */
  name: option({
    schema: z
      .string()
      .regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only')
      .default('stale-devices'),
    describe: "Job name: written in the stamp (only this job's stamps count) and in the results file names",
  }),
  description: JOB_OPTIONS.description,
  /** Disable devices whose approximateLastSignInDateTime is older than this many days (at least 21). */
  staleDays: option({
    schema: z
      .number()
      .int()
      .min(MIN_STALE_DAYS, `at least ${MIN_STALE_DAYS} days (the timestamp is refreshed only every 14 days ± 5)`)
      .default(90),
    describe: `Disable devices not signed in for this many days (at least ${MIN_STALE_DAYS})`,
  }),
  /** The extension attribute the job stamps `<name> disabled <YYYY-MM-DD>` into when it disables a device. */
  stampAttribute: option({
    schema: z.string().regex(/^extensionAttribute([1-9]|1[0-5])$/, 'extensionAttribute1 … extensionAttribute15'),
    describe: 'Extension attribute that records the date this job disabled a device (e.g. extensionAttribute15)',
  }),
  /** Stage 2: delete devices this job disabled at least `deleteAfterDays` ago and still disabled. Cannot be undone. */
  delete: option({
    schema: z.boolean().default(false),
    describe: 'Stage 2: DELETE devices this job disabled --delete-after-days ago and still disabled (cannot be undone)',
  }),
  /** Days between this job disabling a device and deleting it. */
  deleteAfterDays: option({ schema: z.number().int().min(1).default(30), describe: 'Days from disabling to deleting' }),
  /** Disable Intune-managed devices too (else kept: retire them in Intune first). */
  includeManaged: option({ schema: z.boolean().default(false), describe: 'Also disable devices managed by Intune (isManaged)' }),
  /**
   * Before deleting, read each device's BitLocker recovery keys in Entra (they are deleted with it) and
   * keep a device that has any: back them up first. Needs the application permission
   * `BitlockerKey.ReadBasic.All` (docs/graph-behaviour.md §5); a device whose keys cannot be read is kept.
   */
  bitlockerCheck: option({
    schema: z.boolean().default(false),
    describe: 'Keep devices due for deletion that have BitLocker recovery keys in Entra (needs BitlockerKey.ReadBasic.All)',
  }),
  /** A file of devices never to touch: one object id, deviceId or display name per line (`#` comments). */
  exclude: option({ schema: z.string().optional(), describe: 'File of devices never to touch: one id, deviceId or displayName per line' }),
  maxChanges: option({
    schema: JOB_OPTIONS.maxChanges.schema,
    describe: 'Stop before any write (exit 3) when more devices than N or P% would be disabled or deleted',
    shownDefault: String(STALE_MAX_CHANGES),
    cli: JOB_OPTIONS.maxChanges.cli,
  }),
  dryRun: JOB_OPTIONS.dryRun,
  results: option({
    schema: z.string().optional(),
    describe: 'Results file of the lifecycle (.csv), or a folder ending in /',
    shownDefault: '`results/<name>-<UTC time>.csv`',
    alias: 'o',
  }),
  canary: JOB_OPTIONS.canary,
  graphUrl: JOB_OPTIONS.graphUrl,
  cloud: JOB_OPTIONS.cloud,
  apiVersion: JOB_OPTIONS.apiVersion,
  allowUnknownHost: JOB_OPTIONS.allowUnknownHost,
  auth: JOB_OPTIONS.auth,
  tenantId: JOB_OPTIONS.tenantId,
  clientId: JOB_OPTIONS.clientId,
  authorityHost: JOB_OPTIONS.authorityHost,
  timeoutMs: JOB_OPTIONS.timeoutMs,
  maxRetries: JOB_OPTIONS.maxRetries,
  retryBaseDelayMs: JOB_OPTIONS.retryBaseDelayMs,
  writeBudget: JOB_OPTIONS.writeBudget,
  readBudget: JOB_OPTIONS.readBudget,
  throttlePriority: JOB_OPTIONS.throttlePriority,
  logFormat: JOB_OPTIONS.logFormat,
  progress: JOB_OPTIONS.progress,
  emulator: JOB_OPTIONS.emulator,
  proxy: JOB_OPTIONS.proxy,
  caFile: JOB_OPTIONS.caFile,
} satisfies Record<string, OptionDeclaration>;

type Schemas<O> = { [K in keyof O]: O[K] extends { schema: infer S } ? S : never };

/** The lifecycle's schema, from {@link STALE_OPTIONS}: an unknown field is refused. */
export const staleOptionsSchema = z
  .object(Object.fromEntries(Object.entries(STALE_OPTIONS).map(([k, d]) => [k, d.schema])) as Schemas<typeof STALE_OPTIONS>)
  .strict();

/** Lifecycle options as given. */
export type StaleOptionsInput = z.input<typeof staleOptionsSchema>;
/** Lifecycle options with defaults applied. */
export type StaleOptions = z.output<typeof staleOptionsSchema>;

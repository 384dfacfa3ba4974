/**
 * The options of `graph-bulk export`, declared once (as the job options are, src/job/options.ts):
 * its own (`select`, `output`, `resume`) and the job options it shares, by reference — the same
 * names, defaults and meaning (`filter`, the connection, the read budget, retries, logs).
 */
import { z } from 'zod';
import { option, type OptionDeclaration } from '../job/option-declaration.js';
import { JOB_OPTIONS } from '../job/options.js';

/** Every option of `graph-bulk export`. */
export const EXPORT_OPTIONS = {
  filter: JOB_OPTIONS.filter,
  /** Properties to list beyond id, deviceId, displayName, operatingSystem: a list, or comma-separated text. */
  select: option({
    schema: z.union([z.array(z.string()), z.string()]).optional(),
    describe: 'Properties to list beyond id, deviceId, displayName, operatingSystem, comma-separated',
    cli: { type: 'string', parse: (value: string | string[]) => (Array.isArray(value) ? value.join(',') : value) },
  }),
  /** Where the devices go: a `.csv` or `.jsonl` file (a manifest); an existing file is never overwritten. */
  output: option({ schema: z.string().min(1), describe: 'Output file, .csv or .jsonl (a manifest)', alias: 'o' }),
  /** Go on with an export that stopped; its `<output>.export.json` says where. */
  resume: option({ schema: z.boolean().default(false), describe: 'Go on with an interrupted export of this output' }),
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
  readBudget: JOB_OPTIONS.readBudget,
  throttlePriority: JOB_OPTIONS.throttlePriority,
  logFormat: JOB_OPTIONS.logFormat,
  progress: JOB_OPTIONS.progress,
  emulator: JOB_OPTIONS.emulator,
  proxy: JOB_OPTIONS.proxy,
  caFile: JOB_OPTIONS.caFile,
} satisfies Record<string, OptionDeclaration>;

type Schemas<O> = { [K in keyof O]: O[K] extends { schema: infer S } ? S : never };

/** The export's schema, from {@link EXPORT_OPTIONS}: an unknown field is refused. */
export const exportOptionsSchema = z
  .object(Object.fromEntries(Object.entries(EXPORT_OPTIONS).map(([k, d]) => [k, d.schema])) as Schemas<typeof EXPORT_OPTIONS>)
  .strict();

/** Export options as given. */
export type ExportOptionsInput = z.input<typeof exportOptionsSchema>;
/** Export options with defaults applied. */
export type ExportOptions = z.output<typeof exportOptionsSchema>;

import type { Argv, CommandModule } from 'yargs';
import { redactSecrets, rememberEnvironmentSecrets } from '../graph/errors.js';
import { JobError } from '../job/errors.js';
import { ExitCode } from '../job/exit-codes.js';
import { loadJobFile } from '../job/job-file.js';
import { authKinds, GRAPH_READ_BUDGET, GRAPH_WRITE_BUDGET } from '../job/options.js';
import { planJob, runJob } from '../job/run-job.js';
import { ResultsFile } from '../report/results-file.js';

/** Flags of `graph-bulk run`, as yargs parses them (kebab-case flags arrive camelCased). */
interface RunArgs {
  job?: string;
  manifest?: string;
  format?: string;
  delimiter?: string;
  encoding?: string;
  results?: string;
  resume?: string;
  drainTimeoutMs?: number;
  mode?: string;
  batchSize?: number;
  concurrency?: string;
  writeBurst?: number;
  writeRefill?: number;
  writeBudget?: boolean;
  readFirst?: boolean;
  sendAll?: boolean;
  verify?: boolean;
  readBurst?: number;
  readRefill?: number;
  readBudget?: boolean;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  timeoutMs?: number;
  graphUrl?: string;
  cloud?: string;
  apiVersion?: string;
  allowUnknownHost?: boolean;
  auth?: string;
  tenantId?: string;
  clientId?: string;
  authorityHost?: string;
  allowDuplicates?: boolean;
  allowMdmProperties?: boolean;
  clearToken?: string;
  dryRun?: boolean;
  maxErrors?: string;
  throttlePriority?: string;
  logFormat?: string;
  progress?: boolean;
  emulator?: boolean;
  emulatorDevices?: string;
  name?: string;
  redis?: string;
  shard?: string;
}

/** Flags copied as they are onto the job options (same name). */
const PLAIN = [
  'manifest',
  'format',
  'delimiter',
  'encoding',
  'results',
  'resume',
  'drainTimeoutMs',
  'mode',
  'batchSize',
  'maxRetries',
  'retryBaseDelayMs',
  'timeoutMs',
  'graphUrl',
  'cloud',
  'apiVersion',
  'allowUnknownHost',
  'auth',
  'tenantId',
  'clientId',
  'authorityHost',
  'allowDuplicates',
  'allowMdmProperties',
  'clearToken',
  'dryRun',
  'throttlePriority',
  'logFormat',
  'progress',
  'name',
  'redis',
  'shard',
  'readFirst',
  'sendAll',
  'verify',
] as const;

/** Merges `--<kind>-burst` / `--<kind>-refill` / `--no-<kind>-budget` into a budget option. */
function mergeBudget(
  current: unknown,
  off: boolean | undefined,
  burst: number | undefined,
  refill: number | undefined,
  fallback: object,
): unknown {
  if (off === false) return false;
  if (burst === undefined && refill === undefined) return current;
  return {
    ...((typeof current === 'object' && current) || fallback),
    ...(burst !== undefined ? { burst } : {}),
    ...(refill !== undefined ? { refillPerSecond: refill } : {}),
  };
}

/**
 * Merges a job file's fields with the flags given on the command line (flags win). Only flags the
 * user typed are present in `args` (no yargs defaults), so a job file's value stands unless overridden.
 */
export function mergeRunOptions(fromFile: Record<string, unknown>, args: RunArgs): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fromFile };
  for (const k of PLAIN) if (args[k] !== undefined) out[k] = args[k];
  if (args.concurrency !== undefined) out.concurrency = /^\d+$/.test(args.concurrency) ? Number(args.concurrency) : args.concurrency;
  if (args.maxErrors !== undefined) out.maxErrors = /^\d+$/.test(args.maxErrors) ? Number(args.maxErrors) : args.maxErrors;
  const writeBudget = mergeBudget(out.writeBudget, args.writeBudget, args.writeBurst, args.writeRefill, GRAPH_WRITE_BUDGET);
  if (writeBudget !== undefined) out.writeBudget = writeBudget;
  const readBudget = mergeBudget(out.readBudget, args.readBudget, args.readBurst, args.readRefill, GRAPH_READ_BUDGET);
  if (readBudget !== undefined) out.readBudget = readBudget;
  if (args.emulator || args.emulatorDevices) {
    out.emulator = { ...((out.emulator as object) ?? {}), ...(args.emulatorDevices ? { devices: args.emulatorDevices } : {}) };
  }
  return out;
}

/**
 * The options shared by `graph-bulk run` and `graph-bulk plan`: a job file and every job option as a flag.
 * Only flags the user typed end up in the parsed args (no yargs defaults), so a job file's values stand.
 */
export function jobOptionsBuilder(y: Argv): Argv<RunArgs> {
  return y
    .positional('job', { type: 'string', describe: 'Job file (JSON) with the same options as the flags; flags override it' })
    .option('manifest', { alias: 'm', type: 'string', describe: 'Manifest: .csv, .json (array) or .jsonl' })
    .option('format', { type: 'string', choices: ['csv', 'json', 'jsonl'], describe: 'Manifest format (default: by extension)' })
    .option('delimiter', { type: 'string', describe: 'CSV delimiter (default: the sep= line, else detected)' })
    .option('encoding', { type: 'string', choices: ['utf-8', 'windows-1252'], describe: 'Manifest encoding when there is no BOM' })
    .option('results', { alias: 'o', type: 'string', describe: 'Results file, .csv or .jsonl (default results/<job>-<UTC time>.csv)' })
    .option('resume', { type: 'string', describe: 'Previous results file of this manifest: rows updated there are not sent again' })
    .option('drain-timeout-ms', {
      type: 'number',
      describe: 'After Ctrl-C/SIGTERM or an abort, how long requests in flight may finish, ms (default 10000)',
    })
    .option('mode', {
      type: 'string',
      choices: ['batch', 'single'],
      describe: 'batch: PATCHes in $batch requests (default); single: one PATCH per row',
    })
    .option('batch-size', { type: 'number', describe: 'PATCH requests per $batch, 1-20 (default 20)' })
    .option('concurrency', {
      type: 'string',
      describe:
        'Most HTTP requests in flight: auto (default: from the write budget and the latency measured, at most 32; 8 without a budget) or a number (the cap)',
    })
    .option('write-burst', { type: 'number', describe: "Write budget burst (default 3000, Graph's)" })
    .option('write-refill', { type: 'number', describe: "Write budget refill, writes per second (default 20, Graph's)" })
    .option('write-budget', { type: 'boolean', describe: 'Pace writes to the budget (--no-write-budget: off; 429s still honoured)' })
    .option('read-first', {
      type: 'boolean',
      describe:
        'Read each device first (GETs in $batch): skip unchanged rows, send only what differs, save a rollback manifest (default on; --no-read-first sends rows blind)',
    })
    .option('send-all', { type: 'boolean', describe: 'With read-first: send every property as given, unchanged ones too' })
    .option('verify', {
      type: 'boolean',
      describe: 'Read each device back after writing: updated only if the values are there, else not-applied',
    })
    .option('read-burst', {
      type: 'number',
      describe: "Read budget burst in resource units (default 3500, Graph's per 10 s for small tenants)",
    })
    .option('read-refill', { type: 'number', describe: 'Read budget refill, units per second (default 350)' })
    .option('read-budget', { type: 'boolean', describe: 'Pace reads to the read budget (--no-read-budget: off; 429s still honoured)' })
    .option('max-retries', { type: 'number', describe: 'Retries per row for 429/503/504/409/network errors (default 8)' })
    .option('retry-base-delay-ms', {
      type: 'number',
      describe: 'Backoff before the first retry when there is no Retry-After, ms; doubles per attempt (default 1000)',
    })
    .option('timeout-ms', { type: 'number', describe: 'Per-request timeout in ms (default 30000)' })
    .option('graph-url', { type: 'string', describe: 'Graph base URL (default https://graph.microsoft.com); http only for loopback' })
    .option('cloud', { type: 'string', choices: ['global', 'usgov', 'usgov-dod', 'china'], describe: 'National cloud (default global)' })
    .option('api-version', { type: 'string', choices: ['v1.0', 'beta'], describe: 'Graph API version (default v1.0)' })
    .option('allow-unknown-host', {
      type: 'boolean',
      describe: 'Allow a --graph-url (or --authority-host) host that is not a known Graph root (Entra host)',
    })
    .option('auth', {
      type: 'string',
      choices: [...authKinds],
      describe: 'Credential (default: DefaultAzureCredential). GRAPH_ACCESS_TOKEN overrides',
    })
    .option('tenant-id', { type: 'string', describe: 'Tenant id (default AZURE_TENANT_ID)' })
    .option('client-id', { type: 'string', describe: 'App (client) id (default AZURE_CLIENT_ID)' })
    .option('authority-host', { type: 'string', describe: "Sign-in authority (https); default the cloud's" })
    .option('allow-duplicates', { type: 'boolean', describe: 'Apply several rows for one device in manifest order' })
    .option('allow-mdm-properties', { type: 'boolean', describe: 'Allow isCompliant / isManaged (Intune or an approved MDM app only)' })
    .option('clear-token', { type: 'string', describe: 'Cell text that clears an extension attribute (default #clear)' })
    .option('dry-run', { type: 'boolean', describe: 'Validate and plan every row; send nothing' })
    .option('max-errors', { type: 'string', describe: 'Abort (exit 2) when failed rows pass N or P%' })
    .option('throttle-priority', {
      type: 'string',
      choices: ['Low', 'Normal', 'High'],
      describe: 'x-ms-throttle-priority (default Normal)',
    })
    .option('log-format', { type: 'string', choices: ['text', 'json'], describe: 'Log lines as text or JSON (cron)' })
    .option('progress', { type: 'boolean', describe: 'Show progress (--no-progress to hide)' })
    .option('emulator', { type: 'boolean', describe: 'Run against the built-in Graph emulator (rehearsal)' })
    .option('emulator-devices', { type: 'string', describe: 'Device inventory for the built-in emulator (Graph list JSON)' })
    .option('name', { type: 'string', describe: 'Job name for the default results file name' })
    .option('redis', {
      type: 'string',
      describe: 'Redis URL (default REDIS_URL): one write budget shared by every job of this app in this tenant',
    })
    .option('shard', {
      type: 'string',
      describe: 'Run only shard i of n of the rows: i/n (e.g. 2/4), or auto/n (Kubernetes JOB_COMPLETION_INDEX)',
    }) as unknown as Argv<RunArgs>;
}

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

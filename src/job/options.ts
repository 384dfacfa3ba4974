import { z } from 'zod';
import { AUTO_CONCURRENCY_CAP, AUTO_UNPACED_CONCURRENCY } from '../schedule/pacing.js';
import { type OptionDeclaration, option } from './option-declaration.js';

/**
 * The options of a graph-bulk job: the same names in a job file (camelCase JSON) and as CLI flags
 * (kebab-case), declared once in {@link JOB_OPTIONS}. Defaults are stated there once; `parseJobOptions`
 * applies them.
 *
 * Graph's own limits behind the defaults (see docs/graph-behaviour.md):
 * - `batchSize` ≤ 20: `$batch` takes at most 20 requests (learn.microsoft.com/en-us/graph/json-batching).
 * - `writeBudget`: 3,000 writes per 150 s per app per tenant, i.e. a burst of 3,000 and a refill of
 *   20 writes/s (learn.microsoft.com/en-us/graph/throttling-limits, identity and access service).
 */
export const writeBudgetSchema = z
  .object({
    /** Writes that may be sent at once from a full budget. */
    burst: z.number().int().positive(),
    /** Writes per second added back to the budget. */
    refillPerSecond: z.number().positive(),
  })
  .strict();

/** A write budget: a token bucket of `burst` writes refilled at `refillPerSecond` writes per second. */
export type WriteBudgetSettings = z.infer<typeof writeBudgetSchema>;

/** Graph's documented app+tenant write budget for devices: 3,000 writes per 150 s. */
export const GRAPH_WRITE_BUDGET: WriteBudgetSettings = { burst: 3000, refillPerSecond: 20 };

/**
 * Graph's resource-unit budget for one app in one tenant (identity and access service), for the
 * smallest tenants (under 50 users): 3,500 units per 10 s, i.e. a burst of 3,500 and a refill of 350
 * units/s. A device GET costs 1 unit (`$select` takes one off, never below 1). Larger tenants get
 * 5,000 (50–500 users) or 8,000 (over 500) per 10 s. Source: docs/graph-behaviour.md §3;
 * learn.microsoft.com/en-us/graph/throttling-limits (identity and access service, resource units).
 */
export const GRAPH_READ_BUDGET: WriteBudgetSettings = { burst: 3500, refillPerSecond: 350 };
/** Graph's device write budget per signed-in user per tenant (delegated runs): 25 writes per 10 s = a burst of 25 and 2.5 writes/s (docs/graph-behaviour.md §3). */
export const GRAPH_USER_WRITE_BUDGET: WriteBudgetSettings = { burst: 25, refillPerSecond: 2.5 };
/** Graph's write budget per tenant, all apps together: 18,000 writes per 5 min = a burst of 18,000 and 60 writes/s (docs/graph-behaviour.md §3). */
export const GRAPH_TENANT_WRITE_BUDGET: WriteBudgetSettings = { burst: 18_000, refillPerSecond: 60 };
/** Graph's write budget per app, all tenants together: 35,000 writes per 5 min = a burst of 35,000 and 116.7 writes/s (docs/graph-behaviour.md §3). */
export const GRAPH_APP_WRITE_BUDGET: WriteBudgetSettings = { burst: 35_000, refillPerSecond: 35_000 / 300 };

/** Settings of the built-in emulator when a job runs against it (`emulator` option). */
export const emulatorJobSchema = z
  .object({
    /** Device inventory: Graph's list shape `{"value":[…]}` or a JSON array; default a generated one. */
    devices: z.string().optional(),
    /** The emulator's own write budget (what "Graph" enforces); default Graph's documented one. */
    writeBudget: z.union([writeBudgetSchema, z.literal(false)]).optional(),
    /** The emulator's resource-unit budget for reads (one unit per GET); default none. */
    readBudget: z.union([writeBudgetSchema, z.literal(false)]).optional(),
    /** Latency added to every request, in ms. */
    latencyMs: z.number().nonnegative().optional(),
    /** Seed for the emulator's randomness (response order, faults). */
    seed: z.number().int().optional(),
    /** Run as an app-only caller (Graph's non-Windows rule applies). Default true. */
    appOnly: z.boolean().optional(),
  })
  .strict();

const maxErrorsSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?%$|^\d+$/, 'a count (e.g. 100) or a percentage (e.g. 5%)'),
]);

export const authKinds = [
  'default',
  'environment',
  'client-secret',
  'client-certificate',
  'managed-identity',
  'workload-identity',
  'azure-cli',
] as const;

/**
 * Merges `--<kind>-burst` / `--<kind>-refill` / `--no-<kind>-budget` into a budget option: `false`
 * for `--no-…-budget`; the job file's budget (or `fallback`) with the burst or refill typed; else
 * undefined (the job file's value stands).
 */
function budgetFlags<K extends 'write' | 'read' | 'userWrite' | 'tenantWrite' | 'appWrite'>(
  kind: K,
  fallback: WriteBudgetSettings,
  texts: { burst: string; refill: string; off: string },
) {
  const burstKey = `${kind}Burst`;
  const refillKey = `${kind}Refill`;
  const offKey = `${kind}Budget`;
  type Flags = { [P in `${K}Burst` | `${K}Refill`]: { type: 'number'; describe: string } } & {
    [P in `${K}Budget`]: { type: 'boolean'; describe: string; negated: true };
  };
  return {
    flags: {
      [burstKey]: { type: 'number', describe: texts.burst },
      [refillKey]: { type: 'number', describe: texts.refill },
      [offKey]: { type: 'boolean', describe: texts.off, negated: true },
    } as Flags,
    merge: (args: Record<string, unknown>, current: unknown): unknown => {
      if (args[offKey] === false) return false;
      const burst = args[burstKey] as number | undefined;
      const refill = args[refillKey] as number | undefined;
      if (burst === undefined && refill === undefined) return undefined;
      return {
        ...((typeof current === 'object' && current) || fallback),
        ...(burst !== undefined ? { burst } : {}),
        ...(refill !== undefined ? { refillPerSecond: refill } : {}),
      };
    },
  };
}

/**
 * `--set name=value` flags (one or several) as the `set` option. The value is cell text, as in a
 * manifest (`false`, `#clear`).
 * @throws Error for a flag without `=` or without a name.
 */
export function parseSetFlags(value: string | string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(value) ? value : [value]) {
    const eq = String(item).indexOf('=');
    if (eq <= 0) throw new Error(`--set ${JSON.stringify(item)}: write property=value, e.g. --set extensionAttribute3=kiosk`);
    out[String(item).slice(0, eq).trim()] = String(item).slice(eq + 1);
  }
  return out;
}

/** A flag's text as a number when it is all digits (`--concurrency 12`), else as it is (`auto`, `5%`). */
const numberOrText = (text: string): number | string => (/^\d+$/.test(text) ? Number(text) : text);

/**
 * EVERY JOB OPTION, DECLARED ONCE. From this list come the job file's schema (`jobOptionsSchema`,
 * `JobOptions`), the flags of `graph-bulk run` and `graph-bulk plan` (their types included:
 * `RunArgs` in src/cli/job-flags.ts) and the README's options table (`npm run docs:options`).
 *
 * To add an option, add ONE entry here (with a docstring above it: what it does, units, the
 * docs/graph-behaviour.md section of any Graph behaviour behind it):
 *
 *     maxChanges: option({
 *       schema: z.number().int().positive().optional(),   // or .default(…): the default lives here only
 *       describe: 'Stop before writing when more rows than this would change',   // --help and README
 *     }),
 *
 * A boolean, number, string or enum schema gets one flag, `--max-changes` (camelCase name → kebab
 * flag), typed and described from this entry; `--no-<flag>` negates a boolean. Declare `cli` only for
 * the unusual: `{ type: 'string', parse }` for a union typed as text (`--concurrency auto|12`),
 * `{ flags, merge }` for several flags making one value (the budgets), `false` for a job-file-only
 * field. Then run `npm run docs:options` to regenerate the README's table (a test fails until it is
 * current) and read the option in the job code as `options.maxChanges`.
 */
export const JOB_OPTIONS = {
  /** Job name, used in the default results file name. Default: the job file's or manifest's base name. */
  name: option({
    schema: z
      .string()
      .regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
    describe: 'Job name for the default results file name',
    shownDefault: "the job file's or manifest's base name",
  }),
  /** A description for humans; ignored by the tool. */
  description: option({ schema: z.string().optional(), describe: 'A description for humans; ignored', cli: false }),
  /** Path of the manifest (CSV, JSON array or JSON Lines). */
  manifest: option({ schema: z.string().min(1), describe: 'Manifest: .csv, .json (array) or .jsonl', alias: 'm' }),
  /**
   * A query instead of a manifest (docs/queries-and-stale-devices.md): the devices an OData `$filter`
   * matches (`operatingSystem eq 'Windows' and startswith(displayName,'KIOSK-')`), read page by page
   * (docs/graph-behaviour.md §5), each getting the `set` values. The query is resolved to a manifest
   * file beside the results file, so resume, plan, verify and rollback work as for any manifest.
   */
  filter: option({
    schema: z.string().min(1).optional(),
    describe: 'Devices by OData $filter instead of a manifest, e.g. "operatingSystem eq \'Windows\'" (with --set)',
  }),
  /**
   * With `filter`: the values every matching device gets, property → value (`{"extensionAttribute3":
   * "kiosk", "accountEnabled": false}`; `null` or the clear token clears an extension attribute). On the
   * command line `--set extensionAttribute3=kiosk`, once per property.
   */
  set: option({
    schema: z.record(z.string(), z.union([z.string(), z.boolean(), z.null()])).optional(),
    describe: 'With --filter: property=value for every matching device, once per property (--set extensionAttribute3=kiosk)',
    cli: { type: 'string', parse: (value: string | string[]) => parseSetFlags(value) },
  }),
  /**
   * The blast radius: after reading, when more devices would change than this count (`500`) or
   * percentage of the rows (`10%`), stop before any write (exit 3) and say how many. Default off for a
   * manifest; for a query job `1000` unless given (`false` turns it off).
   */
  maxChanges: option({
    schema: z
      .union([
        z.number().int().nonnegative(),
        z.string().regex(/^\d+(\.\d+)?%$|^\d+$/, 'a count (e.g. 500) or a percentage (e.g. 10%)'),
        z.literal(false),
      ])
      .optional(),
    describe: 'Stop before any write (exit 3) when more devices than N or P% would change',
    shownDefault: 'off; 1000 for --filter jobs and graph-bulk stale',
    cli: { type: 'string', parse: (value: string) => (value === 'false' || value === 'off' ? false : numberOrText(value)) },
  }),
  /**
   * Write the first N rows to change, read them back, and go on only if all are `updated`; otherwise
   * stop (exit 2) with the other rows `skipped`.
   */
  canary: option({
    schema: z.number().int().positive().optional(),
    describe: 'Write the first N rows, verify them by read-back, go on only if all are updated (else exit 2)',
  }),
  /** Manifest format; default chosen by the file extension. */
  format: option({
    schema: z.enum(['csv', 'json', 'jsonl']).optional(),
    describe: 'Manifest format',
    shownDefault: 'by extension',
  }),
  /** CSV delimiter; default the `sep=` line, else detected from the header line. */
  delimiter: option({
    schema: z.string().min(1).max(1).optional(),
    describe: 'CSV delimiter',
    shownDefault: 'the `sep=` line, else detected',
  }),
  /** Manifest text encoding when there is no BOM: `utf-8` (default) or `windows-1252`. */
  encoding: option({
    schema: z.enum(['utf-8', 'windows-1252']).optional(),
    describe: 'Manifest encoding when there is no BOM',
    shownDefault: '`utf-8`',
  }),
  /** Results file path (`.csv` or `.jsonl`), or a folder (ending in `/`) for `<folder>/<name>-<UTC time>.csv`;
   * default `results/<name>-<UTC time>.csv`. An existing file is never overwritten. */
  results: option({
    schema: z.string().optional(),
    describe: 'Results file, .csv or .jsonl, or a folder ending in /; an existing file is never overwritten',
    shownDefault: '`results/<job>-<UTC time>.csv`',
    alias: 'o',
  }),
  /**
   * A previous results file of the same manifest: its rows recorded `updated` are not sent again (their
   * lines are copied into the new results file); every other row runs. Checked against the manifest's
   * SHA-256 in the file's sidecar `<file>.meta.json`; another manifest stops the job before any request.
   */
  resume: option({
    schema: z.string().min(1).optional(),
    describe: 'Previous results file of this manifest: rows updated there are not sent again',
  }),
  /**
   * After a stop (SIGINT/SIGTERM, `maxErrors`, an unwritable results file), how long requests already in
   * flight may still take, in ms; then they are abandoned and their rows recorded `skipped` (they run
   * again on resume). Default 10,000.
   */
  drainTimeoutMs: option({
    schema: z.number().int().nonnegative().default(10_000),
    describe: 'After Ctrl-C/SIGTERM or an abort, how long requests in flight may still finish, ms',
  }),
  /** `batch` (default): PATCHes packed into `$batch` requests; `single`: one PATCH per row. */
  mode: option({
    schema: z.enum(['batch', 'single']).default('batch'),
    describe: 'batch: up to --batch-size PATCHes per POST /$batch; single: one PATCH per row',
  }),
  /** PATCH requests per `$batch`, 1–20. Default 20. */
  batchSize: option({
    schema: z.number().int().min(1).max(20).default(20),
    describe: "PATCH requests per $batch, 1-20 (Graph's $batch limit is 20)",
  }),
  /**
   * Most HTTP requests in flight at once. `auto` (default): as many as the write budget needs at the
   * latency measured (Little's law: writes/s × latency ÷ writes per request, with 50 % headroom),
   * at most {@link AUTO_CONCURRENCY_CAP} (32); a number caps that figure instead. Without a write
   * budget there is no rate to aim at: the number in flight is the number given, or 8 for `auto`.
   */
  concurrency: option({
    schema: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    describe:
      'Most HTTP requests in flight: auto sizes it from the write budget and the latency measured, at most 32 (8 without a budget); a number caps it',
    cli: { type: 'string', parse: numberOrText },
  }),
  /** The client-side write budget; `false` turns pacing off (429s still honoured). Default Graph's. */
  writeBudget: option({
    schema: z.union([writeBudgetSchema, z.literal(false)]).default(GRAPH_WRITE_BUDGET),
    describe:
      'The write budget: a burst of writes and a refill in writes/s (Graph: 3,000 writes per 150 s per app per tenant); --no-write-budget turns pacing off (429s still honoured)',
    shownDefault: '3000, 20',
    cli: budgetFlags('write', GRAPH_WRITE_BUDGET, {
      burst: "Write budget burst (default 3000, Graph's)",
      refill: "Write budget refill, writes per second (default 20, Graph's)",
      off: 'Pace writes to the budget (--no-write-budget: off; 429s still honoured)',
    }),
  }),
  /**
   * The per-user write budget of a delegated run (a token with `scp`, no `roles`): Graph allows 25
   * device writes per 10 s per user per tenant (docs/graph-behaviour.md §3). Default: Graph's (burst 25,
   * 2.5 writes/s), applied automatically when the token is delegated and said in the log; ignored for
   * app-only tokens; `false` (`--no-user-write-budget`) turns it off.
   */
  userWriteBudget: option({
    schema: z.union([writeBudgetSchema, z.literal(false)]).optional(),
    describe:
      'The per-user write budget of a delegated run (Graph: 25 writes per 10 s per user per tenant), applied when the token is delegated; --no-user-write-budget turns it off',
    shownDefault: '25, 2.5 when delegated',
    cli: budgetFlags('userWrite', GRAPH_USER_WRITE_BUDGET, {
      burst: "Per-user write budget burst (default 25, Graph's, delegated runs only)",
      refill: "Per-user write budget refill, writes per second (default 2.5, Graph's)",
      off: 'Pace a delegated run to the per-user budget (--no-user-write-budget: off)',
    }),
  }),
  /**
   * The tenant-wide write budget this job may spend (Graph: 18,000 writes per 5 min for all apps of a
   * tenant, docs/graph-behaviour.md §3), for a tenant where other apps write too. Default: not paced
   * (a job's own app+tenant budget is tighter); a 429 of scope `Tenant` still slows the run.
   */
  tenantWriteBudget: option({
    schema: z.union([writeBudgetSchema, z.literal(false)]).optional(),
    describe: 'A tenant-wide write budget to pace to as well (Graph: 18,000 writes per 5 min, all apps of the tenant)',
    shownDefault: 'off',
    cli: budgetFlags('tenantWrite', GRAPH_TENANT_WRITE_BUDGET, {
      burst: 'Tenant-wide write budget burst (Graph: 18000)',
      refill: 'Tenant-wide write budget refill, writes per second (Graph: 60)',
      off: 'Pace to a tenant-wide write budget (--no-tenant-write-budget: off)',
    }),
  }),
  /**
   * The application-wide write budget (Graph: 35,000 writes per 5 min for one app across all tenants,
   * docs/graph-behaviour.md §3): what an MSP running one app over many tenants meets first. Default:
   * not paced for one tenant; with `--redis`, jobs of the app in every tenant share it.
   */
  appWriteBudget: option({
    schema: z.union([writeBudgetSchema, z.literal(false)]).optional(),
    describe: 'An application-wide write budget to pace to as well (Graph: 35,000 writes per 5 min, one app in all tenants)',
    shownDefault: 'off',
    cli: budgetFlags('appWrite', GRAPH_APP_WRITE_BUDGET, {
      burst: 'Application-wide write budget burst (Graph: 35000)',
      refill: 'Application-wide write budget refill, writes per second (Graph: 116.7)',
      off: 'Pace to an application-wide write budget (--no-app-write-budget: off)',
    }),
  }),
  /** Read each device's current state first (GETs in `$batch`, paced by `readBudget`): rows already
   * at their target are `unchanged` and cost no write, only differing properties are sent, and a
   * rollback manifest is saved beside the results file. `false`: send every row as given, blind. Default true. */
  readFirst: option({
    schema: z.boolean().default(true),
    describe:
      'Read each device first (GETs in $batch): skip unchanged rows, send only what differs, save a rollback manifest; --no-read-first sends rows blind',
  }),
  /** With `readFirst`: send every property of a row as given, also unchanged ones (rows already at
   * their target are still written). Default false. */
  sendAll: option({
    schema: z.boolean().default(false),
    describe: 'With read-first: send every property as given, unchanged ones too',
  }),
  /** After each write, read the device back and record `updated` only if the values are there,
   * else `not-applied`. Default false. */
  verify: option({
    schema: z.boolean().default(false),
    describe: 'Read each device back after writing: updated only if the values are there, else not-applied',
  }),
  /** The client-side read budget in resource units (one per GET); `false` turns read pacing off.
   * Default Graph's for the smallest tenants ({@link GRAPH_READ_BUDGET}). */
  readBudget: option({
    schema: z.union([writeBudgetSchema, z.literal(false)]).default(GRAPH_READ_BUDGET),
    describe:
      'The read budget in resource units (Graph: 3,500 per 10 s per app per tenant under 50 users); --no-read-budget turns read pacing off',
    shownDefault: '3500, 350',
    cli: budgetFlags('read', GRAPH_READ_BUDGET, {
      burst: "Read budget burst in resource units (default 3500, Graph's per 10 s for small tenants)",
      refill: 'Read budget refill, units per second (default 350)',
      off: 'Pace reads to the read budget (--no-read-budget: off; 429s still honoured)',
    }),
  }),
  /** Retries per row after its first attempt (429, 503, 504, 409 concurrency, network errors). Default 8. */
  maxRetries: option({
    schema: z.number().int().min(0).max(100).default(8),
    describe: 'Retries per row for 429, 503, 504, 409 Directory_ConcurrencyViolation, dropped connections and timeouts',
  }),
  /**
   * First retry's backoff when Graph sends no `Retry-After`, in ms; it doubles per attempt (with
   * jitter, half to all of it) up to 60 s. Default 1,000. A `Retry-After` is always waited in full.
   */
  retryBaseDelayMs: option({
    schema: z.number().int().min(1).max(60_000).default(1000),
    describe: 'Backoff before the first retry when Graph sends no Retry-After, ms; doubles per retry (with jitter) up to 60 s',
  }),
  /**
   * The longest `Retry-After` the run waits for, ms. Default 600,000 (10 minutes). A longer one stops
   * the run (exit 2, the rows left `skipped`, resumable) naming the value, rather than hanging it.
   */
  maxRetryAfterMs: option({
    schema: z.number().int().min(1).max(2_147_483_647).default(600_000),
    describe: 'Longest Retry-After waited for, ms; a longer one stops the run (exit 2, resumable) naming it',
  }),
  /**
   * Largest response body read, bytes. Default 16 MiB (Graph's answers are kilobytes). A larger one
   * fails that request (`ResponseTooLarge`, not retried).
   */
  maxResponseBytes: option({
    schema: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    describe: 'Largest response body read, bytes; a larger one fails that request (ResponseTooLarge)',
  }),
  /** Per-request timeout in ms. Default 30,000. */
  timeoutMs: option({ schema: z.number().int().positive().default(30_000), describe: 'Per-request timeout, ms' }),
  /**
   * Stop the run (exit 2) when no request has succeeded for this long mid-run, in ms: an outage of
   * Graph, the proxy or the network. The rows not done are recorded `skipped` (they run again on
   * resume). Default 300,000 (5 minutes). Before a first success a dead path stops sooner (exit 3).
   */
  outageTimeoutMs: option({
    schema: z.number().int().positive().default(300_000),
    describe: 'Stop (exit 2, the rest skipped and resumable) when no request has succeeded for this long mid-run, ms',
  }),
  /**
   * Forward proxy for Graph and sign-in requests, `http://[user:password@]host:port`; default
   * `HTTPS_PROXY` / `HTTP_PROXY` (either case), with `NO_PROXY` hosts sent direct. Prefer the variable
   * when the URL holds a password. See docs/company-network.md.
   */
  proxy: option({
    schema: z.string().min(1).optional(),
    describe: 'Forward proxy for Graph and sign-in: http://host:port, user:password@ before the host to authenticate (NO_PROXY applies)',
    shownDefault: '`HTTPS_PROXY` / `HTTP_PROXY`',
  }),
  /**
   * A PEM bundle of CA certificates to trust beside Node's own and `NODE_EXTRA_CA_CERTS` (a company CA
   * that inspects TLS), for Graph and sign-in requests. See docs/company-network.md.
   */
  caFile: option({
    schema: z.string().min(1).optional(),
    describe: "PEM file of CA certificates to trust too (the company's TLS inspection CA), for Graph and sign-in",
    shownDefault: 'none (`NODE_EXTRA_CA_CERTS` also applies)',
  }),
  /** Base URL of Graph (scheme and host only). Default the cloud's Graph root. */
  graphUrl: option({
    schema: z.string().optional(),
    describe: 'Graph base URL; http only for loopback',
    shownDefault: "the cloud's (`https://graph.microsoft.com`)",
  }),
  /** National cloud: picks the Graph root and the sign-in authority. Default `global`. */
  cloud: option({
    schema: z.enum(['global', 'usgov', 'usgov-dod', 'china']).default('global'),
    describe: 'National cloud: the Graph root and the sign-in authority',
  }),
  /** Graph API version. Default `v1.0`. */
  apiVersion: option({ schema: z.enum(['v1.0', 'beta']).default('v1.0'), describe: 'Graph API version' }),
  /** Allow a `graphUrl` host that is not a known Graph root (tokens would be sent there), or an
   * `authorityHost` that is not a known Entra sign-in host (secrets would be sent there). Default false. */
  allowUnknownHost: option({
    schema: z.boolean().default(false),
    describe: 'Allow a --graph-url (or --authority-host) host that is not a known Graph root (Entra host)',
  }),
  /** Sign-in: which @azure/identity credential. Ignored when GRAPH_ACCESS_TOKEN is set. Default `default`. */
  auth: option({
    schema: z.enum(authKinds).default('default'),
    describe: 'Credential (default: DefaultAzureCredential); GRAPH_ACCESS_TOKEN overrides',
  }),
  /** Directory (tenant) id; default AZURE_TENANT_ID. */
  tenantId: option({ schema: z.string().optional(), describe: 'Tenant id', shownDefault: '`AZURE_TENANT_ID`' }),
  /** Application (client) id; default AZURE_CLIENT_ID. */
  clientId: option({ schema: z.string().optional(), describe: 'App (client) id', shownDefault: '`AZURE_CLIENT_ID`' }),
  /** Sign-in authority host (https); default the cloud's. */
  authorityHost: option({ schema: z.string().optional(), describe: 'Sign-in authority (https)', shownDefault: "the cloud's" }),
  /** Several rows for one device: apply them in manifest order instead of marking later ones invalid. */
  allowDuplicates: option({
    schema: z.boolean().default(false),
    describe: 'Apply several rows for one device in manifest order (else later ones are invalid)',
  }),
  /** Allow the MDM-owned `isCompliant` / `isManaged` columns (only Intune or an approved MDM app may set them). */
  allowMdmProperties: option({
    schema: z.boolean().default(false),
    describe: 'Allow isCompliant / isManaged (Intune or an approved MDM app only)',
  }),
  /**
   * Skip manifest columns that are not updatable device properties (the read-only columns of the
   * Entra portal's "Download devices" CSV and of `Get-MgDevice | Export-Csv`, and isCompliant /
   * isManaged unless allowed), naming them in the log, instead of stopping. Default false.
   */
  ignoreReadOnlyColumns: option({
    schema: z.boolean().default(false),
    describe: 'Skip columns that are not updatable (portal and PowerShell exports), named in the log, instead of stopping',
  }),
  /**
   * Delimiter of the results, errors and rollback CSVs: `manifest` (default: the manifest's own, `,`
   * for JSON manifests, so that Excel in a `;` locale splits the columns), or `,` `;` `tab` `|`.
   */
  resultsDelimiter: option({
    schema: z.enum(['manifest', ',', ';', 'tab', '|']).default('manifest'),
    describe: "Delimiter of the results, errors and rollback CSVs: the manifest's own, or , ; tab |",
  }),
  /**
   * At the end, post a short summary card (outcomes, exit code, duration, where the results are) to
   * this Teams or Slack incoming webhook URL. Retried briefly; never fails the job. The URL is a
   * secret: it is never logged.
   */
  notify: option({
    schema: z.string().url().optional(),
    describe: 'Post a summary card to this Teams or Slack incoming webhook URL at the end (never fails the job)',
  }),
  /** The webhook's JSON shape: `auto` (default: Slack for hooks.slack.com, else Teams), `teams` or `slack`. */
  notifyFormat: option({
    schema: z.enum(['auto', 'teams', 'slack']).default('auto'),
    describe: 'Webhook JSON shape for --notify: auto (by host), teams or slack',
  }),
  /** The cell text that clears an extension attribute (sends JSON null). Default `#clear`. */
  clearToken: option({ schema: z.string().min(1).default('#clear'), describe: 'Cell text that clears an extension attribute' }),
  /** Validate and plan every row, send nothing. */
  dryRun: option({ schema: z.boolean().default(false), describe: 'Validate and plan every row; send nothing' }),
  /** Abort (exit 2) when failed rows pass this count or percentage of rows attempted, e.g. 100 or "5%". */
  maxErrors: option({
    schema: maxErrorsSchema.optional(),
    describe: 'Abort (exit 2) when failed rows pass N, or P% of rows attempted',
    shownDefault: 'none',
    cli: { type: 'string', parse: numberOrText },
  }),
  /** `x-ms-throttle-priority` sent with every request. Default `Normal`. */
  throttlePriority: option({
    schema: z.enum(['Low', 'Normal', 'High']).default('Normal'),
    describe: 'x-ms-throttle-priority sent with every request',
  }),
  /** Log lines as text (default) or JSON objects, one per line (for cron). */
  logFormat: option({ schema: z.enum(['text', 'json']).default('text'), describe: 'Log lines as text or JSON objects (cron)' }),
  /** Show progress on stderr. Default true. */
  progress: option({ schema: z.boolean().default(true), describe: 'Show progress on stderr (--no-progress to hide)' }),
  /** Redis URL (`redis://…` or `rediss://…`; default REDIS_URL): share one write budget, and 429 pauses,
   * with every job of the same app in the same tenant, in any process or machine. Prefer REDIS_URL
   * when the URL holds a password. */
  redis: option({
    schema: z
      .string()
      .regex(/^rediss?:\/\/\S+$/i, 'a redis:// or rediss:// URL')
      .optional(),
    describe: 'Redis URL: one write budget (and 429 pauses) shared by every job of this app in this tenant',
    shownDefault: '`REDIS_URL`',
  }),
  /** Run only shard i of n of the manifest's rows (`i/n`, e.g. `2/4`), or `auto/n` to take i from
   * Kubernetes' JOB_COMPLETION_INDEX. Rows of other shards get no line in this results file. */
  shard: option({
    schema: z
      .string()
      .regex(/^\s*(auto|\d+)\s*\/\s*\d+\s*$/i, 'i/n (e.g. 2/4) or auto/n')
      .optional(),
    describe: 'Run only shard i of n of the rows: i/n (e.g. 2/4), or auto/n (Kubernetes JOB_COMPLETION_INDEX)',
  }),
  /**
   * Many tenants, one app (an MSP): one job per tenant, run side by side, each with its own manifest
   * and results file (`results` default: `results/<name>-<tenant>-<UTC time>.csv`). Every tenant's
   * writes are also paced to the application-wide budget (Graph: 35,000 writes per 5 min for the app
   * in all tenants, docs/graph-behaviour.md §3) unless `appWriteBudget` says otherwise; with `redis`
   * the budgets nest in Redis (per user, per app+tenant, per tenant, per app: docs/budgets.md). Job file only.
   */
  tenants: option({
    schema: z
      .array(
        z
          .object({
            tenantId: z.string().min(1),
            manifest: z.string().min(1),
            results: z.string().optional(),
          })
          .strict(),
      )
      .min(1)
      .optional(),
    describe: 'Job file only: one job per tenant of one app, [{"tenantId","manifest","results"?}], sharing the app-wide budget',
    cli: false,
  }),
  /** Run against the built-in emulator started in-process (rehearsal, demo). */
  emulator: option({
    schema: emulatorJobSchema.optional(),
    describe: 'Run against the built-in Graph emulator instead of Graph (rehearsal); in a job file, its settings',
    cli: {
      flags: {
        emulator: { type: 'boolean', describe: 'Run against the built-in Graph emulator (rehearsal)' },
        emulatorDevices: { type: 'string', describe: 'Device inventory for the built-in emulator (Graph list JSON)' },
      },
      merge: (args, current) => {
        if (!args.emulator && !args.emulatorDevices) return undefined;
        return { ...((current as object) ?? {}), ...(args.emulatorDevices ? { devices: args.emulatorDevices } : {}) };
      },
    },
  }),
} satisfies Record<string, OptionDeclaration>;

type Schemas<O> = { [K in keyof O]: O[K] extends { schema: infer S } ? S : never };

/** The job file's schema, from {@link JOB_OPTIONS}: an unknown field is refused. */
export const jobOptionsSchema = z
  .object(Object.fromEntries(Object.entries(JOB_OPTIONS).map(([k, d]) => [k, d.schema])) as Schemas<typeof JOB_OPTIONS>)
  .strict();

/** Job options as written in a job file or given as flags (defaults not yet applied). */
export type JobOptionsInput = z.input<typeof jobOptionsSchema>;
/** Job options with every default applied. */
export type JobOptions = z.output<typeof jobOptionsSchema>;

/**
 * Parses and validates job options, applying defaults.
 * @param input job-file fields merged with flags (flags win).
 * @param source where the options came from, for the error message (e.g. `jobs/demo.json`).
 * @throws {Error} naming each bad field and why.
 */
export function parseJobOptions(input: unknown, source = 'options'): JobOptions {
  const parsed = jobOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') {
        // A job file is data: a field that is not an option ("shell", "preRun", a typo) is never run or guessed at.
        const where = i.path.length ? ` in ${i.path.join('.')}` : '';
        return `unknown option${i.keys.length === 1 ? '' : 's'}${where} ${i.keys.map((k) => JSON.stringify(k)).join(', ')} (see graph-bulk run --help for the options)`;
      }
      const field = i.path.join('.') || '(top level)';
      return `${field}: ${i.message}`;
    });
    throw new Error(`${source}: invalid job options: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * The most requests in flight the `concurrency` option allows: its number; for `auto`,
 * {@link AUTO_CONCURRENCY_CAP} (32) when writes are paced to a budget, {@link AUTO_UNPACED_CONCURRENCY}
 * (8) when they are not (`writeBudget: false`).
 */
export function concurrencyCap(concurrency: JobOptions['concurrency'], paced = true): number {
  if (concurrency !== 'auto') return concurrency;
  return paced ? AUTO_CONCURRENCY_CAP : AUTO_UNPACED_CONCURRENCY;
}

/**
 * Resolves `maxErrors` against the rows attempted so far.
 * @returns true when `failed` has passed the threshold (count: failed > n; percentage: failed > p% of
 *   `attempted`, judged only once at least 20 rows were attempted so one early failure cannot abort).
 */
export function maxErrorsExceeded(maxErrors: number | string | undefined, failed: number, attempted: number): boolean {
  if (maxErrors === undefined) return false;
  if (typeof maxErrors === 'number') return failed > maxErrors;
  if (maxErrors.endsWith('%')) {
    const pct = Number(maxErrors.slice(0, -1));
    return attempted >= 20 && (failed / attempted) * 100 > pct;
  }
  return failed > Number(maxErrors);
}

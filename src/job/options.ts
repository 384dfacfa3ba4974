import { z } from 'zod';
import { AUTO_CONCURRENCY_CAP, AUTO_UNPACED_CONCURRENCY } from '../schedule/pacing.js';

/**
 * The options of a graph-bulk job: the same names in a job file (camelCase JSON) and as CLI flags
 * (kebab-case). Defaults are stated here once; `parseJobOptions` applies them.
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

export const jobOptionsSchema = z
  .object({
    /** Job name, used in the default results file name. Default: the job file's or manifest's base name. */
    name: z
      .string()
      .regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
    /** A description for humans; ignored by the tool. */
    description: z.string().optional(),
    /** Path of the manifest (CSV, JSON array or JSON Lines). */
    manifest: z.string().min(1),
    /** Manifest format; default chosen by the file extension. */
    format: z.enum(['csv', 'json', 'jsonl']).optional(),
    /** CSV delimiter; default the `sep=` line, else detected from the header line. */
    delimiter: z.string().min(1).max(1).optional(),
    /** Manifest text encoding when there is no BOM: `utf-8` (default) or `windows-1252`. */
    encoding: z.enum(['utf-8', 'windows-1252']).optional(),
    /** Results file path (`.csv` or `.jsonl`), or a folder (ending in `/`) for `<folder>/<name>-<UTC time>.csv`;
     * default `results/<name>-<UTC time>.csv`. An existing file is never overwritten. */
    results: z.string().optional(),
    /**
     * A previous results file of the same manifest: its rows recorded `updated` are not sent again (their
     * lines are copied into the new results file); every other row runs. Checked against the manifest's
     * SHA-256 in the file's sidecar `<file>.meta.json`; another manifest stops the job before any request.
     */
    resume: z.string().min(1).optional(),
    /**
     * After a stop (SIGINT/SIGTERM, `maxErrors`, an unwritable results file), how long requests already in
     * flight may still take, in ms; then they are abandoned and their rows recorded `skipped` (they run
     * again on resume). Default 10,000.
     */
    drainTimeoutMs: z.number().int().nonnegative().default(10_000),
    /** `batch` (default): PATCHes packed into `$batch` requests; `single`: one PATCH per row. */
    mode: z.enum(['batch', 'single']).default('batch'),
    /** PATCH requests per `$batch`, 1–20. Default 20. */
    batchSize: z.number().int().min(1).max(20).default(20),
    /**
     * Most HTTP requests in flight at once. `auto` (default): as many as the write budget needs at the
     * latency measured (Little's law: writes/s × latency ÷ writes per request, with 50 % headroom),
     * at most {@link AUTO_CONCURRENCY_CAP} (32); a number caps that figure instead. Without a write
     * budget there is no rate to aim at: the number in flight is the number given, or 8 for `auto`.
     */
    concurrency: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    /** The client-side write budget; `false` turns pacing off (429s still honoured). Default Graph's. */
    writeBudget: z.union([writeBudgetSchema, z.literal(false)]).default(GRAPH_WRITE_BUDGET),
    /** Read each device's current state first (GETs in `$batch`, paced by `readBudget`): rows already
     * at their target are `unchanged` and cost no write, only differing properties are sent, and a
     * rollback manifest is saved beside the results file. `false`: send every row as given, blind. Default true. */
    readFirst: z.boolean().default(true),
    /** With `readFirst`: send every property of a row as given, also unchanged ones (rows already at
     * their target are still written). Default false. */
    sendAll: z.boolean().default(false),
    /** After each write, read the device back and record `updated` only if the values are there,
     * else `not-applied`. Default false. */
    verify: z.boolean().default(false),
    /** The client-side read budget in resource units (one per GET); `false` turns read pacing off.
     * Default Graph's for the smallest tenants ({@link GRAPH_READ_BUDGET}). */
    readBudget: z.union([writeBudgetSchema, z.literal(false)]).default(GRAPH_READ_BUDGET),
    /** Retries per row after its first attempt (429, 503, 504, 409 concurrency, network errors). Default 8. */
    maxRetries: z.number().int().min(0).max(100).default(8),
    /**
     * First retry's backoff when Graph sends no `Retry-After`, in ms; it doubles per attempt (with
     * jitter, half to all of it) up to 60 s. Default 1,000. A `Retry-After` is always waited in full.
     */
    retryBaseDelayMs: z.number().int().min(1).max(60_000).default(1000),
    /** Per-request timeout in ms. Default 30,000. */
    timeoutMs: z.number().int().positive().default(30_000),
    /** Base URL of Graph (scheme and host only). Default the cloud's Graph root. */
    graphUrl: z.string().optional(),
    /** National cloud: picks the Graph root and the sign-in authority. Default `global`. */
    cloud: z.enum(['global', 'usgov', 'usgov-dod', 'china']).default('global'),
    /** Graph API version. Default `v1.0`. */
    apiVersion: z.enum(['v1.0', 'beta']).default('v1.0'),
    /** Allow a `graphUrl` host that is not a known Graph root (tokens would be sent there), or an
     * `authorityHost` that is not a known Entra sign-in host (secrets would be sent there). Default false. */
    allowUnknownHost: z.boolean().default(false),
    /** Sign-in: which @azure/identity credential. Ignored when GRAPH_ACCESS_TOKEN is set. Default `default`. */
    auth: z.enum(authKinds).default('default'),
    /** Directory (tenant) id; default AZURE_TENANT_ID. */
    tenantId: z.string().optional(),
    /** Application (client) id; default AZURE_CLIENT_ID. */
    clientId: z.string().optional(),
    /** Sign-in authority host (https); default the cloud's. */
    authorityHost: z.string().optional(),
    /** Several rows for one device: apply them in manifest order instead of marking later ones invalid. */
    allowDuplicates: z.boolean().default(false),
    /** Allow the MDM-owned `isCompliant` / `isManaged` columns (only Intune or an approved MDM app may set them). */
    allowMdmProperties: z.boolean().default(false),
    /** The cell text that clears an extension attribute (sends JSON null). Default `#clear`. */
    clearToken: z.string().min(1).default('#clear'),
    /** Validate and plan every row, send nothing. */
    dryRun: z.boolean().default(false),
    /** Abort (exit 2) when failed rows pass this count or percentage of rows attempted, e.g. 100 or "5%". */
    maxErrors: maxErrorsSchema.optional(),
    /** `x-ms-throttle-priority` sent with every request. Default `Normal`. */
    throttlePriority: z.enum(['Low', 'Normal', 'High']).default('Normal'),
    /** Log lines as text (default) or JSON objects, one per line (for cron). */
    logFormat: z.enum(['text', 'json']).default('text'),
    /** Show progress on stderr. Default true. */
    progress: z.boolean().default(true),
    /** Redis URL (`redis://…` or `rediss://…`; default REDIS_URL): share one write budget, and 429 pauses,
     * with every job of the same app in the same tenant, in any process or machine. Prefer REDIS_URL
     * when the URL holds a password. */
    redis: z
      .string()
      .regex(/^rediss?:\/\/\S+$/i, 'a redis:// or rediss:// URL')
      .optional(),
    /** Run only shard i of n of the manifest's rows (`i/n`, e.g. `2/4`), or `auto/n` to take i from
     * Kubernetes' JOB_COMPLETION_INDEX. Rows of other shards get no line in this results file. */
    shard: z
      .string()
      .regex(/^\s*(auto|\d+)\s*\/\s*\d+\s*$/i, 'i/n (e.g. 2/4) or auto/n')
      .optional(),
    /** Run against the built-in emulator started in-process (rehearsal, demo). */
    emulator: emulatorJobSchema.optional(),
  })
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

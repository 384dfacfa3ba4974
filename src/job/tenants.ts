/**
 * Many tenants, one app (an MSP): a job file's `tenants` list runs one job per tenant, side by side,
 * each with its own manifest and results file, its own sign-in (`tenantId`), its own app+tenant budget
 * and pause (one tenant's 429 pauses that tenant), and — unless `appWriteBudget` says otherwise — the
 * application-wide budget Graph counts across tenants (35,000 writes per 5 min: docs/graph-behaviour.md §3).
 * With `redis` the levels nest in Redis, so every tenant's job draws from one application level and an
 * application-scope 429 pauses them all (src/schedule/nested-budget.ts). See docs/budgets.md.
 */
import type { TokenSource } from '../auth/token-source.js';
import type { JobSummary } from '../report/summary.js';
import { ExitCode } from './exit-codes.js';
import { GRAPH_APP_WRITE_BUDGET, type JobOptionsInput } from './options.js';
import { runJob, type RunContext } from './run-job.js';

/** One tenant of a `tenants` job. */
export interface TenantJob {
  tenantId: string;
  manifest: string;
  results?: string;
}

/** What {@link runTenants} needs beside {@link RunContext}. */
export interface TenantsContext extends RunContext {
  /** Tokens for one tenant (embedding, tests); default: each job signs in to its `tenantId`. */
  tokenSourceFor?: (tenantId: string) => TokenSource;
}

/** The outcome of a `tenants` job: the worst exit code, and each tenant's summary. */
export interface TenantsSummary {
  exitCode: number;
  tenants: Array<{ tenantId: string; summary?: JobSummary; error?: string }>;
}

/** Exit codes by how bad they are: a fatal start beats an abort, an interrupt, row errors, success. */
const SEVERITY = [ExitCode.Ok, ExitCode.RowErrors, ExitCode.Interrupted, ExitCode.Aborted, ExitCode.NothingSent] as number[];

/**
 * Runs one job per tenant of `input.tenants`, concurrently, with the other options shared; the job
 * name gets the tenant id appended (distinct default results files). A tenant whose job cannot start
 * (bad manifest, sign-in) is reported and does not stop the others.
 * @returns the worst exit code and every tenant's summary (or error).
 */
export async function runTenants(
  input: Omit<JobOptionsInput, 'manifest' | 'tenants'> & { tenants: TenantJob[]; manifest?: string },
  context: TenantsContext = {},
): Promise<TenantsSummary> {
  const { tenants, manifest: _none, ...shared } = input;
  const base = shared.name ?? 'job';
  const runs = tenants.map(async (t) => {
    const options: JobOptionsInput = {
      ...shared,
      manifest: t.manifest,
      tenantId: t.tenantId,
      name: `${base}-${t.tenantId.replace(/[^\w.-]/g, '_')}`,
      ...(t.results !== undefined ? { results: t.results } : {}),
      appWriteBudget: shared.appWriteBudget ?? GRAPH_APP_WRITE_BUDGET,
    };
    if (t.results === undefined) delete options.results;
    const ctx: RunContext = { ...context, ...(context.tokenSourceFor ? { tokenSource: context.tokenSourceFor(t.tenantId) } : {}) };
    try {
      return { tenantId: t.tenantId, summary: await runJob(options, ctx) };
    } catch (err) {
      const message = (err as Error).message;
      (context.stderr ?? process.stderr).write(`graph-bulk: tenant ${t.tenantId}: ${message}\n`);
      return { tenantId: t.tenantId, error: message };
    }
  });
  const done = await Promise.all(runs);
  const codes = done.map((d) => d.summary?.exitCode ?? ExitCode.NothingSent);
  const exitCode = codes.reduce((worst, c) => (SEVERITY.indexOf(c) > SEVERITY.indexOf(worst) ? c : worst), ExitCode.Ok as number);
  return { exitCode, tenants: done };
}

import { OUTCOMES, type Outcome } from '../types.js';

/**
 * What a finished (or stopped) job reports. Times in ms; rates per second.
 */
export interface JobSummary {
  /** The process exit code this run maps to (see ExitCode). */
  exitCode: number;
  /** Path of the results file (undefined when the run stopped before creating it). */
  resultsPath?: string;
  /** Manifest data rows. */
  rows: number;
  /** Rows by outcome. */
  byOutcome: Record<Outcome, number>;
  /** Failed rows by Graph error code (or network error kind). */
  byErrorCode: Record<string, number>;
  /** Invalid rows by reason (the message without the row's own values, see `invalidReason`), most first. */
  byInvalidReason?: Record<string, number>;
  /** Wall time of the run, ms. */
  wallMs: number;
  /** PATCH requests sent (each inner request of a `$batch` counts), including retries. */
  writesSent: number;
  /** Device reads sent (GETs inside `$batch`, before writes, for `verify`, or for a plan), retries included. */
  readsSent: number;
  /** Writes per second over the wall time. */
  writesPerSecond: number;
  /** The rollback manifest written beside the results file (rows were written), if any. */
  rollbackPath?: string;
  /** A plan's counts: rows that would change, rows already at their target, rows whose device does not exist. */
  plan?: { toChange: number; unchanged: number; notFound: number };
  /** 429 responses received (outer and inner, writes and reads). */
  throttled429: number;
  /** Write 429s by the budget Graph named in `x-ms-throttle-scope` (`Tenant_User`, `Tenant_Application`,
   * `Tenant`, `Application`, or `unnamed`): which budget throttled the run (docs/graph-behaviour.md §3). */
  throttledBy?: Record<string, number>;
  /** Retries made (not counting token-renewal replays). */
  retries: number;
  /** Resumed runs: rows recorded `updated` in the previous results file, copied over and not sent again. */
  carriedOver?: number;
  /** Resumed runs: the previous results file. */
  resumedFrom?: string;
  /** Why the run stopped early, if it did. */
  stoppedReason?: string;
  /** Advice for the admin (what to fix), if any. */
  advice?: string;
  /** The shard this run covered (`i/n`), when sharded: `rows` counts only its rows. */
  shard?: string;
  /** Set when the write budget was shared through Redis. */
  sharedBudget?: {
    /** The budget's id (Graph root, tenant id, app id). */
    id: string;
    /** Times Redis became unreachable during the run (including at start). */
    outages: number;
    /** Time spent on a local share of the budget while Redis was unreachable, ms. */
    degradedMs: number;
  };
}

/** How the summary names each budget of `x-ms-throttle-scope`. */
const BUDGET_NAMES: Record<string, string> = {
  Tenant_User: 'the per-user budget (Tenant_User)',
  Tenant_Application: "the app's budget in the tenant (Tenant_Application)",
  Tenant: "the tenant's budget, all apps (Tenant)",
  Application: "the app's budget, all tenants (Application)",
  unnamed: 'a budget Graph did not name',
};

/** Formats the end-of-run summary for stderr: outcomes, error codes, time, rate, 429s. */
export function formatSummary(s: JobSummary): string {
  const outcomes = OUTCOMES.map((o): [Outcome, number] => [o, s.byOutcome[o] ?? 0])
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${o} ${n}`)
    .join(', ');
  const lines = [
    `graph-bulk: ${s.rows} rows: ${outcomes || 'none'}`,
    `  wall time ${(s.wallMs / 1000).toFixed(1)} s, ${s.writesSent} writes sent (${s.writesPerSecond.toFixed(1)}/s), ${s.readsSent} reads, ${s.retries} retries, ${s.throttled429} 429s received`,
  ];
  const by = Object.entries(s.throttledBy ?? {}).sort((a, b) => b[1] - a[1]);
  if (by.length) lines.push(`  throttled by: ${by.map(([scope, n]) => `${BUDGET_NAMES[scope] ?? scope} ${n}`).join(', ')}`);
  if (s.resumedFrom !== undefined)
    lines.push(`  resumed from ${s.resumedFrom}: ${s.carriedOver ?? 0} rows updated there carried over, not sent again`);
  if (s.plan) lines.push(`  plan: ${s.plan.toChange} to change, ${s.plan.unchanged} unchanged, ${s.plan.notFound} not found`);
  const codes = Object.entries(s.byErrorCode).sort((a, b) => b[1] - a[1]);
  if (codes.length) lines.push(`  failed by error code: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const reasons = Object.entries(s.byInvalidReason ?? {}).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push('  invalid by reason:');
    for (const [reason, n] of reasons.slice(0, 10)) lines.push(`    ${n} × ${reason}`);
    if (reasons.length > 10) lines.push(`    … ${reasons.length - 10} more reasons (see the report)`);
  }
  if (s.shard)
    lines.push(`  shard ${s.shard}: only this shard's rows are in this results file (graph-bulk merge-results combines the shards)`);
  if (s.sharedBudget) {
    const b = s.sharedBudget;
    const outages = b.outages
      ? `; Redis was unreachable ${b.outages} time(s): ${(b.degradedMs / 1000).toFixed(1)} s on a local share of the budget`
      : '';
    lines.push(`  write budget shared through Redis (${b.id})${outages}`);
  }
  if (s.stoppedReason) lines.push(`  stopped: ${s.stoppedReason}`);
  if (s.advice) lines.push(`  what to do: ${s.advice}`);
  if (s.resultsPath) lines.push(`  ${s.plan ? 'plan' : 'results'} file: ${s.resultsPath}`);
  if (s.rollbackPath) lines.push(`  rollback manifest: ${s.rollbackPath} (graph-bulk run --manifest <it> puts the previous values back)`);
  lines.push(`  exit code ${s.exitCode}`);
  return lines.join('\n') + '\n';
}

/** What {@link buildSummary} puts together (gathered from the run's parts when it ends). */
export interface SummaryInput {
  exitCode: number;
  resultsPath?: string;
  /** Rows by outcome (copied). */
  counts: Readonly<Record<Outcome, number>>;
  /** Failed rows by error code (copied). */
  byErrorCode: Readonly<Record<string, number>>;
  /** Invalid rows by reason (copied). */
  byInvalidReason?: Readonly<Record<string, number>>;
  /** Wall time, ms. */
  wallMs: number;
  writesSent: number;
  /** The reader's counters, when devices were read. */
  reads?: { reads: number; throttled429: number; retries: number };
  /** 429 answers to writes. */
  writesThrottled429: number;
  /** Write 429s by the budget Graph named. */
  throttledBy?: Record<string, number>;
  /** Writes retried. */
  writeRetries: number;
  /** A plan: rows whose device does not exist. */
  plan?: { notFound: number };
  rollback?: { path: string; count: number };
  resume?: { carriedOver: number; resumedFrom: string };
  stop?: { reason: string; advice?: string };
  shard?: string;
  sharedBudget?: JobSummary['sharedBudget'];
}

/** Builds the {@link JobSummary} (rates per second over the wall time; reads' 429s and retries added to the writes'). */
export function buildSummary(s: SummaryInput): JobSummary {
  const c = s.counts;
  const rows = OUTCOMES.reduce((sum, o) => sum + (c[o] ?? 0), 0);
  return {
    exitCode: s.exitCode,
    resultsPath: s.resultsPath,
    rows,
    byOutcome: { ...c },
    byErrorCode: { ...s.byErrorCode },
    ...(s.byInvalidReason && Object.keys(s.byInvalidReason).length ? { byInvalidReason: { ...s.byInvalidReason } } : {}),
    wallMs: s.wallMs,
    writesSent: s.writesSent,
    readsSent: s.reads?.reads ?? 0,
    writesPerSecond: s.wallMs > 0 ? (s.writesSent * 1000) / s.wallMs : 0,
    throttled429: s.writesThrottled429 + (s.reads?.throttled429 ?? 0),
    retries: s.writeRetries + (s.reads?.retries ?? 0),
    ...(s.throttledBy && Object.keys(s.throttledBy).length ? { throttledBy: { ...s.throttledBy } } : {}),
    ...(s.rollback && s.rollback.count > 0 ? { rollbackPath: s.rollback.path } : {}),
    ...(s.plan ? { plan: { toChange: c.planned, unchanged: c.unchanged, notFound: s.plan.notFound } } : {}),
    ...(s.resume ? { carriedOver: s.resume.carriedOver, resumedFrom: s.resume.resumedFrom } : {}),
    stoppedReason: s.stop?.reason,
    advice: s.stop?.advice,
    ...(s.shard ? { shard: s.shard } : {}),
    ...(s.sharedBudget ? { sharedBudget: { ...s.sharedBudget } } : {}),
  };
}

/** The summary as written to stderr: {@link formatSummary}'s text, or one JSON line (`logFormat: json`). */
export function summaryText(s: JobSummary, logFormat: 'text' | 'json', now: Date = new Date()): string {
  return logFormat === 'json' ? `${JSON.stringify({ time: now.toISOString(), level: 'info', msg: 'summary', ...s })}\n` : formatSummary(s);
}

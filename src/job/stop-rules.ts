/**
 * The stop rules: pure functions of the run's counts → stop or not, and the exit code a run maps to.
 * No I/O and no clock; the ledger applies them after every failed row.
 */
import type { Outcome } from '../types.js';
import { ExitCode } from './exit-codes.js';
import { maxErrorsExceeded } from './options.js';
import type { Stop } from './work.js';

/** Rows whose first finals are all auth/permission failures stop the run after this many (case H06). */
export const AUTH_FAILURE_STOP = 20;

/** What the stop rules remember between failed rows. */
export interface FailureTally {
  /** A write has succeeded: auth failures after it are row failures, not a broken sign-in. */
  firstSuccess: boolean;
  /** Auth/permission failures before any success or other failure. */
  authFailuresAtStart: number;
  /** A failure that was not an auth/permission failure has been seen. */
  otherFailureSeen: boolean;
  /** The last auth/permission failure at the start (for the stop at the end of a short run). */
  lastAuthFailure?: { status?: number; errorCode?: string };
}

/** A tally before any row. */
export function initialFailureTally(): FailureTally {
  return { firstSuccess: false, authFailuresAtStart: 0, otherFailureSeen: false };
}

/** The counts {@link afterFailure} judges, this row's failure already counted. */
export interface FailureCounts {
  /** Rows `failed` so far. */
  failed: number;
  /** Rows that reached Graph and ended `updated`, `failed` or `not-applied`. */
  attemptedFinal: number;
}

/** What the stop rules need of the run's options. */
export interface StopSettings {
  /** `maxErrors`: a count (`50`) or a share of attempted rows (`'5%'`, judged from 20 rows); undefined = none. */
  maxErrors: number | string | undefined;
  /** The results file, for the advice to resume. */
  resultsPath?: string;
  /** The Graph root in use, for the advice on the token's scope. */
  graphRoot?: string;
}

/** 401, or 403 `Authorization_RequestDenied`: the token or the app's permissions, not the row. */
export function isAuthFailure(status: number | undefined, errorCode: string | undefined): boolean {
  return status === 401 || (status === 403 && errorCode === 'Authorization_RequestDenied');
}

/**
 * After a failed row (answer `status`/`errorCode`): the new tally, and a stop when
 * - the first {@link AUTH_FAILURE_STOP} rows to fail, before any success and any other failure, all
 *   failed on auth or permission (exit 2, advice on the token or the permission to grant); or
 * - the failed rows passed `maxErrors` (exit 2).
 */
export function afterFailure(
  tally: FailureTally,
  failure: { status?: number; errorCode?: string },
  counts: FailureCounts,
  settings: StopSettings,
): { tally: FailureTally; stop?: Stop } {
  const auth = isAuthFailure(failure.status, failure.errorCode);
  const next = { ...tally };
  if (!auth) next.otherFailureSeen = true;
  if (auth && !next.firstSuccess && !next.otherFailureSeen) {
    next.lastAuthFailure = { status: failure.status, errorCode: failure.errorCode };
    if (++next.authFailuresAtStart >= AUTH_FAILURE_STOP) {
      return { tally: next, stop: authStop(`the first ${AUTH_FAILURE_STOP} rows attempted all`, failure, settings) };
    }
  }
  if (maxErrorsExceeded(settings.maxErrors, counts.failed, counts.attemptedFinal)) {
    return {
      tally: next,
      stop: {
        reason: `failed rows passed --max-errors ${settings.maxErrors} (${counts.failed} failed)`,
        exitCode: ExitCode.Aborted,
        advice: `see the failed rows' errorCode in the results file; once fixed, run again with --resume ${settings.resultsPath}`,
      },
    };
  }
  return { tally: next };
}

/** The auth stop: what was refused, and what to check (the token's scope, or the permission to grant). */
function authStop(which: string, failure: { status?: number; errorCode?: string }, settings: StopSettings): Stop {
  const scope = `${(settings.graphRoot ?? 'https://graph.microsoft.com').replace(/\/+$/, '')}/.default`;
  return {
    reason: `${which} failed with ${failure.status} ${failure.errorCode ?? ''}`.trim(),
    exitCode: ExitCode.Aborted,
    advice:
      failure.status === 401
        ? `Graph rejects the token even after renewal: check the tenant, the app registration and that the token is for Microsoft Graph (${scope}).`
        : 'the app lacks permission: grant the application permission Device.ReadWrite.All (or Directory.ReadWrite.All) with admin consent; accountEnabled also needs Cloud Device Administrator or higher; isCompliant/isManaged only Intune or an approved MDM app.',
  };
}

/**
 * At the end of a run that never reached {@link AUTH_FAILURE_STOP} rows: when every row attempted
 * failed on auth or permission (none succeeded, no other failure), the same stop as for a long run
 * (exit 2, the same advice), so a short run's broken sign-in is not a mere exit 1.
 */
export function authStopAtEnd(tally: FailureTally, settings: StopSettings): Stop | undefined {
  if (tally.firstSuccess || tally.otherFailureSeen || tally.authFailuresAtStart === 0 || !tally.lastAuthFailure) return undefined;
  const n = tally.authFailuresAtStart;
  return authStop(n === 1 ? 'the one row attempted' : `the ${n} rows attempted all`, tally.lastAuthFailure, settings);
}

/** The exit code of a run: the stop's, else 1 when a row is `failed`, `invalid` or `not-applied`, else 0. */
export function exitCodeFor(counts: Readonly<Record<Outcome, number>>, stop: Stop | undefined): ExitCode {
  if (stop) return stop.exitCode;
  if (counts.failed > 0 || counts.invalid > 0 || counts['not-applied'] > 0) return ExitCode.RowErrors;
  return ExitCode.Ok;
}

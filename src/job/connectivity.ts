/**
 * Stop rules for a dead way out, as pure decisions over what the answers said (Azure
 * core-rest-pipeline style: state in, decision out; the run applies them in one place):
 *
 * - a certificate nobody here trusts, or a proxy that refuses our account (407), stops the run at
 *   once (exit 3): no retry can cure it, and every row would spend its retries on it;
 * - until a first request has succeeded, a dead path — the name does not resolve, the connection is
 *   refused, no route, the proxy cannot make the tunnel — stops the run after
 *   {@link DEAD_PATH_ATTEMPTS} attempts in a row (exit 3), within seconds (the retries' first backoffs);
 * - mid-run, when Graph has not answered for `outageTimeoutMs` (network failures and 5xx only), the
 *   run stops (exit 2), the rows not done are `skipped` and run again on resume.
 *
 * "Answered" means any response but a 5xx or 408: a 429 or a 404 is Graph at work, not an outage.
 * Source: docs/graph-behaviour.md §6.
 */
import type { NetworkFault } from '../send/network-fault.js';
import { ExitCode } from './exit-codes.js';

/** Attempts in a row that meet a dead path, before any success, that stop the run. */
export const DEAD_PATH_ATTEMPTS = 3;

/** What the rules remember between answers. */
export interface ConnectivityState {
  /** A request has succeeded (2xx) in this run. */
  readonly succeeded: boolean;
  /** When Graph last answered (or the run started), epoch ms. */
  readonly lastAnswerAtMs: number;
  /** Attempts in a row that met a dead path before any success. */
  readonly deadPathInARow: number;
  /** The last network failure seen, for the log and the stop message. */
  readonly lastFault?: NetworkFault;
}

/** A decision to stop the run. */
export interface ConnectivityStop {
  reason: string;
  exitCode: ExitCode;
  advice: string;
}

/** The state at the start of a run (`nowMs` = when it starts sending). */
export function initialConnectivity(nowMs: number): ConnectivityState {
  return { succeeded: false, lastAnswerAtMs: nowMs, deadPathInARow: 0 };
}

/** One attempt's result: an HTTP status, or a network failure (`fault`, when classified). */
export interface AttemptSeen {
  status?: number;
  fault?: NetworkFault;
  atMs: number;
}

/**
 * Folds one attempt into the state and says whether the run must stop now.
 * @param resumeHint e.g. `run again with --resume <results file>` (the rows not done are skipped).
 */
export function observeAttempt(
  state: ConnectivityState,
  seen: AttemptSeen,
  resumeHint: string,
): { state: ConnectivityState; stop?: ConnectivityStop } {
  if (seen.status !== undefined) {
    const answered = seen.status < 500 && seen.status !== 408;
    if (!answered) return { state };
    return {
      state: {
        ...state,
        succeeded: state.succeeded || (seen.status >= 200 && seen.status < 300),
        lastAnswerAtMs: seen.atMs,
        deadPathInARow: 0,
      },
    };
  }
  const fault = seen.fault;
  if (!fault) return { state };
  const next: ConnectivityState = { ...state, lastFault: fault, deadPathInARow: fault.deadPath ? state.deadPathInARow + 1 : 0 };
  if (fault.permanent) {
    return {
      state: next,
      stop: {
        reason: fault.message,
        exitCode: ExitCode.NothingSent,
        advice: `${fault.kind === 'tls' ? 'trust the CA' : 'fix the proxy account'}, then ${resumeHint}`,
      },
    };
  }
  if (!state.succeeded && fault.deadPath && next.deadPathInARow >= DEAD_PATH_ATTEMPTS) {
    return {
      state: next,
      stop: {
        reason: `${fault.message} (${next.deadPathInARow} attempts, none succeeded)`,
        exitCode: ExitCode.NothingSent,
        advice: `once ${fault.host} can be reached, ${resumeHint}`,
      },
    };
  }
  return { state: next };
}

/**
 * Whether Graph has been silent for too long: no answer (see the module comment) for
 * `outageTimeoutMs` while rows are still waiting.
 */
export function outageStop(
  state: ConnectivityState,
  nowMs: number,
  outageTimeoutMs: number,
  resumeHint: string,
): ConnectivityStop | undefined {
  const silentMs = nowMs - state.lastAnswerAtMs;
  if (silentMs < outageTimeoutMs) return undefined;
  const last = state.lastFault ? `; last error: ${state.lastFault.message}` : '';
  return {
    reason: `no answer from Graph for ${Math.round(silentMs / 1000)} s (outageTimeoutMs ${outageTimeoutMs})${last}`,
    exitCode: ExitCode.Aborted,
    advice: `the rows not done are skipped: once Graph can be reached again, ${resumeHint}`,
  };
}

/** How often a stalled run says what it is waiting for: every 30 s, more often when the outage timeout is short. */
export function waitingLogIntervalMs(outageTimeoutMs: number): number {
  return Math.max(250, Math.min(30_000, Math.floor(outageTimeoutMs / 3)));
}

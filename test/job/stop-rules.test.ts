import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/job/exit-codes.js';
import {
  AUTH_FAILURE_STOP,
  afterFailure,
  authStopAtEnd,
  exitCodeFor,
  initialFailureTally,
  isAuthFailure,
} from '../../src/job/stop-rules.js';
import { OUTCOMES, type Outcome } from '../../src/types.js';

const counts = (c: Partial<Record<Outcome, number>>) =>
  ({ ...Object.fromEntries(OUTCOMES.map((o) => [o, 0])), ...c }) as Record<Outcome, number>;

describe('stop rules', () => {
  it('401 and 403 Authorization_RequestDenied are auth failures; 403 of another code and 404 are not', () => {
    expect(isAuthFailure(401, 'InvalidAuthenticationToken')).toBe(true);
    expect(isAuthFailure(403, 'Authorization_RequestDenied')).toBe(true);
    expect(isAuthFailure(403, 'Forbidden')).toBe(false);
    expect(isAuthFailure(404, 'Request_ResourceNotFound')).toBe(false);
  });

  it(`stops after the first ${AUTH_FAILURE_STOP} failures when all are auth failures before any success`, () => {
    let tally = initialFailureTally();
    for (let i = 1; i < AUTH_FAILURE_STOP; i++) {
      const r = afterFailure(
        tally,
        { status: 403, errorCode: 'Authorization_RequestDenied' },
        { failed: i, attemptedFinal: i },
        { maxErrors: undefined },
      );
      expect(r.stop).toBeUndefined();
      tally = r.tally;
    }
    const last = afterFailure(
      tally,
      { status: 403, errorCode: 'Authorization_RequestDenied' },
      { failed: 20, attemptedFinal: 20 },
      { maxErrors: undefined },
    );
    expect(last.stop).toMatchObject({
      exitCode: ExitCode.Aborted,
      reason: 'the first 20 rows attempted all failed with 403 Authorization_RequestDenied',
    });
    expect(last.stop!.advice).toContain('Device.ReadWrite.All');
    expect(tally.authFailuresAtStart).toBe(AUTH_FAILURE_STOP - 1);
  });

  it('a success or another failure first means auth failures never stop the run by themselves', () => {
    const success = { ...initialFailureTally(), firstSuccess: true };
    const other = afterFailure(
      initialFailureTally(),
      { status: 404, errorCode: 'Request_ResourceNotFound' },
      { failed: 1, attemptedFinal: 1 },
      { maxErrors: undefined },
    );
    for (let tally of [success, other.tally]) {
      for (let i = 0; i < 30; i++) {
        const r = afterFailure(tally, { status: 401 }, { failed: i + 2, attemptedFinal: i + 2 }, { maxErrors: undefined });
        expect(r.stop).toBeUndefined();
        tally = r.tally;
      }
    }
  });

  it('a run shorter than the threshold whose every attempted row failed on auth ends with the same stop, its hint filled in', () => {
    let tally = initialFailureTally();
    for (let i = 1; i <= 3; i++) {
      tally = afterFailure(
        tally,
        { status: 401, errorCode: 'InvalidAuthenticationToken' },
        { failed: i, attemptedFinal: i },
        { maxErrors: undefined },
      ).tally;
    }
    const stop = authStopAtEnd(tally, { maxErrors: undefined, graphRoot: 'https://graph.microsoft.us' });
    expect(stop).toMatchObject({
      exitCode: ExitCode.Aborted,
      reason: 'the 3 rows attempted all failed with 401 InvalidAuthenticationToken',
    });
    expect(stop!.advice).toContain('(https://graph.microsoft.us/.default)');
    expect(stop!.advice).not.toMatch(/[{}]/);
    // Not when a row succeeded or failed otherwise, nor when no row failed.
    expect(authStopAtEnd({ ...tally, firstSuccess: true }, { maxErrors: undefined })).toBeUndefined();
    expect(authStopAtEnd({ ...tally, otherFailureSeen: true }, { maxErrors: undefined })).toBeUndefined();
    expect(authStopAtEnd(initialFailureTally(), { maxErrors: undefined })).toBeUndefined();
  });

  it('maxErrors: a count stops past it; a percentage only from 20 rows attempted', () => {
    const t = initialFailureTally();
    const f = { status: 400, errorCode: 'Request_BadRequest' };
    expect(afterFailure(t, f, { failed: 3, attemptedFinal: 3 }, { maxErrors: 3 }).stop).toBeUndefined();
    const stop = afterFailure(t, f, { failed: 4, attemptedFinal: 4 }, { maxErrors: 3, resultsPath: 'r.csv' }).stop;
    expect(stop).toMatchObject({ exitCode: ExitCode.Aborted, reason: 'failed rows passed --max-errors 3 (4 failed)' });
    expect(stop!.advice).toContain('--resume r.csv');
    expect(afterFailure(t, f, { failed: 5, attemptedFinal: 10 }, { maxErrors: '10%' }).stop).toBeUndefined();
    expect(afterFailure(t, f, { failed: 5, attemptedFinal: 20 }, { maxErrors: '10%' }).stop).toBeDefined();
  });

  it('exit code: the stop first, then 1 for failed, invalid or not-applied rows, else 0', () => {
    expect(exitCodeFor(counts({ updated: 3 }), undefined)).toBe(ExitCode.Ok);
    expect(exitCodeFor(counts({ updated: 3, invalid: 1 }), undefined)).toBe(ExitCode.RowErrors);
    expect(exitCodeFor(counts({ 'not-applied': 1 }), undefined)).toBe(ExitCode.RowErrors);
    expect(exitCodeFor(counts({ failed: 1 }), { reason: 'interrupted', exitCode: ExitCode.Interrupted })).toBe(ExitCode.Interrupted);
  });
});

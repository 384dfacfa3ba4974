import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/job/exit-codes.js';
import { Ledger } from '../../src/job/ledger.js';
import { type ResultsFile, ResultsWriteError } from '../../src/report/results-file.js';
import { AUTH_FAILURE_STOP } from '../../src/job/stop-rules.js';
import { StopSwitch, type Work } from '../../src/job/work.js';
import { readResults } from '../helpers/results.js';
import { freshResults, guid, work } from './parts.js';

function ledgerOf(maxErrors?: number | string) {
  const results = freshResults();
  const stops = new StopSwitch();
  const finished: Work[] = [];
  const ledger = new Ledger({ results, stops, maxErrors, onFinished: (w) => finished.push(w), now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  return { results, stops, finished, ledger, lines: () => (results.close(), readResults(results.path)) };
}

describe('Ledger', () => {
  it('one result line per finished row, with its attempts, status and time; counts by outcome', () => {
    const l = ledgerOf();
    const w = work(1);
    w.attempts = 2;
    l.ledger.finish(w, { outcome: 'updated', httpStatus: 204, requestId: 'req-1' });
    l.ledger.failed(
      work(2),
      { status: 404, errorCode: 'Request_ResourceNotFound', errorMessage: 'Resource not found' },
      '404 is not retryable',
    );
    l.ledger.skipped(work(3), { status: 503, errorCode: 'ServiceUnavailable' });
    expect(l.finished.map((x) => x.update.row)).toEqual([1, 2, 3]);
    expect(l.ledger.counts).toMatchObject({ updated: 1, failed: 1, skipped: 1 });
    expect(l.ledger).toMatchObject({ doneRows: 3, notFound: 1, attemptedFinal: 2, byErrorCode: { Request_ResourceNotFound: 1 } });
    const [a, b, c] = l.lines();
    expect(a).toMatchObject({
      row: '1',
      key: guid(1),
      outcome: 'updated',
      httpStatus: '204',
      attempts: '2',
      requestId: 'req-1',
      finishedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(b!.errorMessage).toMatch(/^Resource not found Hint: no device has this object id/);
    expect(c).toMatchObject({ outcome: 'skipped', errorMessage: 'not completed: stopped; last attempt: 503 ServiceUnavailable' });
  });

  it('a failure whose retries ran out says so; network errors are counted by kind', () => {
    const l = ledgerOf();
    l.ledger.failed(work(1), { networkError: 'timeout', errorMessage: 'timed out after 100 ms' }, 'retries exhausted (4 attempts)');
    expect(l.ledger.byErrorCode).toEqual({ 'network:timeout': 1 });
    expect(l.lines()[0]).toMatchObject({
      errorCode: 'network:timeout',
      errorMessage: 'timed out after 100 ms (retries exhausted (4 attempts))',
    });
  });

  it('applies the stop rules: maxErrors stops the run with exit 2', () => {
    const l = ledgerOf(1);
    l.ledger.failed(work(1), { status: 400, errorCode: 'Request_BadRequest' }, 'not retryable');
    expect(l.stops.current).toBeUndefined();
    l.ledger.failed(work(2), { status: 400, errorCode: 'Request_BadRequest' }, 'not retryable');
    expect(l.stops.current).toMatchObject({ exitCode: ExitCode.Aborted, reason: 'failed rows passed --max-errors 1 (2 failed)' });
  });

  it(`${AUTH_FAILURE_STOP} auth failures at the start stop the run; one success before them and they do not`, () => {
    const l = ledgerOf();
    for (let i = 1; i <= AUTH_FAILURE_STOP; i++) l.ledger.failed(work(i), { status: 401, errorCode: 'InvalidAuthenticationToken' }, 'x');
    expect(l.stops.current?.exitCode).toBe(ExitCode.Aborted);
    const m = ledgerOf();
    m.ledger.noteSuccess();
    for (let i = 1; i <= AUTH_FAILURE_STOP; i++) m.ledger.failed(work(i), { status: 401, errorCode: 'InvalidAuthenticationToken' }, 'x');
    expect(m.stops.current).toBeUndefined();
  });

  it('a dropped row and a row not attempted after a stop are skipped, naming the reason', () => {
    const l = ledgerOf();
    l.ledger.dropped(work(1), 'interrupted');
    l.ledger.notAttempted({ row: 2, line: 3, fields: { id: ` ${guid(2)} ` }, columns: { id: guid(2) } }, 'interrupted');
    expect(l.finished).toEqual([]); // neither was in the dispatcher's hands
    const [a, b] = l.lines();
    expect(a).toMatchObject({ outcome: 'skipped', errorMessage: 'not completed: interrupted' });
    expect(b).toMatchObject({ outcome: 'skipped', key: guid(2), keyType: 'id', errorMessage: 'not attempted: interrupted', attempts: '0' });
  });

  it('a results file that failed stops the run with exit 3 before the next request', () => {
    const stops = new StopSwitch();
    const error = new ResultsWriteError('r.csv', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    let flushed = 0;
    const results = {
      path: 'r.csv',
      error: undefined as ResultsWriteError | undefined,
      flush: () => void flushed++,
      write: () => undefined,
    };
    const ledger = new Ledger({ results: results as unknown as ResultsFile, stops, maxErrors: undefined });
    expect(ledger.flushBeforeSend()).toBe(true);
    results.error = error;
    expect(ledger.flushBeforeSend()).toBe(false);
    expect(flushed).toBe(2);
    expect(stops.current).toMatchObject({ exitCode: ExitCode.NothingSent, reason: error.message });
  });
});

import { describe, expect, it } from 'vitest';
import { defaultRetryStrategies } from '../../src/graph/retry.js';
import { Dispatcher, type DispatcherConnection } from '../../src/job/dispatcher.js';
import { ExitCode } from '../../src/job/exit-codes.js';
import { Ledger } from '../../src/job/ledger.js';
import { Pacer } from '../../src/job/pacer.js';
import { StopSwitch } from '../../src/job/work.js';
import type { ItemOutcome, SendItem } from '../../src/send/graph-sender.js';
import type { ReadResult } from '../../src/state/reader.js';
import { readResults } from '../helpers/results.js';
import { freshResults, guid, work } from './parts.js';

const OPTIONS = { mode: 'single', batchSize: 20, concurrency: 4, maxRetries: 3, verify: false, sendAll: false } as const;

/** A dispatcher over a fake single-PATCH sender: `answer(row, attempt, token)` decides each answer. */
function setUp(answer: (row: number, attempt: number, token: string) => ItemOutcome, extra: Partial<DispatcherConnection> = {}) {
  const sent: Array<{ row: number; token: string; body: SendItem['body'] }> = [];
  const renewed: string[] = [];
  let token = 't1';
  const attempts = new Map<number, number>();
  const connection: DispatcherConnection = {
    sender: {
      single: async (item: SendItem) => {
        const row = Number(item.id);
        const n = (attempts.get(row) ?? 0) + 1;
        attempts.set(row, n);
        sent.push({ row, token, body: item.body });
        return { outcome: answer(row, n, token), info: { token, outerStatus: 204 } };
      },
      batch: async () => {
        throw new Error('not used');
      },
    },
    tokens: {
      renew: async (t: string) => {
        renewed.push(t);
        token = 't2';
        return token;
      },
    },
    appOnly: false,
    strategies: defaultRetryStrategies(() => 0, { baseDelayMs: 10 }),
    tokensThatWorked: new Set(),
    ...extra,
  };
  const results = freshResults();
  const stops = new StopSwitch();
  let dispatcher: Dispatcher | undefined;
  const ledger = new Ledger({ results, stops, maxErrors: undefined, onFinished: (w) => dispatcher?.finished(w) });
  const pacer = new Pacer({ budget: undefined, concurrency: 4 });
  stops.onStop(() => pacer.stop());
  dispatcher = new Dispatcher({ options: OPTIONS, connection, pacer, ledger, stops, abandon: new AbortController().signal, plan: false });
  return {
    dispatcher,
    stops,
    ledger,
    sent,
    renewed,
    lines: async () => {
      await dispatcher!.done;
      results.close();
      return readResults(results.path);
    },
  };
}

describe('Dispatcher', () => {
  it('every row gets one line: 2xx updated, 429 retried after its Retry-After, 401 replayed free with a renewed token, 404 final', async () => {
    const s = setUp((row, n, token) => {
      if (row === 2 && n === 1) return { status: 429, errorCode: 'TooManyRequests', retryAfterMs: 15 };
      if (row === 3 && token === 't1') return { status: 401, errorCode: 'InvalidAuthenticationToken' };
      if (row === 4) return { status: 404, errorCode: 'Request_ResourceNotFound', errorMessage: 'not found' };
      return { status: 204, requestId: `req-${row}-${n}` };
    });
    for (let row = 1; row <= 5; row++) s.dispatcher.push(work(row));
    s.dispatcher.intakeDone();
    const lines = await s.lines();
    expect(lines.map((l) => [l.row, l.outcome, l.attempts])).toEqual([
      ['1', 'updated', '1'],
      ['2', 'updated', '2'],
      ['3', 'updated', '2'],
      ['4', 'failed', '1'],
      ['5', 'updated', '1'],
    ]);
    expect(lines[1]!.requestId).toBe('req-2-2');
    expect(s.renewed).toEqual(['t1']);
    expect(s.dispatcher.retries).toBe(1); // the 401 replay is not a retry
    expect(s.dispatcher.throttled429).toBe(1);
  });

  it('retries stop after maxRetries: 1 + 3 attempts, the row failed with "retries exhausted"', async () => {
    const s = setUp(() => ({ status: 503, errorCode: 'ServiceUnavailable', retryAfterMs: 1 }));
    s.dispatcher.push(work(1));
    s.dispatcher.intakeDone();
    const [line] = await s.lines();
    expect(line).toMatchObject({ outcome: 'failed', attempts: '4', httpStatus: '503' });
    expect(line!.errorMessage).toContain('retries exhausted (4 attempts)');
  });

  it('a stop drops the queued rows as skipped; the one waiting for a retry is skipped with its last answer', async () => {
    const s = setUp((row) => (row === 1 ? { status: 503, errorCode: 'ServiceUnavailable', retryAfterMs: 60_000 } : { status: 204 }));
    s.dispatcher.push(work(1));
    await new Promise((r) => setTimeout(r, 20)); // row 1 answered 503, waits 60 s for its retry
    for (let row = 2; row <= 4; row++) s.dispatcher.push(work(row));
    s.stops.halt({ reason: 'interrupted', exitCode: ExitCode.Interrupted });
    s.dispatcher.intakeDone();
    const lines = await s.lines();
    expect(lines.map((l) => l.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(lines.every((l) => l.errorMessage === 'not completed: interrupted')).toBe(true);
    expect(s.sent.map((x) => x.row)).toEqual([1]);
  });

  it('rows to read first go to the reader: at their target they are unchanged, else the PATCH carries only what differs', async () => {
    const reads: string[] = [];
    const reader = {
      read: async (r: { key: string }): Promise<ReadResult> => {
        reads.push(r.key);
        const current = r.key === guid(1) ? 'v1' : 'old';
        return { kind: 'found', state: { id: r.key, extensionAttributes: { extensionAttribute1: current } }, attempts: 1, httpStatus: 200 };
      },
    };
    const s = setUp(() => ({ status: 204 }), { reader });
    s.dispatcher.push(work(1, 'read'));
    s.dispatcher.push(work(2, 'read'));
    s.dispatcher.intakeDone();
    const lines = await s.lines();
    expect(reads).toEqual([guid(1), guid(2)]);
    expect(lines.map((l) => [l.outcome, l.attempts])).toEqual([
      ['unchanged', '1'],
      ['updated', '1'],
    ]);
    expect(s.sent).toEqual([{ row: 2, token: 't1', body: { extensionAttributes: { extensionAttribute1: 'v2' } } }]);
  });

  it('back-pressure: full at highWater rows outstanding, room again once rows finish', async () => {
    const s = setUp(() => ({ status: 204 }));
    for (let row = 1; row < s.dispatcher.highWater; row++) s.dispatcher.push(work(row));
    expect(s.dispatcher.full).toBe(false);
    s.dispatcher.push(work(s.dispatcher.highWater));
    expect(s.dispatcher.full).toBe(true);
    await s.dispatcher.waitForRoom();
    expect(s.dispatcher.full).toBe(false);
    s.dispatcher.intakeDone();
    const lines = await s.lines();
    expect(lines.length).toBe(s.dispatcher.highWater);
    expect(lines.every((l) => l.outcome === 'updated')).toBe(true);
  });
});

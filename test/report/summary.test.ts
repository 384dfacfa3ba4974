import { describe, expect, it } from 'vitest';
import { buildSummary, formatSummary, summaryText } from '../../src/report/summary.js';
import { OUTCOMES, type Outcome } from '../../src/types.js';

const counts = (c: Partial<Record<Outcome, number>>) =>
  ({ ...Object.fromEntries(OUTCOMES.map((o) => [o, 0])), ...c }) as Record<Outcome, number>;

describe('buildSummary', () => {
  it("adds the reads' 429s and retries to the writes', counts every outcome as a row and rates writes per second", () => {
    const s = buildSummary({
      exitCode: 1,
      resultsPath: 'results/a.csv',
      counts: counts({ updated: 7, failed: 2, unchanged: 1 }),
      byErrorCode: { Request_BadRequest: 2 },
      wallMs: 2000,
      writesSent: 10,
      reads: { reads: 12, throttled429: 2, retries: 3 },
      writesThrottled429: 1,
      writeRetries: 4,
      rollback: { path: 'results/a.rollback.csv', count: 9 },
    });
    expect(s).toMatchObject({
      rows: 10,
      writesPerSecond: 5,
      readsSent: 12,
      throttled429: 3,
      retries: 7,
      rollbackPath: 'results/a.rollback.csv',
    });
    expect(s.plan).toBeUndefined();
    expect(formatSummary(s)).toContain('graph-bulk: 10 rows: updated 7, unchanged 1, failed 2');
  });

  it('an empty rollback manifest is not named; a plan has its counts; a stop its reason and advice', () => {
    const s = buildSummary({
      exitCode: 2,
      counts: counts({ planned: 4, unchanged: 2, failed: 1 }),
      byErrorCode: {},
      wallMs: 0,
      writesSent: 0,
      writesThrottled429: 0,
      writeRetries: 0,
      plan: { notFound: 1 },
      rollback: { path: 'x.rollback.csv', count: 0 },
      stop: { reason: 'interrupted', advice: 'run again' },
    });
    expect(s.rollbackPath).toBeUndefined();
    expect(s).toMatchObject({
      plan: { toChange: 4, unchanged: 2, notFound: 1 },
      stoppedReason: 'interrupted',
      advice: 'run again',
      writesPerSecond: 0,
    });
    const json = JSON.parse(summaryText(s, 'json', new Date(0)));
    expect(json).toMatchObject({ time: '1970-01-01T00:00:00.000Z', msg: 'summary', exitCode: 2 });
  });
});

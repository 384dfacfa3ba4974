/** The report's parts without a browser: the run recorder's series, the row tally, the page's text. */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/html-report.js';
import { invalidReason, ReportTally } from '../../src/report/report-tally.js';
import { RunRecorder } from '../../src/report/run-recorder.js';
import { niceMax } from '../../src/report/svg-chart.js';
import { OUTCOMES, type Outcome, type RowResult } from '../../src/types.js';

const line = (row: number, outcome: Outcome, extra: Partial<RowResult> = {}): RowResult => ({
  row,
  key: 'k',
  keyType: 'id',
  outcome,
  attempts: 1,
  finishedAt: 'x',
  columns: {},
  ...extra,
});

describe('RunRecorder', () => {
  it('slices a short run in 100 ms, counts per second, keeps pauses and the slowest rows', () => {
    let now = 1_000_000;
    const rec = new RunRecorder({ now: () => now, budget: { burst: 20, refillPerSecond: 20 } });
    rec.answer({ atMs: now + 50, sentAtMs: now + 10, writes: 20, throttled: 2, retries: 2, failed: 0, pauseMs: 1500 });
    rec.answer({ atMs: now + 250, sentAtMs: now + 200, writes: 10, throttled: 0, retries: 0, failed: 1 });
    for (let i = 1; i <= 15; i++) rec.row({ row: i, key: `d${i}`, ms: i * 10, attempts: 1 });
    now += 400;
    rec.finish();
    const t = rec.timeline();
    expect(t.bucketSeconds).toBe(0.1);
    expect(t.seconds.map((b) => [b.second, b.writes, b.throttled, b.failed])).toEqual([
      [0, 200, 20, 0],
      [0.1, 0, 0, 0],
      [0.2, 100, 0, 10],
      [0.3, 0, 0, 0],
    ]);
    expect(t.seconds[0]!.latencyMaxMs).toBe(40);
    expect(t.pauses).toEqual([{ atMs: 50, ms: 1500 }]);
    expect([t.pauseCount, t.pausedMs]).toEqual([1, 1500]);
    expect(t.slowRows.map((r) => r.row)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
  });

  it('a long run is sliced by the second', () => {
    let now = 0;
    const rec = new RunRecorder({ now: () => now });
    rec.answer({ atMs: 30_500, sentAtMs: 30_400, writes: 5, throttled: 0, retries: 0, failed: 0 });
    now = 31_000;
    const t = rec.timeline();
    expect(t.bucketSeconds).toBe(1);
    expect(t.seconds).toHaveLength(31);
    expect(t.seconds[30]!.writes).toBe(5);
  });
});

describe('ReportTally and invalidReason', () => {
  it('groups failed rows by code with messages, invalid rows by reason, planned changes by property', () => {
    const t = new ReportTally();
    t.add(line(1, 'failed', { errorCode: 'Request_ResourceNotFound', httpStatus: 404, errorMessage: 'no such device' }));
    t.add(line(2, 'failed', { errorCode: 'Request_ResourceNotFound', httpStatus: 404, errorMessage: 'no such device' }));
    t.add(line(3, 'invalid', { errorMessage: 'row 3: id "x" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)' }));
    t.add(line(4, 'invalid', { errorMessage: 'row 4: id "y" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)' }));
    t.add(line(5, 'planned', { errorMessage: 'accountEnabled true → false; extensionAttribute1 null → "Sales"' }));
    t.add(line(6, 'planned', { errorMessage: 'accountEnabled true → false' }));
    expect(t.failed.get('Request_ResourceNotFound')).toEqual({
      code: 'Request_ResourceNotFound',
      count: 2,
      httpStatus: 404,
      messages: ['no such device'],
      rows: [1, 2],
    });
    expect(ReportTally.sorted(t.invalid)).toEqual([['id "…" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)', 2]]);
    expect(ReportTally.sorted(t.changes)).toEqual([
      ['accountEnabled true → false', 2],
      ['extensionAttribute1 null → "Sales"', 1],
    ]);
    expect(invalidReason('row 9: duplicate of row 2 (same id db5b5fab-8f4d-4e27-9da1-494c73cf256d)')).toBe(
      'duplicate of row N (same id …)',
    );
  });
});

describe('renderReport', () => {
  it('escapes what the run put in, and shows a plan’s changes', () => {
    const tally = new ReportTally();
    tally.add(line(1, 'failed', { errorCode: 'X<script>', errorMessage: '<img src=x onerror=alert(1)>' }));
    tally.add(line(2, 'planned', { errorMessage: 'accountEnabled true → false' }));
    const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    byOutcome.failed = 1;
    byOutcome.planned = 1;
    const html = renderReport({
      summary: {
        exitCode: 1,
        rows: 2,
        byOutcome,
        byErrorCode: {},
        wallMs: 1200,
        writesSent: 1,
        readsSent: 2,
        writesPerSecond: 1,
        throttled429: 0,
        retries: 0,
        resultsPath: 'r<1>.csv',
      },
      tally,
      timeline: new RunRecorder().timeline(),
      manifest: 'm.csv',
      plan: true,
    });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('r&lt;1&gt;.csv');
    expect(html).toContain('<code>accountEnabled true → false</code></td><td class="n">1</td>');
    expect(html).toContain("default-src 'none'");
  });

  it('niceMax rounds axes up to 1, 2 or 5 × 10ⁿ', () => {
    expect([niceMax(0), niceMax(7), niceMax(20), niceMax(21), niceMax(430)]).toEqual([1, 10, 20, 50, 500]);
  });
});

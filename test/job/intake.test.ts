import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/job/errors.js';
import { ExitCode } from '../../src/job/exit-codes.js';
import { intake, openManifest, type RowSink, shardFilter } from '../../src/job/intake.js';
import { Ledger } from '../../src/job/ledger.js';
import { parseJobOptions } from '../../src/job/options.js';
import { StopSwitch, type Work } from '../../src/job/work.js';
import type { PreviousResults } from '../../src/report/resume.js';
import type { RowResult } from '../../src/types.js';
import { readResults, tempFile } from '../helpers/results.js';
import { freshResults, guid } from './parts.js';

const manifest = (rows: string[]) => tempFile('m.csv', ['id,extensionAttribute1', ...rows].join('\n') + '\n');
const ROWS = [`${guid(1)},a`, 'not-a-guid,b', `${guid(3)},c`, `${guid(4)},d`];

/** A sink that takes every row; `full` after `room` rows until `waitForRoom` is called. */
function sink(room = Infinity) {
  const pushed: Work[] = [];
  let waits = 0;
  const s: RowSink & { pushed: Work[]; waits: () => number } = {
    pushed,
    waits: () => waits,
    push: (w) => void pushed.push(w),
    get full() {
      return pushed.length >= room * (waits + 1);
    },
    waitForRoom: async () => void waits++,
  };
  return s;
}

async function take(
  rows: string[],
  options: Record<string, unknown> = {},
  extra: { sink?: ReturnType<typeof sink>; previous?: PreviousResults; env?: NodeJS.ProcessEnv; stops?: StopSwitch } = {},
) {
  const path = manifest(rows);
  const o = parseJobOptions({ manifest: path, ...options }, 'test');
  const info = await openManifest(path, o);
  const results = freshResults();
  const stops = extra.stops ?? new StopSwitch();
  const ledger = new Ledger({ results, stops, maxErrors: undefined });
  const s = extra.sink ?? sink();
  const shard = shardFilter(o, extra.env ?? {});
  const r = await intake({
    info,
    options: o,
    ledger,
    stops,
    sink: o.dryRun ? undefined : s,
    readFirst: true,
    shard,
    previous: extra.previous,
  });
  results.close();
  return { ...r, lines: readResults(results.path), sink: s, stops };
}

describe('intake', () => {
  it('an invalid row is recorded at once; valid rows are queued to be read first, in manifest order', async () => {
    const t = await take(ROWS);
    expect(t.lines).toEqual([expect.objectContaining({ row: '2', outcome: 'invalid' })]);
    expect(t.sink.pushed.map((w) => [w.update.row, w.phase, w.item.path])).toEqual([
      [1, 'read', `/devices/${guid(1)}`],
      [3, 'read', `/devices/${guid(3)}`],
      [4, 'read', `/devices/${guid(4)}`],
    ]);
  });

  it('a dry run records every valid row planned with the PATCH it would send', async () => {
    const t = await take(ROWS, { dryRun: true });
    expect(t.lines.map((l) => l.outcome)).toEqual(['planned', 'invalid', 'planned', 'planned']);
    expect(t.lines[0]!.errorMessage).toBe(`PATCH /devices/${guid(1)} {"extensionAttributes":{"extensionAttribute1":"a"}}`);
  });

  it('a shard keeps only its rows; a resumed run carries updated rows over with their old line', async () => {
    const t = await take(ROWS, { shard: '1/2' });
    const all = [...t.lines.map((l) => Number(l.row)), ...t.sink.pushed.map((w) => w.update.row)].sort();
    const other = await take(ROWS, { shard: '2/2' });
    const rest = [...other.lines.map((l) => Number(l.row)), ...other.sink.pushed.map((w) => w.update.row)].sort();
    expect([...all, ...rest].sort()).toEqual([1, 2, 3, 4]);
    expect(all.some((r) => rest.includes(r))).toBe(false);

    const old: RowResult = {
      row: 3,
      key: guid(3),
      keyType: 'id',
      outcome: 'updated',
      attempts: 1,
      finishedAt: '2026-01-01T00:00:00.000Z',
      columns: { id: guid(3), extensionAttribute1: 'c' },
    };
    const previous = { path: 'old.csv', updated: new Map([[3, old]]) } as unknown as PreviousResults;
    const resumed = await take(ROWS, {}, { previous });
    expect(resumed.carriedOver).toBe(1);
    // A carried line that is not its row's (another value now): the row runs again (issue 14).
    const moved = { path: 'old.csv', updated: new Map([[3, { ...old, columns: { id: guid(3), extensionAttribute1: 'b' } }]]) };
    const rerun = await take(ROWS, {}, { previous: moved as unknown as PreviousResults });
    expect(rerun.carriedOver).toBe(0);
    expect(rerun.sink.pushed.map((w) => w.update.row)).toContain(3);
    expect(resumed.lines.find((l) => l.row === '3')).toMatchObject({
      outcome: 'updated',
      finishedAt: '2026-01-01T00:00:00.000Z',
      extensionAttribute1: 'c',
    });
    expect(resumed.sink.pushed.map((w) => w.update.row)).toEqual([1, 4]);
  });

  it('waits for room whenever the sink is full (back-pressure)', async () => {
    const s = sink(1);
    await take(ROWS, {}, { sink: s });
    expect(s.pushed).toHaveLength(3);
    expect(s.waits()).toBe(3);
  });

  it('rows read after a stop are skipped, not attempted; a bad header or shard is a JobError (exit 3)', async () => {
    const stops = new StopSwitch();
    stops.halt({ reason: 'interrupted', exitCode: ExitCode.Interrupted });
    const t = await take(ROWS, {}, { stops });
    expect(t.sink.pushed).toEqual([]);
    expect(t.lines.map((l) => [l.outcome, l.errorMessage])).toEqual(ROWS.map(() => ['skipped', 'not attempted: interrupted']));
    await expect(openManifest(tempFile('bad.csv', 'name,colour\nx,y\n'), {} as never)).rejects.toThrow(JobError);
    expect(() => shardFilter({ shard: '3/2', allowDuplicates: false }, {})).toThrow(JobError);
  });
});

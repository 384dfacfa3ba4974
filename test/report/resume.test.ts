/**
 * Reading a previous results file for `--resume`: cut anywhere (kill -9, a full disk), it yields
 * exactly its complete lines; the sidecar ties it to one manifest.
 */
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ResultsFile } from '../../src/report/results-file.js';
import { readResultsMeta, resultsMetaPath } from '../../src/report/results-meta.js';
import { completeRecords, loadPreviousResults, parseResults, ResumeError } from '../../src/report/resume.js';
import type { RowResult } from '../../src/types.js';
import { tempDir } from '../helpers/results.js';

const SHA = 'a'.repeat(64);
const manifest = { path: '/data/devices.csv', sha256: SHA, rowCount: 6 };

function result(row: number, outcome: RowResult['outcome'], displayName: string): RowResult {
  return {
    row,
    key: `00000000-0000-4000-8000-00000000000${row}`,
    keyType: 'id',
    outcome,
    httpStatus: outcome === 'updated' ? 204 : 503,
    errorMessage: outcome === 'updated' ? undefined : `line one\nline "two", with a comma`,
    attempts: row,
    finishedAt: `2026-01-0${row}T00:00:00.000Z`,
    columns: { id: `00000000-0000-4000-8000-00000000000${row}`, displayName },
  };
}

/** A results file as a run writes it: sidecar, header, then these rows. */
function writeResults(name: string, rows: RowResult[], resumedFrom?: string): string {
  const path = join(tempDir(), name);
  const f = ResultsFile.create(path, {
    manifestColumns: ['id', 'displayName'],
    meta: { manifest: { path: manifest.path, sha256: SHA, rows: manifest.rowCount }, resumedFrom },
  });
  for (const r of rows) f.write(r);
  f.close();
  return path;
}

const rows = [
  result(1, 'updated', 'Lab, Floor 2'),
  result(2, 'failed', 'multi\nline "quoted"'),
  result(3, 'updated', '=SUM(A1)'),
  result(4, 'skipped', 'plain'),
  result(5, 'updated', 'last'),
];

describe('completeRecords', () => {
  for (const format of ['csv', 'jsonl'] as const) {
    it(`${format}: a file cut at any byte keeps exactly the lines written in full before the cut`, () => {
      const path = writeResults(`r.${format}`, rows);
      const text = readFileSync(path, 'utf8');
      // Where each complete record ends, by parsing the whole file independently of the code under test.
      const ends: number[] = [];
      if (format === 'csv') {
        const info = parse(text, { info: true }) as unknown as Array<{ info: { bytes: number } }>;
        // info.bytes counts bytes: the byte-order mark is 3 bytes of UTF-8 but 1 character (the rest is ASCII)
        const bomExtra = text.startsWith('\uFEFF') ? 2 : 0;
        for (const r of info) ends.push(r.info.bytes - bomExtra);
      } else {
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) ends.push(i + 1);
      }
      expect(ends.at(-1)).toBe(text.length);
      for (let cut = 0; cut <= text.length; cut++) {
        const { complete, droppedChars } = completeRecords(text.slice(0, cut), format);
        const expectedEnd = Math.max(0, ...ends.filter((e) => e <= cut));
        expect(complete.length, `cut at ${cut}`).toBe(expectedEnd);
        expect(droppedChars).toBe(cut - expectedEnd);
      }
    });
  }

  it('reads back what was written: rows, outcomes, attempts, messages with line breaks and quotes', () => {
    for (const format of ['csv', 'jsonl'] as const) {
      const path = writeResults(`r.${format}`, rows);
      const back = parseResults(readFileSync(path, 'utf8'), format, path);
      expect(back.map((r) => [r.row, r.outcome, r.attempts, r.finishedAt])).toEqual(
        rows.map((r) => [r.row, r.outcome, r.attempts, r.finishedAt]),
      );
      expect(back[1]!.errorMessage).toBe(rows[1]!.errorMessage);
      expect(back[1]!.columns.displayName).toBe('multi\nline "quoted"');
    }
  });
});

describe('loadPreviousResults', () => {
  it('returns the rows recorded updated; a partial last line is dropped and its row is not among them', () => {
    const path = writeResults('r.csv', rows);
    const full = readFileSync(path, 'utf8');
    truncateSync(path, Buffer.byteLength(full) - 3); // row 5's line loses its end
    const previous = loadPreviousResults(path, manifest);
    expect([...previous.updated.keys()]).toEqual([1, 3]);
    expect(previous.lines).toBe(4);
    expect(previous.droppedChars).toBeGreaterThan(0);
    expect(previous.updated.get(1)!.finishedAt).toBe(rows[0]!.finishedAt);
  });

  it('the sidecar names the manifest path, its sha256 and row count, and the results file', () => {
    const path = writeResults('r.jsonl', rows);
    const meta = readResultsMeta(path);
    expect(meta).toMatchObject({ manifest: { path: manifest.path, sha256: SHA, rows: 6 }, results: { path, format: 'jsonl' } });
  });

  it('refuses another manifest, naming both', () => {
    const path = writeResults('r.csv', rows);
    const other = { path: '/data/other.csv', sha256: 'b'.repeat(64), rowCount: 6 };
    expect(() => loadPreviousResults(path, other)).toThrow(ResumeError);
    expect(() => loadPreviousResults(path, other)).toThrow(/belongs to manifest \/data\/devices\.csv .*\/data\/other\.csv is different/);
  });

  it('accepts the same manifest content at another path', () => {
    const path = writeResults('r.csv', rows);
    expect(loadPreviousResults(path, { ...manifest, path: '/moved/devices.csv' }).updated.size).toBe(3);
  });

  it('refuses a results file without its sidecar, or that is not a results file', () => {
    const path = writeResults('r.csv', rows);
    const copy = join(tempDir(), 'copy.csv');
    writeFileSync(copy, readFileSync(path));
    expect(() => loadPreviousResults(copy, manifest)).toThrow(/copy\.csv\.meta\.json is missing/);
    writeFileSync(copy, 'id,displayName\nx,y\n');
    writeFileSync(resultsMetaPath(copy), readFileSync(resultsMetaPath(path)));
    expect(() => loadPreviousResults(copy, manifest)).toThrow(/is this a graph-bulk results file/);
    writeFileSync(resultsMetaPath(copy), '{"kind":"something else"}');
    expect(() => loadPreviousResults(copy, manifest)).toThrow(/not a graph-bulk results sidecar/);
  });

  it('refuses a results file naming a row the manifest does not have', () => {
    const path = writeResults('r.csv', [...rows, result(9, 'updated', 'beyond')]);
    expect(() => loadPreviousResults(path, manifest)).toThrow(/row 9, but the manifest has 6 rows/);
  });

  it('follows resumedFrom: rows updated in an earlier file count even when a later resume was killed before copying them', () => {
    const first = writeResults('first.csv', rows); // rows 1, 3, 5 updated
    const second = writeResults('second.csv', [result(2, 'updated', 'b')], first); // killed early: only row 2 written
    const previous = loadPreviousResults(second, manifest);
    expect([...previous.updated.keys()].sort()).toEqual([1, 2, 3, 5]);
    expect(previous.earlier).toEqual([first]);
    rmSync(first);
    const without = loadPreviousResults(second, manifest);
    expect([...without.updated.keys()]).toEqual([2]);
    expect(without.skippedEarlier).toEqual([first]);
  });
});

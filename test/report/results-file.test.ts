import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { neutraliseCell, RESULT_COLUMNS, ResultsFile, ResultsWriteError } from '../../src/report/results-file.js';

const dir = () => mkdtempSync(join(tmpdir(), 'gb-results-'));
const result = (row: number, extra: Record<string, string> = {}) => ({
  row,
  key: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
  keyType: 'id' as const,
  outcome: 'updated' as const,
  httpStatus: 204,
  attempts: 1,
  finishedAt: '2026-01-01T00:00:00.000Z',
  columns: { id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d', displayName: 'PC A', ...extra },
});

describe('ResultsFile', () => {
  it('writes the header then one line per row, with the manifest columns after the result columns', () => {
    const path = join(dir(), 'sub', 'r.csv');
    const f = ResultsFile.create(path, { manifestColumns: ['id', 'displayName'] });
    f.write(result(1));
    f.write(result(2, { displayName: 'Lab, Floor 2' }));
    f.close();
    const rows = parse(readFileSync(path, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual([...RESULT_COLUMNS, 'id', 'displayName']);
    expect(rows.map((r) => r.row)).toEqual(['1', '2']);
    expect(rows[1]!.displayName).toBe('Lab, Floor 2');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('neutralises cells Excel would run as formulas', () => {
    expect(neutraliseCell('=HYPERLINK("x")')).toBe(`'=HYPERLINK("x")`);
    expect(neutraliseCell('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(neutraliseCell('Kiosk 7')).toBe('Kiosk 7');
    const path = join(dir(), 'r.csv');
    const f = ResultsFile.create(path, { manifestColumns: ['id', 'displayName'] });
    f.write(result(1, { displayName: '+cmd|calc' }));
    f.close();
    const rows = parse(readFileSync(path, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows[0]!.displayName).toBe(`'+cmd|calc`);
  });

  it('writes JSON Lines for a .jsonl path', () => {
    const path = join(dir(), 'r.jsonl');
    const f = ResultsFile.create(path, { manifestColumns: ['id'] });
    f.write(result(7));
    f.close();
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ row: 7, outcome: 'updated', httpStatus: 204, id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d' });
  });

  it('refuses to overwrite an existing file', () => {
    const path = join(dir(), 'r.csv');
    writeFileSync(path, 'old results');
    expect(() => ResultsFile.create(path, { manifestColumns: [] })).toThrow(ResultsWriteError);
    expect(readFileSync(path, 'utf8')).toBe('old results');
  });
});

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { inspectManifest, readManifest } from '../../src/manifest/index.js';
import { mergeResults, readResultsTable, writeMergedResults } from '../../src/report/merge-results.js';
import { errorsPathFor, neutraliseCell, RESULT_COLUMNS, ResultsFile, ResultsWriteError } from '../../src/report/results-file.js';
import { parseResults } from '../../src/report/resume.js';

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
    const rows = parse(readFileSync(path, 'utf8'), { columns: true, bom: true }) as Array<Record<string, string>>;
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
    const rows = parse(readFileSync(path, 'utf8'), { columns: true, bom: true }) as Array<Record<string, string>>;
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

  it('CSV for Excel: a UTF-8 byte-order mark first, the delimiter asked for, cells holding it quoted', () => {
    const path = join(dir(), 'r.csv');
    const f = ResultsFile.create(path, { manifestColumns: ['id', 'displayName'], delimiter: ';' });
    f.write(result(1, { displayName: 'Büro; 2. Stock' }));
    f.write(result(2, { displayName: 'Lab, Floor 2' }));
    f.close();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text.split('\n')[0]).toBe(`\uFEFF${[...RESULT_COLUMNS, 'id', 'displayName'].join(';')}`);
    expect(text).toContain(';"Büro; 2. Stock"\n');
    expect(text).toContain(';Lab, Floor 2\n');
  });

  it('readers take back the BOM and the delimiter: resume, merge-results and the manifest reader', async () => {
    const path = join(dir(), 'r.csv');
    const f = ResultsFile.create(path, { manifestColumns: ['id', 'displayName'], delimiter: ';' });
    f.write(result(1, { displayName: 'Büro; 2. Stock' }));
    f.write({ ...result(2), outcome: 'failed', httpStatus: 404, errorCode: 'Request_ResourceNotFound' });
    f.close();
    const back = parseResults(readFileSync(path, 'utf8'), 'csv', path);
    expect(back.map((r) => [r.row, r.outcome, r.httpStatus, r.columns.displayName])).toEqual([
      [1, 'updated', 204, 'Büro; 2. Stock'],
      [2, 'failed', 404, 'PC A'],
    ]);
    const table = readResultsTable(path);
    expect(table.delimiter).toBe(';');
    expect(table.columns[0]).toBe('row');
    const merged = join(dir(), 'merged.csv');
    const outcome = mergeResults([table]);
    writeMergedResults(merged, outcome.columns, outcome.lines, table.delimiter);
    expect(readFileSync(merged, 'utf8').startsWith(`\uFEFF${RESULT_COLUMNS.join(';')}`)).toBe(true);
    const info = await inspectManifest(path);
    expect(info.delimiter).toBe(';');
    const rows = [];
    for await (const row of readManifest(info)) rows.push(row.fields);
    expect(rows).toEqual([
      { id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d', displayName: 'Büro; 2. Stock' },
      { id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d', displayName: 'PC A' },
    ]);
  });

  it.each(['r.json', 'r.xlsx', 'r.CSV.txt', 'results'])(
    'refuses a results path %s whose extension is not a results format, creating nothing',
    (name) => {
      const d = dir();
      expect(() => ResultsFile.create(join(d, name), { manifestColumns: [] })).toThrow(/end it in \.csv \(opens in Excel\) or \.jsonl/);
      expect(() => writeMergedResults(join(d, name), [...RESULT_COLUMNS], [])).toThrow(/end it in \.csv/);
    },
  );

  it('JSON Lines: null, never "", for values a row does not have', () => {
    const path = join(dir(), 'r.jsonl');
    const f = ResultsFile.create(path, { manifestColumns: ['id', 'extensionAttribute1'] });
    f.write({ row: 1, key: '', keyType: '', outcome: 'invalid', errorMessage: 'row 1: no key', attempts: 0, finishedAt: 'x', columns: {} });
    f.close();
    const line = JSON.parse(readFileSync(path, 'utf8').trim());
    expect(line).toEqual({
      row: 1,
      key: '',
      keyType: '',
      outcome: 'invalid',
      httpStatus: null,
      errorCode: null,
      errorMessage: 'row 1: no key',
      attempts: 0,
      requestId: null,
      finishedAt: 'x',
      id: null,
      extensionAttribute1: null,
    });
    expect(parseResults(readFileSync(path, 'utf8'), 'jsonl', path)[0]).toMatchObject({
      httpStatus: undefined,
      requestId: undefined,
      columns: {},
    });
  });

  it('the errors file holds the failed, invalid, not-applied and skipped lines, and is a manifest of those rows', async () => {
    const path = join(dir(), 'job.csv');
    const f = ResultsFile.create(path, { manifestColumns: ['id', 'displayName'], delimiter: ';' });
    const outcomes = ['updated', 'failed', 'unchanged', 'invalid', 'not-applied', 'skipped', 'planned'] as const;
    outcomes.forEach((outcome, i) => {
      f.write({ ...result(i + 1, { displayName: `PC ${i + 1}` }), outcome });
    });
    f.close();
    expect(f.errors?.path).toBe(errorsPathFor(path));
    expect(errorsPathFor(path)).toBe(join(path, '..', 'job.errors.csv'));
    const text = readFileSync(errorsPathFor(path), 'utf8');
    expect(text.startsWith(`\uFEFF${RESULT_COLUMNS.join(';')};id;displayName\n`)).toBe(true);
    expect(parseResults(text, 'csv', 'errors').map((r) => [r.row, r.outcome])).toEqual([
      [2, 'failed'],
      [4, 'invalid'],
      [5, 'not-applied'],
      [6, 'skipped'],
    ]);
    const info = await inspectManifest(errorsPathFor(path));
    const names = [];
    for await (const row of readManifest(info)) names.push(row.fields.displayName);
    expect(names).toEqual(['PC 2', 'PC 4', 'PC 5', 'PC 6']);
    expect(statSync(errorsPathFor(path)).mode & 0o777).toBe(0o600);
  });
});

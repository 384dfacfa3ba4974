import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { inspectManifest, readManifest } from '../manifest/index.js';
import { RESULT_COLUMNS } from '../types.js';
import {
  BOM,
  csvDialect,
  neutraliseCell,
  unguardCell,
  RESULTS_EXTENSIONS,
  resultsDelimiterFor,
  resultsFormatFor,
  type ResultsFormat,
} from './results-file.js';
import { makeFolder } from './make-folder.js';

/** One results file as read for merging: its column names and its lines (column → cell text). */
export interface ResultsTable {
  path: string;
  columns: string[];
  lines: Array<Record<string, string>>;
  /** CSV: the delimiter the file was written with (the merged file keeps it). */
  delimiter?: string;
}

/** A manifest row as merging needs it: its key (to check results belong to it) and its own columns. */
export interface ManifestRowRef {
  key: string;
  keyType: string;
  columns: Record<string, string>;
}

/** What {@link mergeResults} decided. */
export interface MergeOutcome {
  /** Column names of the merged file. */
  columns: string[];
  /** One line per row, in row order (a placeholder `skipped` line for a missing row when the manifest is known). */
  lines: Array<Record<string, string>>;
  /** Rows with no line in any input (1-based), in order. */
  missing: number[];
  /** Rows with more than one line, and the files they came from (the latest `finishedAt` is kept). */
  duplicates: Array<{ row: number; files: string[] }>;
  /** Rows whose line names another device than the manifest row (empty when no manifest is given). */
  mismatched: Array<{ row: number; file: string; key: string; manifestKey: string }>;
  /** Expected rows: the manifest's row count, else the highest row number seen. */
  rowCount: number;
}

/** The results file could not be merged (unreadable input, columns that differ, output that exists). */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

/** Text of a placeholder line for a row that no merged file has. */
export const MISSING_ROW_MESSAGE =
  'no line for this row in any merged results file (its shard did not run or did not finish): run it again';

/**
 * Reads a results file (`.jsonl` as JSON Lines, anything else as CSV) written by graph-bulk.
 * @throws {MergeError} naming the file (and line) when it cannot be read, has no `row` column, or
 *   has a line whose `row` is not a positive whole number.
 */
export function readResultsTable(path: string): ResultsTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MergeError(`cannot read results file ${path}: ${(err as Error).message}`);
  }
  let columns: string[] = [];
  let lines: Array<Record<string, string>>;
  let delimiter: string | undefined;
  if (RESULTS_EXTENSIONS[extname(path).toLowerCase()] === 'jsonl') {
    lines = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (err) {
        throw new MergeError(`${path}: line ${i + 1} is not JSON: ${(err as Error).message}`);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record))
        throw new MergeError(`${path}: line ${i + 1} is not a JSON object`);
      if (columns.length === 0) columns = Object.keys(record);
      lines.push(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])));
    });
  } else {
    try {
      delimiter = csvDialect(text).delimiter;
      const rows = parse(text, { bom: true, skip_empty_lines: true, delimiter }) as string[][];
      columns = rows[0] ?? [];
      lines = rows.slice(1).map((cells) => Object.fromEntries(columns.map((c, i) => [c, unguardCell(cells[i] ?? '')])));
    } catch (err) {
      throw new MergeError(`${path}: not a readable CSV results file: ${(err as Error).message}`);
    }
  }
  if (lines.length > 0 && !columns.includes('row')) throw new MergeError(`${path}: no "row" column: not a graph-bulk results file`);
  lines.forEach((line, i) => {
    if (!/^[1-9]\d*$/.test(line.row ?? ''))
      throw new MergeError(`${path}: result line ${i + 1} has row "${line.row ?? ''}", expected a row number`);
  });
  return { path, columns: columns.length ? columns : [...RESULT_COLUMNS], lines, ...(delimiter ? { delimiter } : {}) };
}

/**
 * Combines the results files of a sharded run into one line per manifest row, in row order. Pure.
 * @param tables the shards' results files (any order).
 * @param manifest the manifest's rows by row number, when known: sets the row count, checks each
 *   line's key against its row, and fills a missing row with a `skipped` line (so the merged file can
 *   be run again as a manifest). Without it, the row count is the highest row seen and missing rows
 *   are only reported.
 * @throws {MergeError} when the files' columns differ.
 */
export function mergeResults(
  tables: readonly ResultsTable[],
  manifest?: { rowCount: number; rows: ReadonlyMap<number, ManifestRowRef> },
): MergeOutcome {
  const columns = tables[0]?.columns ?? [...RESULT_COLUMNS];
  for (const t of tables) {
    if (t.lines.length && t.columns.join('\u0000') !== columns.join('\u0000')) {
      throw new MergeError(
        `${t.path}: columns differ from ${tables[0]!.path} (${t.columns.join(',')} vs ${columns.join(',')}): results of different manifests cannot be merged`,
      );
    }
  }
  const chosen = new Map<number, { line: Record<string, string>; file: string }>();
  const seenIn = new Map<number, string[]>();
  for (const t of tables) {
    for (const line of t.lines) {
      const row = Number(line.row);
      const files = seenIn.get(row);
      if (files) files.push(t.path);
      else seenIn.set(row, [t.path]);
      const current = chosen.get(row);
      if (!current || (line.finishedAt ?? '') > (current.line.finishedAt ?? '')) chosen.set(row, { line, file: t.path });
    }
  }
  let maxRow = 0;
  for (const row of chosen.keys()) maxRow = Math.max(maxRow, row);
  const rowCount = manifest ? manifest.rowCount : maxRow;
  const duplicates = [...seenIn]
    .filter(([, files]) => files.length > 1)
    .map(([row, files]) => ({ row, files }))
    .sort((a, b) => a.row - b.row);
  const mismatched: MergeOutcome['mismatched'] = [];
  const missing: number[] = [];
  const lines: Array<Record<string, string>> = [];
  for (let row = 1; row <= Math.max(rowCount, maxRow); row++) {
    const hit = chosen.get(row);
    const ref = manifest?.rows.get(row);
    if (hit) {
      if (manifest) {
        const key = (hit.line.key ?? '').trim().toLowerCase();
        const manifestKey = ref ? ref.key.trim().toLowerCase() : '';
        if (!ref || (key && manifestKey && key !== manifestKey))
          mismatched.push({ row, file: hit.file, key: hit.line.key ?? '', manifestKey: ref?.key ?? '(no such row)' });
      }
      lines.push(hit.line);
      continue;
    }
    missing.push(row);
    if (ref) {
      const placeholder: Record<string, string> = Object.fromEntries(columns.map((c) => [c, ref.columns[c] ?? '']));
      Object.assign(placeholder, {
        row: String(row),
        key: ref.key,
        keyType: ref.keyType,
        outcome: 'skipped',
        httpStatus: '',
        errorCode: '',
        errorMessage: MISSING_ROW_MESSAGE,
        attempts: '0',
        requestId: '',
        finishedAt: '',
      });
      lines.push(placeholder);
    }
  }
  return { columns, lines, missing, duplicates, mismatched, rowCount };
}

/**
 * Reads a manifest's rows for {@link mergeResults}: the key as written (`id` or `deviceId`) and the row's own columns.
 * @throws the manifest reader's `ManifestError` for an unreadable manifest.
 */
export async function readManifestRefs(path: string): Promise<{ rowCount: number; rows: Map<number, ManifestRowRef> }> {
  const info = await inspectManifest(path);
  const rows = new Map<number, ManifestRowRef>();
  for await (const row of readManifest(info)) {
    const keyType = row.fields.id !== undefined && row.fields.id !== '' ? 'id' : row.fields.deviceId !== undefined ? 'deviceId' : '';
    rows.set(row.row, { key: keyType ? String(row.fields[keyType] ?? '').trim() : '', keyType, columns: row.columns });
  }
  return { rowCount: info.rowCount, rows };
}

/**
 * Writes merged lines to `path` (`.jsonl` as JSON Lines with `null` for empty result fields, else CSV
 * with a byte-order mark, `delimiter` and Excel-safe cells), owner-only (0600), never over an existing file.
 * @param delimiter CSV delimiter, default `,` (tab for `.tsv`): pass the merged files' own.
 * @throws {MergeError} when the extension is not a results format, or the file exists or cannot be written.
 */
export function writeMergedResults(
  path: string,
  columns: readonly string[],
  lines: ReadonlyArray<Record<string, string>>,
  delimiter?: string,
): void {
  let format: ResultsFormat;
  try {
    format = resultsFormatFor(path);
  } catch (err) {
    throw new MergeError((err as Error).message);
  }
  const d = resultsDelimiterFor(path, delimiter);
  const absent = new Set(['httpStatus', 'errorCode', 'errorMessage', 'requestId']);
  let fd: number;
  try {
    makeFolder(dirname(path));
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    throw new MergeError(`cannot create ${path}: ${(err as Error).message}`);
  }
  try {
    const jsonl = format === 'jsonl';
    const chunk: string[] = jsonl ? [] : [BOM + stringify([columns as string[]], { delimiter: d })];
    const flush = () => {
      writeSync(fd, chunk.join(''));
      chunk.length = 0;
    };
    for (const line of lines) {
      if (jsonl)
        chunk.push(
          JSON.stringify(Object.fromEntries(columns.map((c) => [c, absent.has(c) && !line[c] ? null : (line[c] ?? null)]))) + '\n',
        );
      else chunk.push(stringify([columns.map((c) => neutraliseCell(line[c] ?? ''))], { delimiter: d }));
      if (chunk.length >= 1000) flush();
    }
    flush();
    fsyncSync(fd);
  } catch (err) {
    throw new MergeError(`cannot write ${path}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Row numbers as short ranges for messages: `[1,2,3,7]` → `1-3, 7` (at most `max` ranges, then "…"). */
export function formatRows(rows: readonly number[], max = 20): string {
  const ranges: string[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j]! + 1) j++;
    ranges.push(i === j ? String(rows[i]) : `${rows[i]}-${rows[j]}`);
    i = j + 1;
  }
  return ranges.length > max ? `${ranges.slice(0, max).join(', ')}, … (${rows.length} rows)` : ranges.join(', ');
}

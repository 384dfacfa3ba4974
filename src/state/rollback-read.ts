/**
 * Reading the rollback manifests an earlier run of a resume chain left, so that a resumed run never
 * writes a second line for a device an earlier line already covers (the earlier line holds the values
 * from before the first run; a later read would see the first run's own values).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { BOM, csvDialect } from '../report/results-file.js';
import { completeRecords } from '../report/resume.js';

/** One complete line of a rollback manifest: the device and the properties it puts back. */
export interface RollbackLine {
  row: number;
  id: string;
  properties: string[];
}

/**
 * The complete lines of a rollback manifest (an unterminated last line is left out: written ahead of
 * its PATCH, a line cut short means that PATCH was never sent).
 * @returns `undefined` when the file does not exist (no row of that run needed a line).
 * @throws {Error} naming the file when it cannot be read or is not a rollback manifest.
 */
export function readRollbackLines(path: string): { lines: RollbackLine[]; droppedChars: number } | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const { complete, droppedChars } = completeRecords(text, 'csv');
  if (complete === '' || complete === BOM) return { lines: [], droppedChars };
  const { delimiter } = csvDialect(complete, 'rollbackOfRow');
  let records: string[][];
  try {
    records = parse(complete, { relax_column_count: true, bom: true, delimiter }) as string[][];
  } catch (err) {
    throw new Error(`cannot read the rollback manifest ${path}: ${(err as Error).message}`);
  }
  const header = records[0] ?? [];
  if (header[0] !== 'rollbackOfRow' || header[1] !== 'id') throw new Error(`${path} is not a graph-bulk rollback manifest`);
  const lines: RollbackLine[] = [];
  for (const cells of records.slice(1)) {
    const properties = header.slice(2).filter((_, i) => (cells[i + 2] ?? '') !== '');
    lines.push({ row: Number(cells[0]), id: cells[1] ?? '', properties });
  }
  return { lines, droppedChars };
}

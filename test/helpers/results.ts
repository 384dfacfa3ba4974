import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

/** One results-file line as a user reads it (all values text). */
export type ResultLine = Record<string, string>;

/** Reads a results CSV (as Excel does: byte-order mark dropped, the delimiter the header uses) into records keyed by column, sorted by manifest row. */
export function readResults(path: string): ResultLine[] {
  const text = readFileSync(path, 'utf8');
  const delimiter = /^\uFEFF?"?row"?([,;\t|])/.exec(text)?.[1] ?? ',';
  const rows = parse(text, { columns: true, bom: true, delimiter }) as ResultLine[];
  return rows.sort((a, b) => Number(a.row) - Number(b.row));
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'gb-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `text` to `name` in a fresh temporary folder and returns its path. */
export function tempFile(name: string, text: string | Buffer): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

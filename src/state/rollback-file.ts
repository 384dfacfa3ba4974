/**
 * The rollback manifest a run leaves beside its results file: for each row written, the device's
 * object id and the values it held before, of exactly the properties the row changed. It is an
 * ordinary CSV manifest: `graph-bulk run --manifest <it>` puts those values back.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { canonicalColumn, isExtensionAttribute, KEY_COLUMNS } from '../manifest/columns.js';
import { ROLLBACK_ROW_COLUMN } from '../manifest/header.js';
import { neutraliseCell } from '../report/results-file.js';
import type { KeyType } from '../types.js';
import type { PropertyChange } from './diff.js';

/** `results/job-….csv` → `results/job-….rollback.csv` (any extension of the results file). */
export function rollbackPathFor(resultsPath: string): string {
  const ext = extname(resultsPath);
  return `${ext ? resultsPath.slice(0, -ext.length) : resultsPath}.rollback.csv`;
}

/**
 * The property columns a rollback manifest needs for a manifest's columns: their canonical names,
 * keys left out, in manifest order.
 */
export function rollbackColumns(manifestColumns: readonly string[]): string[] {
  const out: string[] = [];
  for (const written of manifestColumns) {
    const name = canonicalColumn(written);
    if (name === undefined || KEY_COLUMNS.includes(name as KeyType) || out.includes(name)) continue;
    out.push(name);
  }
  return out;
}

/** Thrown when the rollback manifest cannot be created or written (disk full, permissions). */
export class RollbackWriteError extends Error {
  override readonly name: string = 'RollbackWriteError';
}

/**
 * A rollback manifest being written: `rollbackOfRow,id,<property columns>`, one line per row written,
 * written straight to disk (so a crash keeps what was written). Cells:
 * - a previous text value as it was (formula-like text gets the results file's Excel guard, which the
 *   manifest reader removes again for a file with a `rollbackOfRow` column);
 * - `true` / `false` for booleans;
 * - the clear token for an extension attribute that was not set (`null`);
 * - empty for a property the row did not change, and for a non-extension property that had no value
 *   (Graph cannot empty it; counted in {@link unrestorable}).
 * Created owner-only (0600), never over an existing file; removed again by {@link close} when no row was
 * written.
 *
 * A device written by several rows (`allowDuplicates`) keeps the values it had before the first: a
 * later row's line carries only properties no earlier line holds, so the lines of one device never
 * overlap and the order they run in does not matter (the manifest then needs `allowDuplicates` too).
 */
export class RollbackFile {
  readonly path: string;
  readonly #columns: readonly string[];
  readonly #clearToken: string;
  #fd: number;
  #count = 0;
  #unrestorable = 0;
  #repeated = 0;
  /** Device id → properties already in the file and its lines (only when rows may repeat a device). */
  readonly #seen: Map<string, { properties: Set<string>; lines: number }> | undefined;

  private constructor(path: string, fd: number, columns: readonly string[], clearToken: string, duplicates: boolean) {
    this.path = path;
    this.#seen = duplicates ? new Map() : undefined;
    this.#fd = fd;
    this.#columns = columns;
    this.#clearToken = clearToken;
    this.#write(stringify([[ROLLBACK_ROW_COLUMN, 'id', ...columns]]));
  }

  /**
   * Creates the file (and its folder).
   * @param columns property columns (see {@link rollbackColumns}).
   * @param clearToken the cell text that clears an extension attribute (the job's `clearToken`).
   * @param duplicates whether rows may repeat a device (`allowDuplicates`): only then are devices remembered.
   * @throws {RollbackWriteError} when the file exists or cannot be created.
   */
  static create(path: string, columns: readonly string[], clearToken: string, duplicates = false): RollbackFile {
    try {
      mkdirSync(dirname(path), { recursive: true });
      return new RollbackFile(path, openSync(path, 'wx', 0o600), columns, clearToken, duplicates);
    } catch (err) {
      throw new RollbackWriteError(`cannot write the rollback manifest ${path}: ${(err as Error).message}`);
    }
  }

  /** Lines written (rows that can be rolled back). */
  get count(): number {
    return this.#count;
  }

  /** Devices with more than one line (run the rollback manifest with `allowDuplicates`). */
  get repeatedDevices(): number {
    return this.#repeated;
  }

  /** Previous values that no manifest can put back (a non-extension property that had none). */
  get unrestorable(): number {
    return this.#unrestorable;
  }

  /**
   * Adds the line that undoes one row. Nothing is written for a row without changes.
   * @param row the job's manifest row.
   * @param id the device's object id (as read).
   * @param changes what the row changed (`from` is the value to put back).
   * @throws {RollbackWriteError} when the line cannot be written.
   */
  add(row: number, id: string, changes: readonly PropertyChange[]): void {
    if (changes.length === 0) return;
    const earlier = this.#seen?.get(id);
    const cells = new Map<string, string>();
    for (const c of changes) {
      if (earlier?.properties.has(c.property)) continue; // an earlier line already holds the value from before the job
      if (c.from === null) {
        if (isExtensionAttribute(c.property)) cells.set(c.property, this.#clearToken);
        else this.#unrestorable++;
      } else {
        cells.set(c.property, typeof c.from === 'boolean' ? String(c.from) : neutraliseCell(c.from));
      }
    }
    if (cells.size === 0) return;
    this.#write(stringify([[row, id, ...this.#columns.map((name) => cells.get(name) ?? '')]]));
    this.#count++;
    if (this.#seen) {
      const known = earlier ?? { properties: new Set<string>(), lines: 0 };
      for (const name of cells.keys()) known.properties.add(name);
      if (++known.lines === 2) this.#repeated++;
      this.#seen.set(id, known);
    }
  }

  /** Syncs and closes the file; deletes it when no line was added. Safe to call twice. */
  close(): void {
    if (this.#fd < 0) return;
    try {
      fsyncSync(this.#fd);
    } catch {
      /* the data is in the page cache */
    }
    closeSync(this.#fd);
    this.#fd = -1;
    if (this.#count === 0) {
      try {
        unlinkSync(this.path);
      } catch {
        /* already gone */
      }
    }
  }

  #write(text: string): void {
    try {
      writeSync(this.#fd, text);
    } catch (err) {
      throw new RollbackWriteError(`cannot write the rollback manifest ${this.path}: ${(err as Error).message}`);
    }
  }
}

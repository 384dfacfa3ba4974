/**
 * The rollback manifest a run leaves beside its results file: for each row written, the device's
 * object id and the values it held before, of exactly the properties the row changed. It is an
 * ordinary CSV manifest: `graph-bulk run --manifest <it>` puts those values back.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { canonicalColumn, isExtensionAttribute, KEY_COLUMNS } from '../manifest/columns.js';
import { ROLLBACK_ROW_COLUMN } from '../manifest/header.js';
import { neutraliseCell } from '../report/excel-guard.js';
import { makeFolder } from '../report/make-folder.js';
import { BOM } from '../report/results-file.js';
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
 * A rollback manifest being written: `rollbackOfRow,id,<property columns>`, one line per row written.
 * Cells:
 * - a previous text value exactly as it was (formula-like text, and text starting with an apostrophe,
 *   gets the results file's Excel guard, which the manifest reader removes again, exactly, for a file
 *   with a `rollbackOfRow` column; values are never trimmed there);
 * - `true` / `false` for booleans;
 * - the clear token for an extension attribute that was not set (`null`);
 * - empty for a property the row did not change, and for a non-extension property that had no value
 *   (Graph cannot empty it; counted in {@link unrestorable}).
 * Created owner-only (0600), never over an existing file; removed again by {@link close} when no row was
 * written.
 *
 * **Write-ahead.** The run adds a row's line and {@link sync}s it *before* the row's PATCH goes out,
 * so every device Graph may have changed has its line whatever happens next (kill -9, power loss).
 * A row found not to have been written (Graph refused it, or the run stopped before sending it) is
 * {@link markNotWritten}; {@link close} leaves those lines out, so running the rollback never writes a
 * device the job did not. A run that never reaches close (killed) keeps them: they hold the values the
 * device had when read, which it still has.
 *
 * **Framing.** Every line is written whole: a write that fails (disk full, a file size limit) is cut
 * back to the last complete line and every later write refused, so the file never holds a fragment
 * the run goes on after; and a file cut by a crash mid-line ends without a line break, which the
 * manifest reader refuses for that row (see manifest/csv.ts).
 *
 * A device written by several rows (`allowDuplicates`), or already in an earlier rollback manifest of
 * the resume chain ({@link remember}), keeps the values it had before the first: a later line carries
 * only properties no earlier line holds, so the lines of one device never overlap and the order they
 * run in does not matter (the manifest then needs `allowDuplicates` too).
 */
export class RollbackFile {
  readonly path: string;
  readonly #columns: readonly string[];
  readonly #clearToken: string;
  #fd: number;
  #count = 0;
  #unrestorable = 0;
  #repeated = 0;
  /** Bytes in the file, all of them complete lines. */
  #length = 0;
  #error: RollbackWriteError | undefined;
  /** Device id → properties already in this file or an earlier one of the chain, and its lines here. */
  #seen: Map<string, { properties: Set<string>; lines: number }> | undefined;
  /** Row → its line: byte offset and length, the device and the properties it holds. */
  readonly #lines = new Map<number, { start: number; end: number; id: string; properties: string[] }>();
  /** Rows whose line is left out at {@link close}: not written after all. */
  readonly #notWritten = new Set<number>();

  readonly #delimiter: string;

  private constructor(path: string, fd: number, columns: readonly string[], clearToken: string, duplicates: boolean, delimiter: string) {
    this.path = path;
    this.#delimiter = delimiter;
    this.#seen = duplicates ? new Map() : undefined;
    this.#fd = fd;
    this.#columns = columns;
    this.#clearToken = clearToken;
    this.#write(BOM + stringify([[ROLLBACK_ROW_COLUMN, 'id', ...columns]], { delimiter }));
    this.sync();
  }

  /**
   * Creates the file (and its folder) and syncs its header to disk.
   * @param columns property columns (see {@link rollbackColumns}).
   * @param clearToken the cell text that clears an extension attribute (the job's `clearToken`).
   * @param duplicates whether rows may repeat a device (`allowDuplicates`): only then are devices remembered.
   * @param delimiter CSV delimiter (the manifest's own, so that Excel splits the columns), default `,`.
   *   The file starts with a UTF-8 byte-order mark (Excel reads it as UTF-8).
   * @throws {RollbackWriteError} when the file exists or cannot be created.
   */
  static create(path: string, columns: readonly string[], clearToken: string, duplicates = false, delimiter = ','): RollbackFile {
    let fd: number;
    try {
      makeFolder(dirname(path));
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      throw new RollbackWriteError(`cannot write the rollback manifest ${path}: ${(err as Error).message}`);
    }
    return new RollbackFile(path, fd, columns, clearToken, duplicates, delimiter);
  }

  /** Lines written (rows that can be rolled back), less those left out as not written. */
  get count(): number {
    return this.#count - this.#notWritten.size;
  }

  /** Devices with more than one line (run the rollback manifest with `allowDuplicates`). */
  get repeatedDevices(): number {
    return this.#repeated;
  }

  /** Previous values that no manifest can put back (a non-extension property that had none). */
  get unrestorable(): number {
    return this.#unrestorable;
  }

  /** The write error that stopped this file, if any: no line is written after it. */
  get error(): RollbackWriteError | undefined {
    return this.#error;
  }

  /**
   * Remembers that an earlier rollback manifest of the resume chain holds these properties of a
   * device (values from before the first run): this file never writes them again.
   */
  remember(id: string, properties: readonly string[]): void {
    this.#seen ??= new Map();
    const known = this.#seen.get(id) ?? { properties: new Set<string>(), lines: 0 };
    for (const p of properties) known.properties.add(p);
    this.#seen.set(id, known);
  }

  /**
   * Adds the line that undoes one row (not yet synced: call {@link sync} before sending). Nothing is
   * written for a row without changes, or whose every property an earlier line holds.
   * @param row the job's manifest row.
   * @param id the device's object id (as read).
   * @param changes what the row changes (`from` is the value to put back).
   * @returns whether a line was written.
   * @throws {RollbackWriteError} when the line cannot be written (and ever after).
   */
  add(row: number, id: string, changes: readonly PropertyChange[]): boolean {
    if (this.#error) throw this.#error;
    if (changes.length === 0) return false;
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
    if (cells.size === 0) return false;
    const start = this.#length;
    this.#write(stringify([[row, id, ...this.#columns.map((name) => cells.get(name) ?? '')]], { delimiter: this.#delimiter }));
    this.#lines.set(row, { start, end: this.#length, id, properties: [...cells.keys()] });
    this.#count++;
    if (this.#seen) {
      const known = earlier ?? { properties: new Set<string>(), lines: 0 };
      for (const name of cells.keys()) known.properties.add(name);
      if (++known.lines === 2) this.#repeated++;
      this.#seen.set(id, known);
    }
    return true;
  }

  /**
   * Makes every line added so far durable (fsync): call it before sending the PATCHes they undo.
   * @throws {RollbackWriteError} when the file cannot be synced (and ever after).
   */
  sync(): void {
    if (this.#error) throw this.#error;
    try {
      fsyncSync(this.#fd);
    } catch (err) {
      this.#error = new RollbackWriteError(`cannot write the rollback manifest ${this.path}: ${(err as Error).message}`);
      throw this.#error;
    }
  }

  /**
   * The row's line stays for good (its PATCH went out, whatever came of it): where it lies in the
   * file is forgotten, so what a run holds stays flat in rows (a 1,000,000-row run would otherwise
   * keep a million offsets). After this, {@link markNotWritten} for the row does nothing.
   */
  keep(row: number): void {
    this.#lines.delete(row);
  }

  /**
   * A row whose line was added was not written after all (Graph refused it, or it was never sent):
   * its line is left out at {@link close}, and its properties may be written by a later row of the device.
   */
  markNotWritten(row: number): void {
    const line = this.#lines.get(row);
    if (!line || this.#notWritten.has(row)) return;
    this.#notWritten.add(row);
    const known = this.#seen?.get(line.id);
    if (known) for (const p of line.properties) known.properties.delete(p);
  }

  /**
   * Syncs and closes the file, leaving out the lines of rows marked not written (the file is rewritten
   * aside and renamed into place, so a crash leaves either file whole); deletes it when no line is
   * left. Safe to call twice; never throws (a failure to rewrite keeps the file as it is: extra lines
   * put back values the device still has).
   */
  close(): void {
    if (this.#fd < 0) return;
    try {
      fsyncSync(this.#fd);
    } catch {
      /* the data is in the page cache */
    }
    closeSync(this.#fd);
    this.#fd = -1;
    if (this.count === 0) {
      try {
        unlinkSync(this.path);
      } catch {
        /* already gone */
      }
      return;
    }
    if (this.#notWritten.size > 0 && !this.#error) this.#leaveOutNotWritten();
  }

  #leaveOutNotWritten(): void {
    const aside = `${this.path}.${process.pid}.tmp`;
    try {
      const text = readFileSync(this.path);
      const drop = [...this.#notWritten].map((row) => this.#lines.get(row)!).sort((a, b) => a.start - b.start);
      const parts: Buffer[] = [];
      let at = 0;
      for (const line of drop) {
        parts.push(text.subarray(at, line.start));
        at = line.end;
      }
      parts.push(text.subarray(at, this.#length));
      const fd = openSync(aside, 'wx', 0o600);
      try {
        const bytes = Buffer.concat(parts);
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(aside, this.path);
    } catch {
      try {
        unlinkSync(aside);
      } catch {
        /* never made */
      }
    }
  }

  /** Writes whole lines, or nothing: a failed write is cut back to the last complete line. */
  #write(text: string): void {
    if (this.#error) throw this.#error;
    const bytes = Buffer.from(text);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(this.#fd, bytes, off, bytes.length - off);
      this.#length += bytes.length;
    } catch (err) {
      try {
        ftruncateSync(this.#fd, this.#length);
      } catch {
        /* the reader refuses a cut last line */
      }
      this.#error = new RollbackWriteError(`cannot write the rollback manifest ${this.path}: ${(err as Error).message}`);
      throw this.#error;
    }
  }
}

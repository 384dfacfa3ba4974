import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { RESULT_COLUMNS, type RowResult } from '../types.js';
import { neutraliseCell, unguardCell } from './excel-guard.js';
import { writeResultsMeta, type ResultsMeta } from './results-meta.js';

export { RESULT_COLUMNS };
export { neutraliseCell, unguardCell };

/** Results file format: CSV (default) or JSON Lines, chosen by the file extension. */
export type ResultsFormat = 'csv' | 'jsonl';

/** Options of {@link ResultsFile.create}. */
export interface ResultsFileOptions {
  /** The manifest's own column names, in order, appended after {@link RESULT_COLUMNS}. */
  manifestColumns: readonly string[];
  /** Default: `jsonl` for a `.jsonl` path, else `csv`. */
  format?: ResultsFormat;
  /** How often buffered lines are written out, in ms. Default 200. A crash loses at most this much. */
  flushIntervalMs?: number;
  /**
   * The manifest this results file belongs to: written to the sidecar `<path>.meta.json` (see
   * results-meta.ts) before the first line, so that `--resume` can check it. No sidecar when absent.
   */
  meta?: Pick<ResultsMeta, 'manifest' | 'resumedFrom' | 'graph' | 'chain'>;
}

/** The results file could not be written (disk full, permissions). No further request may be sent. */
export class ResultsWriteError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write the results file ${path}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ResultsWriteError';
  }
}

function formatOf(path: string, options: Pick<ResultsFileOptions, 'format'>): ResultsFormat {
  return options.format ?? (extname(path).toLowerCase() === '.jsonl' ? 'jsonl' : 'csv');
}

const NEEDS_QUOTES = /[",\r\n]/;
/** A cell that needs neither the Excel guard nor quotes (most cells): written as is. */
const PLAIN_CELL = /^(?![=+\-@\t\r'])[^",\r\n]*$/; // no guard (see excel-guard.ts), no quotes

/**
 * One CSV cell as csv-stringify writes it by default (RFC 4180): quoted, with quotes doubled, when it
 * holds a comma, a quote or a line break; else as is. Written here because csv-stringify's sync API
 * sets up its options on every call, which at a line per row costs more than all the rest of the line.
 */
function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The per-row results file: exactly one line per manifest row, appended as each row finishes.
 * Lines are buffered and written every `flushIntervalMs` and on {@link flush}/{@link close}, so a
 * kill -9 leaves a readable file that lacks at most the last lines (those rows run again on resume).
 * The file is created for its owner only (mode 0600) and never overwrites an existing file.
 */
export class ResultsFile {
  static readonly #open = new Set<ResultsFile>();

  /** Flushes every open results file now (for a second Ctrl-C that exits at once). */
  static flushAll(): void {
    for (const f of ResultsFile.#open) f.flush();
  }

  readonly path: string;
  readonly format: ResultsFormat;
  #fd: number;
  #buffer: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #error: ResultsWriteError | undefined;
  #count = 0;
  /** Bytes written, all of them complete lines. */
  #length = 0;
  readonly #manifestColumns: readonly string[];

  private constructor(path: string, fd: number, options: ResultsFileOptions) {
    this.path = path;
    this.#fd = fd;
    this.format = formatOf(path, options);
    this.#manifestColumns = options.manifestColumns;
    if (this.format === 'csv') {
      this.#buffer.push(stringify([[...RESULT_COLUMNS, ...this.#manifestColumns]]));
    }
    this.flush();
    ResultsFile.#open.add(this);
    this.#timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 200);
    this.#timer.unref();
  }

  /**
   * Creates the results file (and its folder), owner-only, then its sidecar when `options.meta` is given.
   * @throws {ResultsWriteError} when the file (or its sidecar) exists already or cannot be created;
   *   a results file created here is removed again when its sidecar cannot be written.
   */
  static create(path: string, options: ResultsFileOptions): ResultsFile {
    let fd: number;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      throw new ResultsWriteError(path, err);
    }
    if (options.meta) {
      try {
        writeResultsMeta(path, {
          kind: 'graph-bulk-results-meta',
          version: 1,
          createdAt: new Date().toISOString(),
          results: { path, format: formatOf(path, options) },
          ...options.meta,
        });
      } catch (err) {
        closeSync(fd);
        unlinkSync(path);
        throw new ResultsWriteError(path, err);
      }
    }
    return new ResultsFile(path, fd, options);
  }

  /** Result lines written (or buffered) so far. */
  get count(): number {
    return this.#count;
  }

  /** The write error that stopped this file, if any. */
  get error(): ResultsWriteError | undefined {
    return this.#error;
  }

  /**
   * Appends one row's result.
   * @throws {ResultsWriteError} once the file has failed: the caller must stop sending.
   */
  write(result: RowResult): void {
    if (this.#error) throw this.#error;
    this.#buffer.push(this.format === 'csv' ? this.#csvLine(result) : this.#jsonLine(result));
    this.#count++;
    if (this.#buffer.length >= 512) this.flush();
    if (this.#error) throw this.#error;
  }

  /**
   * Writes buffered lines to disk now (to the OS; {@link close} syncs). Errors are kept in
   * {@link error}, not thrown: after a failure the file is cut back to its last complete line and
   * nothing more is written (should even that fail, a resume drops a partial last line).
   */
  flush(): void {
    if (this.#buffer.length === 0 || this.#error || this.#fd < 0) return;
    const bytes = Buffer.from(this.#buffer.join(''));
    this.#buffer = [];
    try {
      // write(2) may write less than asked (a disk filling up): go on until all is written or it fails.
      for (let off = 0; off < bytes.length; ) off += writeSync(this.#fd, bytes, off, bytes.length - off);
      this.#length += bytes.length;
    } catch (err) {
      this.#error = new ResultsWriteError(this.path, err);
      try {
        ftruncateSync(this.#fd, this.#length); // back to the last complete line: no fragment stays behind
      } catch {
        /* a resume drops a partial last line */
      }
    }
  }

  /** Flushes, syncs to disk and closes. Safe to call twice. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
    ResultsFile.#open.delete(this);
    if (this.#fd >= 0) {
      try {
        fsyncSync(this.#fd);
      } catch {
        /* a sync failure after a successful write leaves the data in the page cache */
      }
      closeSync(this.#fd);
      this.#fd = -1;
    }
  }

  #values(r: RowResult): Array<string | number> {
    return [
      r.row,
      r.key,
      r.keyType,
      r.outcome,
      r.httpStatus ?? '',
      r.errorCode ?? '',
      r.errorMessage ?? '',
      r.attempts,
      r.requestId ?? '',
      r.finishedAt,
      ...this.#manifestColumns.map((c) => r.columns[c] ?? ''),
    ];
  }

  #csvLine(r: RowResult): string {
    return (
      this.#values(r)
        .map((v) => (typeof v !== 'string' ? String(v) : PLAIN_CELL.test(v) ? v : csvCell(neutraliseCell(v))))
        .join(',') + '\n'
    );
  }

  #jsonLine(r: RowResult): string {
    const record: Record<string, string | number> = {};
    const values = this.#values(r);
    [...RESULT_COLUMNS, ...this.#manifestColumns].forEach((name, i) => {
      record[name] = values[i]!;
    });
    return JSON.stringify(record) + '\n';
  }
}

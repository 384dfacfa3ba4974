import { closeSync, fsyncSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { RESULT_COLUMNS, type RowResult } from '../types.js';
import { neutraliseCell, unguardCell } from './excel-guard.js';
import { writeResultsMeta, type ResultsMeta } from './results-meta.js';
import { makeFolder } from './make-folder.js';

export { RESULT_COLUMNS };
export { neutraliseCell, unguardCell };

/** Results file format: CSV (default) or JSON Lines, chosen by the file extension. */
export type ResultsFormat = 'csv' | 'jsonl';

/** Results file extensions and their formats: `.csv`/`.tsv` CSV, `.jsonl`/`.ndjson` JSON Lines. */
export const RESULTS_EXTENSIONS: Readonly<Record<string, ResultsFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/** The Unicode byte-order mark, as text: first in every CSV graph-bulk writes, so Excel reads it as UTF-8. */
export const BOM = '\uFEFF';

/** Outcomes that put a row into the errors file: rows to fix and run again. */
export const ERROR_OUTCOMES: ReadonlySet<string> = new Set(['failed', 'invalid', 'not-applied', 'skipped']);

/** `results/job-….csv` → `results/job-….errors.csv` (the results file's own extension). */
export function errorsPathFor(resultsPath: string): string {
  const ext = extname(resultsPath);
  return `${ext ? resultsPath.slice(0, -ext.length) : resultsPath}.errors${ext}`;
}

/**
 * The format a results path asks for, by its extension (see {@link RESULTS_EXTENSIONS}).
 * @throws {ResultsWriteError} for any other extension (`.json`, `.xlsx`, none): graph-bulk never
 *   writes one format under another's name.
 */
export function resultsFormatFor(path: string): ResultsFormat {
  const ext = extname(path).toLowerCase();
  const format = RESULTS_EXTENSIONS[ext];
  if (format === undefined) {
    throw new ResultsWriteError(
      path,
      new Error(
        `${ext ? `"${ext}" is not a results format graph-bulk writes` : 'the name has no extension'}: end it in .csv (opens in Excel) or .jsonl (JSON Lines)`,
      ),
    );
  }
  return format;
}

/** The CSV delimiter of a results file: `delimiter` when given, tab for `.tsv`, else `,`. */
export function resultsDelimiterFor(path: string, delimiter?: string): string {
  return delimiter ?? (extname(path).toLowerCase() === '.tsv' ? '\t' : ',');
}

/**
 * How a CSV written by graph-bulk (results, errors, rollback) is framed: whether it starts with a
 * byte-order mark, and its delimiter, read from its header (whose first cell is `firstColumn`).
 * Readers use it so that whatever delimiter the file was written with is read back.
 */
export function csvDialect(text: string, firstColumn = 'row'): { bom: boolean; delimiter: string } {
  const bom = text.startsWith(BOM);
  const start = bom ? 1 : 0;
  const afterName = text.startsWith(`"${firstColumn}"`, start) ? start + firstColumn.length + 2 : start + firstColumn.length;
  const next = text.startsWith(firstColumn, start) || text.startsWith(`"${firstColumn}"`, start) ? text[afterName] : undefined;
  return { bom, delimiter: next !== undefined && /^[,;\t|]$/.test(next) ? next : ',' };
}

/** Options of {@link ResultsFile.create}. */
export interface ResultsFileOptions {
  /** The manifest's own column names, in order, appended after {@link RESULT_COLUMNS}. */
  manifestColumns: readonly string[];
  /** Default: by the extension ({@link resultsFormatFor}). */
  format?: ResultsFormat;
  /**
   * CSV delimiter: the manifest's own, so that Excel in a `;` locale splits the columns. Default `,`
   * (tab for `.tsv`). One of `,` `;` tab `|`.
   */
  delimiter?: string;
  /**
   * Also write the errors file ({@link errorsPathFor}): the lines of rows `failed`, `invalid`,
   * `not-applied` and `skipped`, in the results file's own format, itself a manifest to fix and run
   * again. Created with the first such row (none when every row went well). Default true.
   */
  errorsFile?: boolean;
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
  return options.format ?? resultsFormatFor(path);
}

const escapeForClass = (d: string) => (d === '\t' ? '\\t' : d.replace(/[\\\]^-]/g, '\\$&'));

/**
 * One CSV cell as csv-stringify writes it by default (RFC 4180): quoted, with quotes doubled, when it
 * holds the delimiter, a quote or a line break; else as is. Written here because csv-stringify's sync API
 * sets up its options on every call, which at a line per row costs more than all the rest of the line.
 */
export function csvCellWriter(delimiter: string): { cell: (value: string) => string; plain: RegExp } {
  const d = escapeForClass(delimiter);
  const needsQuotes = new RegExp(`["${d}\\r\\n]`);
  /** A cell that needs neither the Excel guard nor quotes (most cells): written as is. */
  const plain = new RegExp(`^(?![=+\\-@\\t\\r'])[^"${d}\\r\\n]*$`); // no guard (see excel-guard.ts), no quotes
  return { cell: (value) => (needsQuotes.test(value) ? `"${value.replace(/"/g, '""')}"` : value), plain };
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
  readonly #delimiter: string;
  readonly #cells: ReturnType<typeof csvCellWriter>;
  readonly #options: ResultsFileOptions;
  #errors: ResultsFile | undefined;

  private constructor(path: string, fd: number, options: ResultsFileOptions) {
    this.path = path;
    this.#fd = fd;
    this.format = formatOf(path, options);
    this.#manifestColumns = options.manifestColumns;
    this.#delimiter = resultsDelimiterFor(path, options.delimiter);
    this.#cells = csvCellWriter(this.#delimiter);
    this.#options = options;
    if (this.format === 'csv') {
      this.#buffer.push(BOM + stringify([[...RESULT_COLUMNS, ...this.#manifestColumns]], { delimiter: this.#delimiter }));
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
    const format = formatOf(path, options);
    if (options.delimiter !== undefined && !/^[,;\t|]$/.test(options.delimiter)) {
      throw new ResultsWriteError(path, new Error(`the delimiter ${JSON.stringify(options.delimiter)} is not one of , ; tab |`));
    }
    let fd: number;
    try {
      makeFolder(dirname(path));
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
    return new ResultsFile(path, fd, { ...options, format });
  }

  /**
   * The errors file ({@link errorsPathFor}), once a row went into it; created with the first such
   * row, so a run without failed, invalid, not-applied or skipped rows leaves none.
   */
  get errors(): ResultsFile | undefined {
    return this.#errors;
  }

  #errorsFile(): ResultsFile {
    if (this.#errors) return this.#errors;
    const path = errorsPathFor(this.path);
    this.#errors = new ResultsFile(path, openSync(path, 'wx', 0o600), { ...this.#options, format: this.format, errorsFile: false });
    return this.#errors;
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
    if (this.#options.errorsFile !== false && ERROR_OUTCOMES.has(result.outcome)) {
      try {
        this.#errorsFile().write(result);
      } catch (err) {
        this.#error ??= err instanceof ResultsWriteError ? err : new ResultsWriteError(errorsPathFor(this.path), err);
      }
    }
    if (this.#buffer.length >= 512) this.flush();
    if (this.#error) throw this.#error;
  }

  /**
   * Writes buffered lines to disk now (to the OS; {@link close} syncs). Errors are kept in
   * {@link error}, not thrown: after a failure the file is cut back to its last complete line and
   * nothing more is written (should even that fail, a resume drops a partial last line).
   */
  flush(): void {
    this.errors?.flush();
    if (this.#error === undefined && this.errors?.error) this.#error = this.errors.error;
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
    this.errors?.close();
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

  /** A line's values in column order; `null` where the row has no value. */
  #values(r: RowResult): Array<string | number | null> {
    return [
      r.row,
      r.key,
      r.keyType,
      r.outcome,
      r.httpStatus ?? null,
      r.errorCode ?? null,
      r.errorMessage ?? null,
      r.attempts,
      r.requestId ?? null,
      r.finishedAt,
      ...this.#manifestColumns.map((c) => r.columns[c] ?? null),
    ];
  }

  #csvLine(r: RowResult): string {
    const { cell, plain } = this.#cells;
    return (
      this.#values(r)
        .map((v) => (v === null ? '' : typeof v !== 'string' ? String(v) : plain.test(v) ? v : cell(neutraliseCell(v))))
        .join(this.#delimiter) + '\n'
    );
  }

  /** A JSON Lines line: absent values are `null` (never `""`), numbers are numbers. */
  #jsonLine(r: RowResult): string {
    const record: Record<string, string | number | null> = {};
    const values = this.#values(r);
    [...RESULT_COLUMNS, ...this.#manifestColumns].forEach((name, i) => {
      record[name] = values[i]!;
    });
    return JSON.stringify(record) + '\n';
  }
}

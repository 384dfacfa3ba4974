/**
 * CSV manifests: finds the header (after an optional Excel `sep=X` line), chooses the delimiter,
 * checks the header, and streams data rows through csv-parse. Used by both passes, so that
 * `inspectManifest` counts exactly the rows `readManifest` yields.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser } from 'csv-parse';
import type { ManifestRow } from '../types.js';
import { ManifestError } from './errors.js';
import { detectDelimiter, parseSepLine, resolveDelimiterOption } from './delimiter.js';
import { resolveHeader, type ResolvedHeader } from './header.js';
import { MAX_RECORD_CHARS } from './limits.js';
import { unguardCell } from '../report/excel-guard.js';

/**
 * csv-parse's parser, each record paired with the line it ends on, read from the parser's live line
 * counter the moment the record is produced (the records wait in the stream's buffer before the
 * loop sees them). Cheaper than csv-parse's `info`/`on_record`, which build two info objects per record.
 */
class LineTaggingParser extends Parser {
  /** End line of the last record produced (ahead of the consumer). */
  lastEndLine = 0;

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(null, encoding);
    this.lastEndLine = this.info.lines;
    return super.push({ cells: record as string[], endLine: this.lastEndLine }, encoding);
  }
}

/** Options of {@link readCsvRows}. */
export interface CsvOptions {
  delimiter?: string;
  allowMdmProperties?: boolean;
  /** Skip columns that are not updatable instead of refusing the manifest (see `HeaderOptions`). */
  ignoreReadOnlyColumns?: boolean;
  /** Delimiter when none can be detected (a one-column header): `,`, or tab for `.tsv`. */
  fallbackDelimiter?: string;
}

/** What the head of a CSV manifest said: delimiter and header. */
export interface CsvHead {
  delimiter: string;
  delimiterSource: 'option' | 'sep-line' | 'detected' | 'default';
  header: ResolvedHeader;
  /** 1-based line of the header. */
  headerLine: number;
}

/** The text before the first data row. */
export interface Prefix {
  /** Text to parse: everything read so far, with a `sep=` or `#TYPE` line blanked (its line break kept). */
  text: string;
  sep?: string;
  /** The first non-blank line after the `sep=` line (without line break), or undefined for an empty file. */
  headerLine?: string;
  headerLineNumber: number;
}

/**
 * Whether a line is the `#TYPE System.Management.Automation.PSCustomObject` line that Windows
 * PowerShell 5.1's `Export-Csv` writes first (unless `-NoTypeInformation`); `Import-Csv` skips it,
 * and so does the reader.
 */
export function isPowerShellTypeLine(line: string): boolean {
  return /^"?#TYPE\s+\S/i.test(line.trim());
}

/**
 * Reads pieces until the header line is complete (or the text ends). Before the header, blank
 * lines, one PowerShell `#TYPE …` line and one Excel `sep=X` line (in that order) are skipped.
 */
export async function readPrefix(file: string, pieces: AsyncIterator<string>): Promise<Prefix> {
  let text = '';
  let pos = 0; // start of the line being examined
  let lineNumber = 1;
  let sep: string | undefined;
  let typeLineSeen = false;
  let ended = false;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0 && !ended) {
      if (text.length - pos > MAX_RECORD_CHARS) {
        throw new ManifestError(file, `line ${lineNumber} is longer than ${MAX_RECORD_CHARS} characters: not a CSV manifest?`, {
          line: lineNumber,
        });
      }
      const next = await pieces.next();
      if (next.done) ended = true;
      else text += next.value;
      continue;
    }
    if (nl < 0 && pos >= text.length) return { text, ...(sep ? { sep } : {}), headerLineNumber: lineNumber };
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(pos, end);
    if (line.trim() === '') {
      pos = end + 1;
      lineNumber++;
      continue;
    }
    const sepHere = sep === undefined ? parseSepLine(line) : undefined;
    const typeLine = !typeLineSeen && sep === undefined && isPowerShellTypeLine(line);
    if (sepHere !== undefined || typeLine) {
      if (sepHere !== undefined) sep = sepHere;
      else typeLineSeen = true;
      // blank the line, keep its line break so that line numbers stay right
      text = text.slice(0, pos) + text.slice(end);
      pos += 1;
      lineNumber++;
      continue;
    }
    return { text, ...(sep ? { sep } : {}), headerLine: line, headerLineNumber: lineNumber };
  }
}

function countNewlines(cells: string[]): number {
  let n = 0;
  for (const c of cells) for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) n++;
  return n;
}

function csvErrorToManifestError(file: string, err: unknown, lastEndLine: number): unknown {
  if (err instanceof ManifestError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err;
  const lines = (err as { lines?: unknown }).lines;
  if (code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ManifestError(file, `a quoted field starting at or after this line is never closed (unbalanced ")`, {
      line: lastEndLine + 1,
    });
  }
  if (code === 'CSV_MAX_RECORD_SIZE') {
    return new ManifestError(
      file,
      `a record longer than ${MAX_RECORD_CHARS} characters starts at or after this line: wrong delimiter or an unbalanced quote?`,
      { line: lastEndLine + 1 },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ManifestError(file, `cannot parse CSV: ${message}`, typeof lines === 'number' ? { line: lines } : {});
}

/**
 * The delimiter: the option, else the `sep=` line, else detected from the header line.
 * @throws ManifestError for a bad option or an ambiguous header line.
 */
export function chooseDelimiter(
  file: string,
  prefix: Prefix & { headerLine: string },
  options: CsvOptions,
): Pick<CsvHead, 'delimiter' | 'delimiterSource'> {
  if (options.delimiter !== undefined) return { delimiter: resolveDelimiterOption(file, options.delimiter), delimiterSource: 'option' };
  if (prefix.sep !== undefined) return { delimiter: resolveDelimiterOption(file, prefix.sep), delimiterSource: 'sep-line' };
  const found = detectDelimiter(file, prefix.headerLine, prefix.headerLineNumber, options.fallbackDelimiter);
  return { delimiter: found.delimiter, delimiterSource: found.source };
}

/**
 * Streams the data rows of a CSV manifest. Calls `onHead` once, after the header is checked and
 * before the first row. Blank lines and rows whose cells are all empty are skipped (not rows).
 * A row with more fields than the header (beyond extra empty trailing cells) or fewer gets `error`.
 * Cells are passed through untrimmed; the validator trims.
 * @throws ManifestError for an empty file, a bad header, an ambiguous delimiter, an unclosed quote,
 *   an over-long record, or undecodable text.
 */
export async function* readCsvRows(
  file: string,
  pieces: AsyncGenerator<string, void, undefined>,
  options: CsvOptions,
  onHead: (head: CsvHead) => void = () => {},
): AsyncGenerator<ManifestRow, void, undefined> {
  let parser: Parser | undefined;
  try {
    const prefix = await readPrefix(file, pieces);
    if (prefix.headerLine === undefined) {
      throw new ManifestError(file, 'the file is empty: expected a header line such as "id,extensionAttribute1"', { line: 1 });
    }
    const { delimiter, delimiterSource } = chooseDelimiter(file, prefix as Prefix & { headerLine: string }, options);

    const csv = new LineTaggingParser({
      delimiter,
      record_delimiter: '\n',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_CHARS,
    });
    parser = csv;
    let lastChar = prefix.text.slice(-1);
    async function* source(): AsyncGenerator<string, void, undefined> {
      yield prefix.text;
      for await (const piece of pieces) {
        if (piece.length > 0) lastChar = piece.slice(-1);
        yield piece;
      }
    }
    const feeding = pipeline(Readable.from(source(), { objectMode: false }), csv);
    feeding.catch(() => {}); // the same error reaches the loop below through the destroyed parser

    let header: ResolvedHeader | undefined;
    let headerLine = 0;
    let held: ManifestRow | undefined;
    let width = 0;
    let row = 0;
    try {
      for await (const item of csv as AsyncIterable<{ cells: string[]; endLine: number }>) {
        const { cells, endLine } = item;
        const startLine = endLine - countNewlines(cells);
        if (header === undefined) {
          if (cells.every((c) => c.trim() === '')) continue; // whitespace-only lines before the header
          header = resolveHeader(file, cells, startLine, options);
          headerLine = startLine;
          width = header.columns.length;
          onHead({ delimiter, delimiterSource, header, headerLine: startLine });
          continue;
        }
        if (cells.every((c) => c.trim() === '')) continue;
        let error: string | undefined;
        if (cells.length > width) {
          const extra = cells.slice(width).findIndex((c) => c.trim() !== '');
          if (extra < 0) cells.length = width;
          else if (extra < header.trailingEmptyCount)
            error = `column ${width + extra + 1} has no name in the header (line ${headerLine}) but holds ${JSON.stringify(cells[width + extra]!.trim())} on line ${startLine}: name the column or empty it`;
          else
            error = `line ${startLine} has ${cells.length} fields but the header has ${width} columns (a ${JSON.stringify(delimiter)} inside a value that is not quoted?)`;
        } else if (cells.length < width) {
          error = `line ${startLine} has ${cells.length} field${cells.length === 1 ? '' : 's'} but the header has ${width} columns`;
        }
        const fields: Record<string, unknown> = {};
        const columns: Record<string, string> = {};
        const guarded = header.fromResultsFile || header.fromRollbackFile;
        header.columns.forEach((col, i) => {
          let cell = cells[i];
          if (cell === undefined || col.ignored) return;
          if (guarded) cell = unguardCell(cell); // undo graph-bulk's own Excel guard, exactly
          fields[col.canonical] = cell;
          columns[col.written] = cell;
        });
        row++;
        const next: ManifestRow = { row, line: startLine, fields, columns, ...(error !== undefined ? { error } : {}) };
        if (header.fromRollbackFile) next.exact = true;
        // A file graph-bulk wrote is held back one row: its last line must end with a line break.
        if (guarded) {
          if (held) yield held;
          held = next;
        } else yield next;
      }
    } catch (err) {
      throw csvErrorToManifestError(file, err, csv.lastEndLine);
    }
    if (held) {
      if (lastChar !== '\n') {
        // Cut off while it was written (disk full, a file size limit, kill): never a value to send.
        held.error =
          `line ${held.line} is cut off (the file ends without a line break): graph-bulk writes every line whole, ` +
          'so the file was cut short while it was written (disk full, a file size limit, a kill); this row is not sent';
      }
      yield held;
    }
    if (header === undefined) {
      throw new ManifestError(file, 'the file is empty: expected a header line such as "id,extensionAttribute1"', { line: 1 });
    }
  } finally {
    parser?.destroy();
    await pieces.return(undefined);
  }
}

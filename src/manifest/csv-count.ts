/**
 * The first pass over a CSV manifest without parsing it into cells: `inspectManifest` needs the
 * header and the number of data rows, not the rows. A character scan that knows CSV quoting counts
 * exactly the rows {@link readCsvRows} yields (blank lines and rows whose cells are all blank are
 * not rows) at a fraction of the cost of parsing, which matters for a 1,000,000-row manifest.
 *
 * It handles the plain case only: an unquoted header line, and quoted fields that are closed by
 * `"` followed by the delimiter, a line break or the end. Anything else — a closing quote followed
 * by more text (csv-parse's relaxed quoting), a quoted field never closed, a record of more than
 * half of {@link MAX_RECORD_CHARS} — returns `undefined`, and the caller runs the full parse, which
 * judges it and words the error.
 */
import { chooseDelimiter, readPrefix, type CsvHead, type CsvOptions } from './csv.js';
import { ManifestError } from './errors.js';
import { resolveHeader } from './header.js';
import { MAX_RECORD_CHARS } from './limits.js';

const QUOTE = 0x22;
const LF = 0x0a;

/** What `String.prototype.trim` removes: ECMAScript WhiteSpace and LineTerminator code points. */
function isTrimmed(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A `"` inside a quoted field: an escaped quote if another follows, else the field's end. */
  QuoteInQuoted,
}

/**
 * Counts the data rows of a CSV manifest and reports its head (`onHead`, as {@link readCsvRows} does).
 * @param pieces the LF-normalised text (consumed; closed when done).
 * @returns the number of data rows, or `undefined` when the full parse must decide (see above).
 * @throws ManifestError for an empty file, a bad header or an ambiguous delimiter (the same errors
 *   as the full parse).
 */
export async function countCsvRows(
  file: string,
  pieces: AsyncGenerator<string, void, undefined>,
  options: CsvOptions,
  onHead: (head: CsvHead) => void,
): Promise<number | undefined> {
  try {
    const prefix = await readPrefix(file, pieces);
    const headerLine = prefix.headerLine;
    if (headerLine === undefined) {
      throw new ManifestError(file, 'the file is empty: expected a header line such as "id,extensionAttribute1"', { line: 1 });
    }
    if (headerLine.includes('"')) return undefined;
    const { delimiter, delimiterSource } = chooseDelimiter(file, { ...prefix, headerLine }, options);
    const cells = headerLine.split(delimiter);
    if (cells.every((c) => c.trim() === '')) return undefined;
    const header = resolveHeader(file, cells, prefix.headerLineNumber, options);
    onHead({ delimiter, delimiterSource, header, headerLine: prefix.headerLineNumber });

    const delim = delimiter.charCodeAt(0);
    let rows = 0;
    let state = State.FieldStart;
    let nonBlank = false;
    let recordChars = 0;
    /** A line break outside quotes: a row if any of its cells held more than whitespace. */
    const endRecord = () => {
      if (nonBlank) rows++;
      nonBlank = false;
      recordChars = 0;
      state = State.FieldStart;
    };
    const scan = (text: string, from: number): boolean => {
      for (let i = from; i < text.length; i++) {
        const c = text.charCodeAt(i);
        switch (state) {
          case State.FieldStart:
          case State.Unquoted:
            if (c === delim) state = State.FieldStart;
            else if (c === LF) {
              endRecord();
              continue;
            } else if (c === QUOTE && state === State.FieldStart) state = State.Quoted;
            else {
              state = State.Unquoted;
              if (!nonBlank && !isTrimmed(c)) nonBlank = true;
            }
            break;
          case State.Quoted:
            if (c === QUOTE) state = State.QuoteInQuoted;
            else if (!nonBlank && !isTrimmed(c)) nonBlank = true;
            break;
          case State.QuoteInQuoted:
            if (c === QUOTE) {
              nonBlank = true;
              state = State.Quoted;
            } else if (c === delim) state = State.FieldStart;
            else if (c === LF) {
              endRecord();
              continue;
            } else return false;
            break;
        }
        // Well below the parser's own limit, so that a record near it is judged by the parser.
        if (++recordChars > MAX_RECORD_CHARS / 2) return false;
      }
      return true;
    };
    // The header line ends at the first line break after it (it holds no quote).
    const headerStart = prefix.text.indexOf(headerLine);
    const afterHeader = prefix.text.indexOf('\n', headerStart + headerLine.length);
    if (afterHeader >= 0 && !scan(prefix.text, afterHeader + 1)) return undefined;
    if (afterHeader >= 0) {
      for await (const piece of pieces) if (!scan(piece, 0)) return undefined;
    }
    if ((state as State) === State.Quoted) return undefined; // never closed: the parser words it
    if (nonBlank) rows++;
    return rows;
  } finally {
    await pieces.return(undefined);
  }
}

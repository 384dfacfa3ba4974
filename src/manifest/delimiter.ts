/**
 * Choosing a CSV manifest's field delimiter: the `delimiter` option, else Excel's `sep=X` first line,
 * else detection from the header line among `,` `;` tab `|`.
 */
import { parse as parseSync } from 'csv-parse/sync';
import { canonicalColumn } from './columns.js';
import { ManifestError } from './errors.js';

/** Delimiters considered by detection, in the order named in messages. */
export const CANDIDATE_DELIMITERS: readonly string[] = [',', ';', '\t', '|'];

const NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/** A delimiter as named in messages: `";" (semicolon)`. */
export function describeDelimiter(d: string): string {
  return NAMES[d] ? `${JSON.stringify(d)} (${NAMES[d]})` : JSON.stringify(d);
}

/**
 * Validates and normalises a `delimiter` option: one character; `tab`/`\t` mean a tab.
 * @throws ManifestError for an empty, multi-character, quote or line-break delimiter.
 */
export function resolveDelimiterOption(file: string, option: string): string {
  const d = option.toLowerCase() === 'tab' || option === '\\t' ? '\t' : option;
  if ([...d].length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw new ManifestError(file, `invalid delimiter ${JSON.stringify(option)}: use one character such as , ; | or tab`, {
      value: option,
    });
  }
  return d;
}

/** The delimiter named by an Excel `sep=X` line (the whole line, without its line break), if it is one. */
export function parseSepLine(line: string): string | undefined {
  const m = /^sep=(.)\s*$/i.exec(line) ?? /^"sep=(.)"\s*$/i.exec(line);
  return m?.[1];
}

/** Fields of one header line split with `delimiter` (csv-parse, quotes honoured), trimmed. */
function splitHeader(line: string, delimiter: string): string[] | undefined {
  try {
    const records = parseSync(line, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][];
    return (records[0] ?? []).map((f) => f.trim());
  } catch {
    return undefined;
  }
}

/**
 * Detects the delimiter from the header line. A candidate "occurs" when splitting the header with it
 * gives more than one field. One occurring candidate wins; several: the one whose fields are all known
 * column names wins; none: `,` (a one-column header). Data rows are not looked at, so a `3,5` value
 * cannot mislead detection.
 * @returns the delimiter and whether it was detected or defaulted.
 * @throws ManifestError when several candidates remain (ambiguous).
 */
export function detectDelimiter(
  file: string,
  headerLine: string,
  lineNumber: number,
  fallback = ',',
): { delimiter: string; source: 'detected' | 'default' } {
  const occurring: { d: string; fields: string[] }[] = [];
  for (const d of CANDIDATE_DELIMITERS) {
    const fields = splitHeader(headerLine, d);
    if (fields && fields.length > 1) occurring.push({ d, fields });
  }
  if (occurring.length === 0) return { delimiter: fallback, source: 'default' };
  if (occurring.length === 1) return { delimiter: occurring[0]!.d, source: 'detected' };
  const known = occurring.filter(({ fields }) => {
    const named = fields[fields.length - 1] === '' ? fields.slice(0, -1) : fields;
    return named.every((f) => canonicalColumn(f) !== undefined);
  });
  if (known.length === 1) return { delimiter: known[0]!.d, source: 'detected' };
  throw new ManifestError(
    file,
    `cannot tell the delimiter: the header contains ${occurring.map((o) => describeDelimiter(o.d)).join(' and ')}; ` +
      'pass the delimiter option (--delimiter) or add an Excel "sep=;" first line',
    { line: lineNumber },
  );
}

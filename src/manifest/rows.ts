/**
 * One streaming pass over a manifest: opens and decodes the file, then produces its rows in the
 * chosen format. Both `inspectManifest` and `readManifest` are this pass, so they agree row for row.
 */
import { extname } from 'node:path';
import type { ManifestRow } from '../types.js';
import { DEFAULT_CLEAR_TOKEN } from './columns.js';
import { readCsvRows, type CsvHead } from './csv.js';
import { openText, type TextSource } from './decode.js';
import { jsonParseReason as parseReason, ManifestError, quote } from './errors.js';
import { jsonArrayElements } from './json-array.js';
import { textLines } from './json-lines.js';
import { findDuplicateKey, isJsonObject, jsonType, objectToRow } from './json-row.js';
import type { ManifestEncoding, ManifestFormat } from './types.js';

/** Settings of one pass. */
export interface PassOptions {
  format: ManifestFormat;
  encoding?: string;
  delimiter?: string;
  allowMdmProperties?: boolean;
  ignoreReadOnlyColumns?: boolean;
  clearToken?: string;
  onBytes?: (chunk: Buffer) => void;
  onCsvHead?: (head: CsvHead) => void;
}

/** An opened pass: the encoding found and the rows. */
export interface Pass {
  encoding: ManifestEncoding;
  bom: boolean;
  rows: AsyncGenerator<ManifestRow, void, undefined>;
}

/**
 * Refuses a JSON object that names one key twice (`JSON.parse` would keep only the last value).
 * @throws ManifestError naming the line and the key.
 */
function checkNoDuplicateKey(file: string, text: string, line: number): void {
  const key = findDuplicateKey(text);
  if (key !== undefined) {
    throw new ManifestError(file, `key ${quote(key)} appears twice in one object: keep one (JSON would silently use the last)`, {
      line,
      column: key,
    });
  }
}

async function* jsonRows(file: string, text: TextSource, options: PassOptions): AsyncGenerator<ManifestRow, void, undefined> {
  const clearToken = options.clearToken ?? DEFAULT_CLEAR_TOKEN;
  for await (const element of jsonArrayElements(file, text.pieces)) {
    let value: unknown;
    try {
      value = JSON.parse(element.text);
    } catch (err) {
      throw new ManifestError(file, `element ${element.index} is not valid JSON: ${parseReason(err)}`, { line: element.line });
    }
    if (!isJsonObject(value)) {
      throw new ManifestError(file, `element ${element.index} is ${jsonType(value)}, not an object`, { line: element.line });
    }
    checkNoDuplicateKey(file, element.text, element.line);
    yield objectToRow(file, value, element.index, element.line, { ...options, clearToken });
  }
}

async function* jsonLinesRows(file: string, text: TextSource, options: PassOptions): AsyncGenerator<ManifestRow, void, undefined> {
  const clearToken = options.clearToken ?? DEFAULT_CLEAR_TOKEN;
  let row = 0;
  for await (const { text: lineText, line } of textLines(file, text.pieces)) {
    if (lineText.trim() === '') continue;
    row++;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (err) {
      yield { row, line, fields: {}, columns: {}, error: `line ${line} is not valid JSON: ${parseReason(err)}` };
      continue;
    }
    if (!isJsonObject(value)) {
      yield { row, line, fields: {}, columns: {}, error: `line ${line} is ${jsonType(value)}, not a JSON object` };
      continue;
    }
    checkNoDuplicateKey(file, lineText, line);
    yield objectToRow(file, value, row, line, { ...options, clearToken });
  }
  if (row === 0) throw new ManifestError(file, 'the file is empty: expected one JSON object per line', { line: 1 });
}

/**
 * Opens a manifest and returns its rows as a stream.
 * @throws ManifestError (from the call, or while iterating `rows`) for unusable input.
 */
export async function openPass(file: string, options: PassOptions): Promise<Pass> {
  const text = await openText(file, {
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  let rows: AsyncGenerator<ManifestRow, void, undefined>;
  if (options.format === 'csv') {
    rows = readCsvRows(
      file,
      text.pieces,
      {
        ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
        ...(options.allowMdmProperties !== undefined ? { allowMdmProperties: options.allowMdmProperties } : {}),
        ...(options.ignoreReadOnlyColumns !== undefined ? { ignoreReadOnlyColumns: options.ignoreReadOnlyColumns } : {}),
        fallbackDelimiter: extname(file).toLowerCase() === '.tsv' ? '\t' : ',',
      },
      options.onCsvHead,
    );
  } else if (options.format === 'json') {
    rows = jsonRows(file, text, options);
  } else {
    rows = jsonLinesRows(file, text, options);
  }
  return { encoding: text.encoding, bom: text.bom, rows };
}

/**
 * The first pass over a manifest, before any request: format, encoding, delimiter, header and keys
 * checked, rows counted, file hashed.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { KeyType } from '../types.js';
import { KEY_COLUMNS } from './columns.js';
import { manifestFormat } from './format.js';
import { openPass } from './rows.js';
import type { CsvHead } from './csv.js';
import { countCsvRows } from './csv-count.js';
import { openText } from './decode.js';
import type { ManifestInfo, ManifestOptions } from './types.js';

/** Whether a JSON row names this key (a non-null, non-empty value). */
function hasKey(fields: Record<string, unknown>, key: KeyType): boolean {
  const v = fields[key];
  return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
}

/**
 * Reads the whole manifest once, streaming (memory does not grow with the file), and describes it.
 * A manifest with a header and no data rows is accepted (`rowCount` 0).
 * @param path the manifest file.
 * @returns format, encoding, delimiter (CSV), columns as written, key column(s), data row count,
 *   SHA-256 of the file bytes.
 * @throws ManifestError for anything that makes the whole manifest unusable: unreadable file, unknown
 *   format, undecodable bytes, empty file, ambiguous delimiter, unknown/duplicate/MDM-only columns,
 *   missing or double key column (CSV), unclosed quotes, a JSON file that is not an array of objects.
 *   Row-level problems (wrong field count, a malformed JSON Lines line) are not thrown: those rows
 *   carry `error` when read.
 */
export async function inspectManifest(path: string, options: ManifestOptions = {}): Promise<ManifestInfo> {
  const format = manifestFormat(path, options.format);
  if (format === 'csv') {
    const counted = await inspectCsvByCounting(path, options);
    if (counted) return counted;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  let head: CsvHead | undefined;
  const pass = await openPass(path, {
    format,
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(options.allowMdmProperties !== undefined ? { allowMdmProperties: options.allowMdmProperties } : {}),
    ...(options.ignoreReadOnlyColumns !== undefined ? { ignoreReadOnlyColumns: options.ignoreReadOnlyColumns } : {}),
    ...(options.clearToken !== undefined ? { clearToken: options.clearToken } : {}),
    onBytes: (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
    },
    onCsvHead: (h) => {
      head = h;
    },
  });

  let rowCount = 0;
  const jsonColumns = new Set<string>();
  const ignored = new Set<string>();
  const keyTypes = new Set<KeyType>();
  for await (const row of pass.rows) {
    rowCount++;
    if (format !== 'csv') {
      for (const name of Object.keys(row.columns)) jsonColumns.add(name);
      for (const name of row.ignored ?? []) ignored.add(name);
      for (const key of KEY_COLUMNS) if (hasKey(row.fields, key)) keyTypes.add(key);
    }
  }

  if (format === 'csv') return csvInfo(path, pass, head!, rowCount, hash.digest('hex'), bytes, options);
  const keys = KEY_COLUMNS.filter((k) => keyTypes.has(k));
  return {
    path,
    format,
    encoding: pass.encoding,
    bom: pass.bom,
    columns: [...jsonColumns],
    keyType: keys[0] ?? 'id',
    keyTypes: keys,
    ignoredColumns: [...ignored],
    ...(options.ignoreReadOnlyColumns ? { ignoreReadOnlyColumns: true } : {}),
    rowCount,
    sha256: hash.digest('hex'),
    bytes,
  };
}

/**
 * The CSV first pass by counting rows instead of parsing them ({@link countCsvRows}); `undefined`
 * when the file needs the full parse (which then reads it again from the start).
 */
async function inspectCsvByCounting(path: string, options: ManifestOptions): Promise<ManifestInfo | undefined> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head: CsvHead | undefined;
  const text = await openText(path, {
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    onBytes: (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
    },
  });
  const rowCount = await countCsvRows(
    path,
    text.pieces,
    {
      ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
      ...(options.allowMdmProperties !== undefined ? { allowMdmProperties: options.allowMdmProperties } : {}),
      ...(options.ignoreReadOnlyColumns !== undefined ? { ignoreReadOnlyColumns: options.ignoreReadOnlyColumns } : {}),
      fallbackDelimiter: extname(path).toLowerCase() === '.tsv' ? '\t' : ',',
    },
    (h) => {
      head = h;
    },
  );
  if (rowCount === undefined || !head) return undefined;
  return csvInfo(path, text, head, rowCount, hash.digest('hex'), bytes, options);
}

/** A CSV manifest's description, from either way of making the first pass. */
function csvInfo(
  path: string,
  text: { encoding: ManifestInfo['encoding']; bom: boolean },
  head: CsvHead,
  rowCount: number,
  sha256: string,
  bytes: number,
  options: ManifestOptions,
): ManifestInfo {
  return {
    path,
    format: 'csv',
    encoding: text.encoding,
    bom: text.bom,
    delimiter: head.delimiter,
    delimiterSource: head.delimiterSource,
    columns: head.header.columns.filter((c) => !c.ignored).map((c) => c.written),
    keyType: head.header.keyType,
    keyTypes: head.header.keyTypes,
    ignoredColumns: head.header.ignoredColumns,
    ...(options.ignoreReadOnlyColumns ? { ignoreReadOnlyColumns: true } : {}),
    rowCount,
    sha256,
    bytes,
  };
}

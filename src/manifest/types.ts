/**
 * Shapes of the manifest reader's API: options in, file description out.
 */
import type { KeyType } from '../types.js';

/** Manifest file formats. CSV covers any delimiter (`,` `;` tab `|`). */
export type ManifestFormat = 'csv' | 'json' | 'jsonl';

/** Text encodings the reader decodes. UTF-16 is recognised by its byte-order mark. */
export type ManifestEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** Options of {@link inspectManifest} and {@link readManifest}. */
export interface ManifestOptions {
  /** Overrides the format chosen from the file extension. */
  format?: ManifestFormat;
  /** CSV field delimiter, one character (`'tab'` and `'\\t'` mean a tab). Overrides a `sep=` line and detection. */
  delimiter?: string;
  /**
   * Text encoding when the file has no byte-order mark: `utf-8` (default), `windows-1252`
   * (Excel's plain "CSV" on Western Windows; aliases `cp1252`, `latin1`), `utf-16le`, `utf-16be`.
   * A byte-order mark always wins.
   */
  encoding?: string;
  /** Accept the Intune/MDM-owned columns `isCompliant` and `isManaged`. Default false. */
  allowMdmProperties?: boolean;
  /** Text written into `ManifestRow.columns` for a JSON `null` (default `#clear`). */
  clearToken?: string;
  /**
   * Skip columns (JSON keys) that are not updatable device properties instead of refusing the
   * manifest: the read-only columns of portal and PowerShell exports, and `isCompliant`/`isManaged`
   * unless `allowMdmProperties`. Names that only spell an updatable property differently
   * (`extension_attribute_1`) are still refused. The skipped names are in `ManifestInfo.ignoredColumns`.
   */
  ignoreReadOnlyColumns?: boolean;
}

/** What {@link inspectManifest} learned about a manifest file; the input of {@link readManifest}. */
export interface ManifestInfo {
  /** The path as given. */
  path: string;
  format: ManifestFormat;
  encoding: ManifestEncoding;
  /** Whether the file starts with a byte-order mark. */
  bom: boolean;
  /** CSV only: the field delimiter in use. */
  delimiter?: string;
  /** CSV only: how the delimiter was chosen. */
  delimiterSource?: 'option' | 'sep-line' | 'detected' | 'default';
  /**
   * The manifest's own column names as written (trimmed), in order. For JSON: every key seen, in order
   * of first appearance, nested extension attributes flattened to their own names.
   */
  columns: string[];
  /**
   * The key column. CSV: the header's key column. JSON/JSON Lines: the key of the first row that has
   * one (`id` if none); rows may use either key there: see `keyTypes`.
   */
  keyType: KeyType;
  /** Every key column seen: one or both (`id` first for CSV); per row, the filled key is used (`id` when both are). */
  keyTypes: KeyType[];
  /** Columns (JSON keys) skipped under `ignoreReadOnlyColumns`, as written, in order of first appearance. */
  ignoredColumns: string[];
  /** Whether the manifest was inspected with `ignoreReadOnlyColumns` (its second pass reads it the same way). */
  ignoreReadOnlyColumns?: boolean;
  /** Number of data rows (header, blank lines and all-empty CSV rows excluded; malformed JSON Lines included). */
  rowCount: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  /** File size in bytes. */
  bytes: number;
}

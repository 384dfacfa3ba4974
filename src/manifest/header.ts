/**
 * Checking a manifest's column names (a CSV header, or the keys of JSON rows) against the updatable
 * device properties, and finding the key column.
 */
import { RESULT_COLUMNS, type KeyType } from '../types.js';
import {
  KEY_COLUMNS,
  MDM_COLUMNS,
  canonicalColumn,
  describeAllowedColumns,
  isReadOnlyColumn,
  spelledAlike,
  suggestColumn,
} from './columns.js';
import { ManifestError, quote } from './errors.js';

/** One named column of a CSV header. */
export interface HeaderColumn {
  /** The name as written, trimmed. */
  written: string;
  /** Canonical Graph name; for an ignored results-file column, the name as written. */
  canonical: string;
  /**
   * Not read: a results file's own column (`row`, `outcome`, …) when a results file is read back as
   * a manifest, a rollback manifest's row column, or (with `ignoreReadOnlyColumns`) a column that is
   * not an updatable device property.
   */
  ignored?: boolean;
}

/**
 * The first column of a rollback manifest written by graph-bulk: the row of the job's manifest whose
 * change the line undoes. When a header has it, the file is read as a rollback manifest: that column
 * is not sent, and the Excel guard graph-bulk put before formula-like cells is removed again.
 */
export const ROLLBACK_ROW_COLUMN = 'rollbackOfRow';

/** Whether a header's trimmed cells are those of a graph-bulk results file. */
export function isResultsFileHeader(cells: readonly string[]): boolean {
  const lower = new Set(cells.map((c) => c.trim().toLowerCase()));
  return RESULT_COLUMNS.every((c) => lower.has(c.toLowerCase()));
}

/** A checked CSV header. */
export interface ResolvedHeader {
  columns: HeaderColumn[];
  /** The key column: `id` when the header has both `id` and `deviceId` (see `keyTypes`). */
  keyType: KeyType;
  /** The key columns the header has: one, or both (`id` first); per row, the filled one is used. */
  keyTypes: KeyType[];
  /** Whether trailing empty header cells (from trailing delimiters, or Excel's padding) were dropped. */
  trailingEmptyDropped: boolean;
  /** How many trailing empty header cells were dropped (a row with a value under one is invalid). */
  trailingEmptyCount: number;
  /** Columns skipped because they are not updatable (`ignoreReadOnlyColumns`), as written. */
  ignoredColumns: string[];
  /** The file is a results file read back as a manifest: its own columns are ignored, and the
   * apostrophe it put before formula-like cells is removed again. */
  fromResultsFile: boolean;
  /** The file is a rollback manifest (it has a {@link ROLLBACK_ROW_COLUMN} column, which is ignored);
   * the apostrophe graph-bulk put before formula-like cells is removed again. */
  fromRollbackFile: boolean;
}

/** Outcome of checking one column name: its canonical name, or a problem for a message. */
export type ColumnCheck = { canonical: string } | { problem: string; unknown: boolean };

/** Checks one column name as written; `allowMdmProperties` admits `isCompliant`/`isManaged`. */
export function checkColumnName(written: string, allowMdmProperties: boolean): ColumnCheck {
  const canonical = canonicalColumn(written);
  if (canonical === undefined) {
    const hint = suggestColumn(written);
    return {
      problem: `unknown column ${quote(written)}: not an updatable device property${hint ? ` (did you mean ${hint}?)` : ''}`,
      unknown: true,
    };
  }
  if (MDM_COLUMNS.includes(canonical) && !allowMdmProperties) {
    return {
      problem:
        `column ${quote(written)} can only be set by Intune or an approved MDM app (Windows devices); ` +
        'to send it anyway, allow MDM properties (--allow-mdm-properties, or allowMdmProperties in a job file)',
      unknown: false,
    };
  }
  return { canonical };
}

/** Options of {@link resolveHeader}. */
export interface HeaderOptions {
  /** Admit `isCompliant`/`isManaged`. */
  allowMdmProperties?: boolean;
  /**
   * Skip (instead of refusing) columns that are not updatable device properties: the read-only
   * columns of the Entra portal's "Download devices" CSV and of `Get-MgDevice | Export-Csv`
   * (`approximateLastSignInDateTime`, `trustType`, …), and MDM-only columns when not allowed. A
   * column whose name is only a different spelling of an updatable property
   * (`extension_attribute_1`) is still refused: it was meant to be sent.
   */
  ignoreReadOnlyColumns?: boolean;
}

/**
 * Whether a column the manifest may not use can be skipped under `ignoreReadOnlyColumns`: an
 * unknown or MDM-only column, not a different spelling of an updatable property.
 */
export function isIgnorable(check: ColumnCheck, written: string): boolean {
  return 'problem' in check && !isMisspeltColumn(written);
}

/** A name that is an updatable property written with other separators or case (`extension_attribute_1`). */
function isMisspeltColumn(written: string): boolean {
  return canonicalColumn(written) === undefined && spelledAlike(written) !== undefined;
}

/** The problem text for a list of column problems, with the allowed columns appended if any is unknown. */
export function columnProblemsMessage(problems: string[], anyUnknown: boolean, allowMdmProperties = false): string {
  return problems.join('; ') + (anyUnknown ? `; allowed columns: ${describeAllowedColumns(allowMdmProperties)}` : '');
}

/**
 * Checks a CSV header: names trimmed and matched case-insensitively to canonical names (`objectId`
 * is `id`); trailing empty names (trailing delimiters, Excel's padding) are dropped; unknown,
 * duplicate, empty or MDM-only (unless allowed) names and a missing key column are errors, all
 * reported together — unless `ignoreReadOnlyColumns`, which skips unknown and MDM-only columns
 * (see {@link HeaderOptions}). Both `id` and `deviceId` may be present: per row, the filled one is
 * the key (`id` when both are).
 * @param names header cells as parsed.
 * @param line 1-based file line of the header.
 * @throws ManifestError naming the columns concerned (and the allowed columns for unknown ones).
 */
export function resolveHeader(file: string, names: string[], line: number, options: HeaderOptions = {}): ResolvedHeader {
  let cells = names.map((n) => n.trim());
  let trailingEmptyCount = 0;
  while (cells.length - trailingEmptyCount > 1 && cells[cells.length - 1 - trailingEmptyCount] === '') trailingEmptyCount++;
  if (trailingEmptyCount > 0) cells = cells.slice(0, cells.length - trailingEmptyCount);

  const problems: string[] = [];
  let anyUnknown = false;
  let firstColumn: string | undefined;
  const columns: HeaderColumn[] = [];
  const ignoredColumns: string[] = [];
  const seen = new Map<string, string>();
  const fromResultsFile = isResultsFileHeader(cells);
  const resultColumns = new Set<string>(RESULT_COLUMNS.map((c) => c.toLowerCase()));
  const isRollbackColumn = (c: string) => c.toLowerCase() === ROLLBACK_ROW_COLUMN.toLowerCase();
  const fromRollbackFile = cells.some(isRollbackColumn);
  cells.forEach((written, i) => {
    if ((fromResultsFile && resultColumns.has(written.toLowerCase())) || isRollbackColumn(written) || isReadOnlyColumn(written)) {
      columns.push({ written, canonical: written, ignored: true });
      return;
    }
    if (written === '') {
      problems.push(`column ${i + 1} has no name`);
      firstColumn ??= `column ${i + 1}`;
      return;
    }
    const check = checkColumnName(written, options.allowMdmProperties ?? false);
    if ('problem' in check) {
      if (options.ignoreReadOnlyColumns && isIgnorable(check, written)) {
        columns.push({ written, canonical: written, ignored: true });
        ignoredColumns.push(written);
        return;
      }
      problems.push(check.problem);
      anyUnknown ||= check.unknown;
      firstColumn ??= written;
      return;
    }
    const earlier = seen.get(check.canonical);
    if (earlier !== undefined) {
      problems.push(`column ${quote(written)} appears twice (also ${quote(earlier)})`);
      firstColumn ??= written;
      return;
    }
    seen.set(check.canonical, written);
    columns.push({ written, canonical: check.canonical });
  });

  const keys = KEY_COLUMNS.filter((k) => seen.has(k));
  if (cells.every((c) => c === '')) {
    problems.unshift('the header line is empty');
  } else if (keys.length === 0) {
    problems.push(`no key column: need "id" (the device object id) or "deviceId"; found columns: ${cells.filter((c) => c).join(', ')}`);
  }
  if (problems.length > 0) {
    const hint =
      anyUnknown && !options.ignoreReadOnlyColumns ? '; to skip columns that are not updatable, use --ignore-read-only-columns' : '';
    throw new ManifestError(file, columnProblemsMessage(problems, anyUnknown, options.allowMdmProperties) + hint, {
      line,
      ...(firstColumn !== undefined ? { column: firstColumn } : {}),
    });
  }
  return {
    columns,
    keyType: keys[0]!,
    keyTypes: keys,
    trailingEmptyDropped: trailingEmptyCount > 0,
    trailingEmptyCount,
    ignoredColumns,
    fromResultsFile,
    fromRollbackFile,
  };
}

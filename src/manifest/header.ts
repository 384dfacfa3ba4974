/**
 * Checking a manifest's column names (a CSV header, or the keys of JSON rows) against the updatable
 * device properties, and finding the key column.
 */
import { RESULT_COLUMNS, type KeyType } from '../types.js';
import { KEY_COLUMNS, MDM_COLUMNS, canonicalColumn, describeAllowedColumns, suggestColumn } from './columns.js';
import { ManifestError, quote } from './errors.js';

/** One named column of a CSV header. */
export interface HeaderColumn {
  /** The name as written, trimmed. */
  written: string;
  /** Canonical Graph name; for an ignored results-file column, the name as written. */
  canonical: string;
  /** A results file's own column (`row`, `outcome`, …) when a results file is read back as a manifest. */
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
  keyType: KeyType;
  /** Whether a trailing empty header cell (from a trailing delimiter) was dropped. */
  trailingEmptyDropped: boolean;
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
        'to send it anyway, allow MDM properties (allowMdmProperties / --allow-mdm-properties)',
      unknown: false,
    };
  }
  return { canonical };
}

/** The problem text for a list of column problems, with the allowed columns appended if any is unknown. */
export function columnProblemsMessage(problems: string[], anyUnknown: boolean, allowMdmProperties = false): string {
  return problems.join('; ') + (anyUnknown ? `; allowed columns: ${describeAllowedColumns(allowMdmProperties)}` : '');
}

/**
 * Checks a CSV header: names trimmed and matched case-insensitively to canonical names; a trailing
 * empty name (trailing delimiter) is dropped; unknown, duplicate, empty or MDM-only (unless allowed)
 * names and a missing or double key column are errors, all reported together.
 * @param names header cells as parsed.
 * @param line 1-based file line of the header.
 * @throws ManifestError naming the columns concerned (and the allowed columns for unknown ones).
 */
export function resolveHeader(file: string, names: string[], line: number, options: { allowMdmProperties?: boolean } = {}): ResolvedHeader {
  let cells = names.map((n) => n.trim());
  const trailingEmptyDropped = cells.length > 1 && cells[cells.length - 1] === '';
  if (trailingEmptyDropped) cells = cells.slice(0, -1);

  const problems: string[] = [];
  let anyUnknown = false;
  let firstColumn: string | undefined;
  const columns: HeaderColumn[] = [];
  const seen = new Map<string, string>();
  const fromResultsFile = isResultsFileHeader(cells);
  const resultColumns = new Set<string>(RESULT_COLUMNS.map((c) => c.toLowerCase()));
  const isRollbackColumn = (c: string) => c.toLowerCase() === ROLLBACK_ROW_COLUMN.toLowerCase();
  const fromRollbackFile = cells.some(isRollbackColumn);
  cells.forEach((written, i) => {
    if ((fromResultsFile && resultColumns.has(written.toLowerCase())) || isRollbackColumn(written)) {
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
  } else if (keys.length === 2) {
    problems.push('both "id" and "deviceId" columns: use exactly one key column');
  }
  if (problems.length > 0) {
    throw new ManifestError(file, columnProblemsMessage(problems, anyUnknown, options.allowMdmProperties), {
      line,
      ...(firstColumn !== undefined ? { column: firstColumn } : {}),
    });
  }
  return { columns, keyType: keys[0]!, trailingEmptyDropped, fromResultsFile, fromRollbackFile };
}

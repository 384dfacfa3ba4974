/**
 * The Excel guard of the CSV files graph-bulk writes (results files, rollback manifests): a cell that
 * Excel would run as a formula gets a leading apostrophe. Undone exactly when graph-bulk reads its own
 * files back (a rollback manifest, a results file used as a manifest, a resume), so values round-trip
 * byte for byte.
 */

/** Cells that get the Excel guard: formula starts, and an apostrophe itself (so that the guard can be undone exactly). */
const GUARDED_START = /^[=+\-@\t\r']/;
/** A cell that carries the guard: an apostrophe followed by what {@link GUARDED_START} matches. */
const GUARD = /^'[=+\-@\t\r']/;

/**
 * Makes a cell safe to open in Excel: a value that starts with `=`, `+`, `-`, `@`, tab or CR would be
 * read as a formula, so it gets a leading apostrophe (Excel shows the text as written). A value that
 * starts with an apostrophe gets one too, so that {@link unguardCell} gives back every value exactly
 * (`'=x` → `''=x` → `'=x`).
 */
export function neutraliseCell(value: string): string {
  return GUARDED_START.test(value) ? `'${value}` : value;
}

/**
 * Undoes {@link neutraliseCell} exactly: `unguardCell(neutraliseCell(v)) === v` for every string.
 * Only for cells graph-bulk wrote itself (results files, rollback manifests).
 */
export function unguardCell(cell: string): string {
  return GUARD.test(cell) ? cell.slice(1) : cell;
}

/**
 * Boolean cells: `true/false`, `yes/no`, `1/0` in any case, surrounding whitespace ignored; JSON booleans as is.
 */

/** Result of {@link parseBoolean}: a value, an empty cell (send nothing), or not a boolean. */
export type BooleanParse = { value: boolean } | { empty: true } | { error: string };

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/** Hint appended to boolean errors. */
export const BOOLEAN_HINT = '(use true/false, yes/no, 1/0)';

/** Parses a boolean cell or JSON value. `null`/`undefined` are not booleans (the caller decides). */
export function parseBoolean(value: unknown): BooleanParse {
  if (typeof value === 'boolean') return { value };
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === '') return { empty: true };
    if (TRUE.has(s)) return { value: true };
    if (FALSE.has(s)) return { value: false };
  }
  return { error: `is not a boolean ${BOOLEAN_HINT}` };
}

/**
 * GUIDs as device keys: recognising them, their canonical (lower-case) form, and cleaning the
 * copy-paste debris users put around them (whitespace, non-breaking and zero-width spaces, quotes,
 * braces), and the values that are never a device's key (the all-zero GUID, numbers Excel made of a
 * GUID). Pure functions.
 */

import { isGuid } from '../graph/guid.js';

/** Re-exported: one definition of "is a GUID" for the validator and the URL builder (src/graph/guid.ts). */
export { isGuid };

/**
 * Characters that are invisible when pasted: zero-width space/joiners, word joiner, BOM, soft hyphen,
 * and the zero-width direction marks and isolates that right-to-left locales put around values
 * (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
 */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: each invisible code point is stripped on its own, ZWJ included
const INVISIBLE = /[\u200B\u200C\u200D\u2060\uFEFF\u00AD\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** The canonical (lower-case) form of a GUID, or `undefined` when `s` is not exactly a GUID. */
export function canonicalGuid(s: string): string | undefined {
  return isGuid(s) ? s.toLowerCase() : undefined;
}

/** The all-zero GUID: Intune's placeholder `azureADDeviceId` for a device not registered in Entra ID. */
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * A number as Excel shows one it converted: digits, a decimal (`1.5`, `1,5`) or scientific
 * notation (`1.23457E+18`, `6E+12`), possibly with thousands separators.
 */
const EXCEL_NUMBER = /^[-+]?(\d{1,3}([ ,.\u00a0\u202f]\d{3})+|\d+)([.,]\d+)?(E[-+]?\d+)?$/i;

/**
 * A hint for a key Excel has mangled, or `''`: Excel turns a GUID-like cell that reads as a number
 * (all digits, or digits and one `E`) into a number, shown rounded or in scientific notation, and
 * writes it back that way; the original cannot be recovered from the CSV.
 */
export function excelHint(s: string): string {
  if (!EXCEL_NUMBER.test(s)) return '';
  return (
    ': it looks like a number Excel converted the GUID into; the original is lost — take the ids from the source again and ' +
    'import the CSV into Excel with the column typed as Text (Data > From Text/CSV), or edit the file in a text editor'
  );
}

/** Result of {@link normaliseKey}: a canonical key with what was cleaned, or why it is not a key. */
export type KeyNormalisation = { key: string; notes: string[] } | { error: string };

/**
 * Cleans a raw key value and checks it is a GUID. Removes invisible characters anywhere; then,
 * repeatedly, surrounding whitespace (including non-breaking spaces), surrounding `"…"`/`'…'`
 * quotes and `{…}` braces; then lower-cases. The all-zero GUID is refused; a number (as Excel
 * writes one it converted a GUID into) is refused with a hint.
 * @param raw the cell text.
 * @param column the key column's name, used in notes (`removed braces around id`).
 * @returns `{key, notes}` (notes say what was changed, empty if nothing) or `{error}` (a phrase to
 *   follow the quoted value, e.g. `is not a GUID (…)`).
 */
export function normaliseKey(raw: string, column = 'id'): KeyNormalisation {
  const notes: string[] = [];
  let s = raw;
  if (s.match(INVISIBLE)) {
    s = s.replace(INVISIBLE, '');
    notes.push(`removed zero-width characters from ${column}`);
  }
  const once = (note: string): void => {
    if (!notes.includes(note)) notes.push(note);
  };
  for (let changed = true; changed; ) {
    changed = false;
    const trimmed = s.trim();
    if (trimmed !== s) {
      s = trimmed;
      once(`trimmed whitespace around ${column}`);
      changed = true;
    }
    if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
      s = s.slice(1, -1);
      once(`removed quotes around ${column}`);
      changed = true;
    }
    if (s.length >= 2 && s.startsWith('{') && s.endsWith('}')) {
      s = s.slice(1, -1);
      once(`removed braces around ${column}`);
      changed = true;
    }
  }
  if (s === '') return { error: 'is empty' };
  const key = canonicalGuid(s);
  if (key === undefined) return { error: `is not a GUID (expected 8-4-4-4-12 hexadecimal digits)${excelHint(s)}` };
  if (key === ZERO_GUID)
    return { error: `is the all-zero GUID, a placeholder (Intune shows it for a device with no Entra ID record): no device has it` };
  if (key !== s) notes.push(`lower-cased ${column}`);
  return { key, notes };
}

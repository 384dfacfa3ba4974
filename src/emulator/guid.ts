/** GUID helpers. Graph object ids and deviceIds are GUIDs, compared case-insensitively
 * (docs/graph-behaviour.md §1 "Both values are GUIDs"). */

/** `8-4-4-4-12` hex digits, any case, no braces. */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a GUID in `8-4-4-4-12` form (case-insensitive, no surrounding whitespace). */
export function isGuid(value: string): boolean {
  return GUID_PATTERN.test(value);
}

/** Canonical form used as a map key: lower case. */
export function canonicalGuid(value: string): string {
  return value.toLowerCase();
}

/**
 * GUID validation. Both device keys Graph accepts (the object `id` and the alternate key
 * `deviceId`) are GUIDs (docs/graph-behaviour.md §1; learn.microsoft.com/en-us/graph/api/device-update).
 */

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Is `s` a GUID in the strict 8-4-4-4-12 hexadecimal form (any letter case)? No braces, no
 * parentheses, no `urn:uuid:` prefix, no surrounding whitespace, no version/variant check.
 * Non-string input → false.
 */
export function isGuid(s: string): boolean {
  return typeof s === 'string' && GUID_RE.test(s);
}

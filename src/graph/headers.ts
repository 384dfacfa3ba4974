/**
 * Case-insensitive header lookup over the header shapes graph-bulk meets: fetch `Headers` on outer
 * responses, and plain objects inside `$batch` responses, whose name case varies
 * (docs/graph-behaviour.md §2: "header name case may vary"; learn.microsoft.com/en-us/graph/json-batching).
 */

/**
 * Any header container: fetch `Headers`, a plain object (names in any case; values a string, a
 * string array, or undefined), or nothing.
 */
export type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined;

function isHeadersLike(h: unknown): h is { get(name: string): string | null } {
  return typeof h === 'object' && h !== null && typeof (h as { get?: unknown }).get === 'function';
}

function firstValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = firstValue(item);
      if (s !== undefined) return s;
    }
  }
  return undefined;
}

/**
 * The value of header `name`, compared case-insensitively, or `undefined` when absent.
 * - fetch `Headers` (anything with a `get` method): `headers.get(name)` (repeated headers come back
 *   comma-joined, as fetch does).
 * - plain object: the first own property whose name matches case-insensitively and has a value;
 *   an array value yields its first element; a finite number is stringified (lenient for JSON
 *   `$batch` bodies).
 * Never throws.
 */
export function getHeader(headers: HeaderBag, name: string): string | undefined {
  if (headers === undefined || headers === null || typeof headers !== 'object') return undefined;
  if (isHeadersLike(headers)) {
    try {
      return headers.get(name) ?? undefined;
    } catch {
      return undefined; // invalid header name
    }
  }
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const v = firstValue((headers as Record<string, unknown>)[key]);
    if (v !== undefined) return v;
  }
  return undefined;
}

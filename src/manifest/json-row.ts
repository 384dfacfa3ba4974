/**
 * Turning one JSON object (a JSON array element or a JSON Lines line) into a manifest row:
 * keys matched to canonical column names, nested `extensionAttributes` flattened.
 */
import type { ManifestRow } from '../types.js';
import { NESTED_EXTENSION_KEY, isExtensionAttribute, isReadOnlyColumn } from './columns.js';
import { ManifestError, quote } from './errors.js';
import { checkColumnName, columnProblemsMessage, isIgnorable } from './header.js';

/** Options of {@link objectToRow}. */
export interface JsonRowOptions {
  allowMdmProperties?: boolean;
  /** Skip keys that are not updatable device properties (listed in the row's `ignored`). */
  ignoreReadOnlyColumns?: boolean;
  /** Text written into `columns` for `null`. */
  clearToken: string;
}

/** The JSON type of a value, for messages: `string`, `number`, `array`, `null`, … */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Whether a parsed JSON value is an object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The first key that appears twice in one object of a JSON text, at any depth, or `undefined`.
 * `JSON.parse` silently keeps the last of `{"id": "a", "id": "b"}`, so a manifest row would be
 * sent with a value its author may not have meant; the reader refuses such a row instead.
 * Keys are compared after unescaping (`"\u0069d"` is `id`). `text` must be valid JSON (it is
 * checked with `JSON.parse` first); the scan is linear in its length.
 */
export function findDuplicateKey(text: string): string | undefined {
  const objects: Array<Set<string> | undefined> = []; // one entry per open {…} (a Set) or […] (undefined)
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      if (end >= text.length) return undefined; // not valid JSON: JSON.parse reports it
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next]!)) next++;
      const keys = objects[objects.length - 1];
      if (text[next] === ':' && keys !== undefined) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    } else if (ch === 0x7b /* { */) objects.push(new Set());
    else if (ch === 0x5b /* [ */) objects.push(undefined);
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) objects.pop();
  }
  return undefined;
}

/** A JSON value as cell text: strings as is, `null` → the clear token, others as JSON. */
export function cellText(value: unknown, clearToken: string): string {
  if (value === null) return clearToken;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * Builds a row from a JSON object. Keys are trimmed and matched case-insensitively; values keep
 * their JSON types in `fields` (the validator checks them).
 * A non-object `extensionAttributes` value gives the row an `error` (the row becomes invalid).
 * @throws ManifestError (with the row's line) for an unknown key, an MDM-only key without
 *   `allowMdmProperties`, or two keys meaning the same column (`id` and `ID`; flat and nested
 *   `extensionAttribute1`): these are manifest-wide mistakes, like a bad CSV header.
 */
export function objectToRow(
  file: string,
  object: Record<string, unknown>,
  row: number,
  line: number,
  options: JsonRowOptions,
): ManifestRow {
  const fields: Record<string, unknown> = {};
  const columns: Record<string, string> = {};
  const writtenFor = new Map<string, string>();
  const errors: string[] = [];
  const ignored: string[] = [];

  const add = (written: string, value: unknown, shownAs: string): void => {
    const check = checkColumnName(written, options.allowMdmProperties ?? false);
    if ('problem' in check && options.ignoreReadOnlyColumns && isIgnorable(check, written)) {
      ignored.push(shownAs);
      return;
    }
    if ('problem' in check) {
      throw new ManifestError(
        file,
        columnProblemsMessage([check.problem.replace(quote(written), quote(shownAs))], check.unknown, options.allowMdmProperties),
        {
          line,
          column: shownAs,
        },
      );
    }
    const earlier = writtenFor.get(check.canonical);
    if (earlier !== undefined) {
      throw new ManifestError(file, `keys ${quote(earlier)} and ${quote(shownAs)} both set ${check.canonical}`, { line, column: shownAs });
    }
    writtenFor.set(check.canonical, shownAs);
    fields[check.canonical] = value;
    columns[written.trim()] = cellText(value, options.clearToken);
  };

  for (const [key, value] of Object.entries(object)) {
    if (isReadOnlyColumn(key)) continue; // informational (an export's `deviceId (read-only)`): never sent
    if (key.trim().toLowerCase() === NESTED_EXTENSION_KEY.toLowerCase()) {
      if (!isJsonObject(value)) {
        errors.push(
          `${key.trim()} on line ${line} is ${jsonType(value)}, not an object like {"extensionAttribute1": "…"}` +
            (value === null ? '; to clear one attribute, set that attribute to null inside it' : ''),
        );
        continue;
      }
      for (const [inner, innerValue] of Object.entries(value)) {
        const canonical = checkColumnName(inner, false);
        if ('problem' in canonical || !isExtensionAttribute(canonical.canonical)) {
          throw new ManifestError(
            file,
            `unknown key ${quote(`${key.trim()}.${inner}`)}: inside ${NESTED_EXTENSION_KEY} only extensionAttribute1 … extensionAttribute15 are allowed`,
            { line, column: `${key.trim()}.${inner}` },
          );
        }
        add(inner, innerValue, `${key.trim()}.${inner.trim()}`);
      }
      continue;
    }
    add(key, value, key.trim());
  }
  return {
    row,
    line,
    fields,
    columns,
    ...(errors.length ? { error: errors.join('; ') } : {}),
    ...(ignored.length ? { ignored } : {}),
  };
}

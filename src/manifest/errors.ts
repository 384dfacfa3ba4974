/**
 * The one error type the manifest reader throws for bad input (never a stack trace for the user).
 */
import { basename } from 'node:path';

/** Where a manifest problem is, for {@link ManifestError}. */
export interface ManifestErrorLocation {
  /** 1-based line of the file (the `sep=` line and the header count as lines). */
  line?: number;
  /** The column concerned, by name as written in the manifest (or `column N` when it has no name). */
  column?: string;
  /** The offending value, as read. */
  value?: string;
}

/**
 * A manifest that cannot be used as a whole: bad header, undecodable bytes, unknown format, …
 * Thrown before any request is sent (by `inspectManifest`). The message names the file (its base
 * name), the line and the column/value where known, e.g.
 * `manifest.csv line 1: unknown column "deviceOwnership"; allowed columns: id, deviceId, …`.
 * `file` holds the path as given.
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
  readonly value?: string;
  /** The message without the `file line N:` prefix. */
  readonly detail: string;

  constructor(file: string, detail: string, location: ManifestErrorLocation = {}) {
    const where = location.line !== undefined ? `${basename(file)} line ${location.line}` : basename(file);
    super(`${where}: ${detail}`);
    this.file = file;
    this.detail = detail;
    if (location.line !== undefined) this.line = location.line;
    if (location.column !== undefined) this.column = location.column;
    if (location.value !== undefined) this.value = location.value;
  }
}

/** Quotes a value for a message: JSON string syntax, so that whitespace and control characters show. */
export function quote(value: string, max = 80): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}

/**
 * The reason of a `JSON.parse` failure for a message, e.g. `Unexpected token 'x'` or `Expected ','
 * or '}' after property value in JSON at position 12`: without Node's echo of the input text
 * (`, "…" is not valid JSON`, also cut short with `...`), control characters shown as `\u001b` (so that a hostile file cannot
 * drive the terminal the message is printed on), at most 200 characters.
 */
export function jsonParseReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (
    message
      .replace(/, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, '') // Node's echo, whole or cut ("…"... / ..."…")
      .slice(0, 200)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  );
}

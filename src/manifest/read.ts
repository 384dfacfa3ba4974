/**
 * The second pass over a manifest: its rows, streamed, in order.
 */
import type { ManifestRow } from '../types.js';
import { ManifestError } from './errors.js';
import { openPass } from './rows.js';
import type { ManifestInfo, ManifestOptions } from './types.js';

/**
 * Streams the rows of a manifest already checked by `inspectManifest`, in file order. Format,
 * encoding and delimiter are taken from `info` (the `format`, `delimiter` and `encoding` options are
 * ignored); pass the same `allowMdmProperties` and `clearToken` as to `inspectManifest`.
 * Each row: `row` (1-based data row), `line` (1-based line where it starts), `fields` (canonical
 * name → raw value: cell text for CSV, JSON value for JSON), `columns` (the manifest's columns as
 * written → text), and `error` for a row that could not be read (wrong CSV field count, malformed
 * JSON Lines line, non-object `extensionAttributes`).
 * Memory stays flat; stopping the iteration early closes the file.
 * @throws ManifestError only if the file changed since inspection in a way that breaks it
 *   (e.g. a different CSV header); the checks are the same as `inspectManifest`'s.
 */
export async function* readManifest(
  info: ManifestInfo,
  options: Pick<ManifestOptions, 'allowMdmProperties' | 'clearToken'> = {},
): AsyncGenerator<ManifestRow, void, undefined> {
  const pass = await openPass(info.path, {
    format: info.format,
    encoding: info.encoding,
    ...(info.delimiter !== undefined ? { delimiter: info.delimiter } : {}),
    ...(options.allowMdmProperties !== undefined ? { allowMdmProperties: options.allowMdmProperties } : {}),
    ...(options.clearToken !== undefined ? { clearToken: options.clearToken } : {}),
    ...(info.ignoreReadOnlyColumns ? { ignoreReadOnlyColumns: true } : {}),
    onCsvHead: (head) => {
      const now = head.header.columns.filter((c) => !c.ignored).map((c) => c.written);
      if (now.join('\u0000') !== info.columns.join('\u0000')) {
        throw new ManifestError(info.path, 'the header changed since the manifest was inspected', { line: head.headerLine });
      }
    },
  });
  yield* pass.rows;
}

/**
 * Manifest reader: CSV (any common delimiter, Excel quirks), JSON arrays and JSON Lines, streamed.
 * `inspectManifest` (first pass, throws `ManifestError`) then `readManifest` (rows).
 */
export { inspectManifest } from './inspect.js';
export { readManifest } from './read.js';
export { ManifestError, type ManifestErrorLocation } from './errors.js';
export {
  ALLOWED_COLUMNS,
  ALL_COLUMNS,
  BOOLEAN_COLUMNS,
  DEFAULT_CLEAR_TOKEN,
  EXTENSION_ATTRIBUTE_COLUMNS,
  KEY_COLUMNS,
  MDM_COLUMNS,
  STRING_COLUMNS,
  canonicalColumn,
  isExtensionAttribute,
} from './columns.js';
export { MAX_RECORD_CHARS } from './limits.js';
export type { ManifestEncoding, ManifestFormat, ManifestInfo, ManifestOptions } from './types.js';

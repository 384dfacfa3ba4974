/**
 * Choosing a manifest's format from its file extension.
 */
import { extname } from 'node:path';
import { ManifestError } from './errors.js';
import type { ManifestFormat } from './types.js';

const BY_EXTENSION: Record<string, ManifestFormat> = {
  '.csv': 'csv',
  '.txt': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/**
 * The format for a path: `.csv`/`.txt`/`.tsv` → csv, `.json` → json, `.jsonl`/`.ndjson` → jsonl
 * (case-insensitive); `override` wins when given.
 * @throws ManifestError for an unknown extension without override, or an unknown override.
 */
export function manifestFormat(file: string, override?: string): ManifestFormat {
  if (override !== undefined) {
    const f = override.toLowerCase();
    if (f === 'csv' || f === 'json' || f === 'jsonl') return f;
    if (f === 'ndjson') return 'jsonl';
    if (f === 'tsv') return 'csv';
    throw new ManifestError(file, `unknown format ${JSON.stringify(override)}: use csv, json or jsonl`);
  }
  const ext = extname(file).toLowerCase();
  const found = BY_EXTENSION[ext];
  if (!found) {
    throw new ManifestError(
      file,
      `cannot tell the format from the extension ${JSON.stringify(ext || '(none)')}: ` +
        'use .csv, .tsv, .txt, .json, .jsonl or .ndjson, or pass the format option (csv, json, jsonl)',
    );
  }
  return found;
}

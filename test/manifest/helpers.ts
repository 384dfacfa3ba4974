/** Shared helpers of the manifest and validation tests: case-file paths, temp files, full runs. */
import { expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManifestError, inspectManifest, readManifest, type ManifestInfo, type ManifestOptions } from '../../src/manifest/index.js';
import { createValidator, type ValidationResult, type ValidatorOptions } from '../../src/validate/index.js';
import { casesDir } from '../helpers/paths.js';
import type { ManifestRow } from '../../src/types.js';

export { repoRoot } from '../helpers/paths.js';

/** A case file of test/cases, found relative to the repository. */
export function casePath(name: string): string {
  return path.resolve(casesDir, name);
}

/** A temporary directory for test files, removed by `cleanup`. */
export function tempDir(): { dir: string; write: (name: string, content: string | Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'graph-bulk-manifest-'));
  return {
    dir,
    write: (name, content) => {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** All rows of a manifest (both passes). */
export async function readAll(file: string, options: ManifestOptions = {}): Promise<{ info: ManifestInfo; rows: ManifestRow[] }> {
  const info = await inspectManifest(file, options);
  const rows: ManifestRow[] = [];
  for await (const row of readManifest(info, options)) rows.push(row);
  return { info, rows };
}

/** Reads and validates a whole manifest, as the runner will. */
export async function validateAll(
  file: string,
  options: ManifestOptions & Omit<ValidatorOptions, 'keyType'> = {},
): Promise<{ info: ManifestInfo; rows: ManifestRow[]; results: ValidationResult[] }> {
  const { info, rows } = await readAll(file, options);
  const validate = createValidator(options);
  return { info, rows, results: rows.map(validate) };
}

/** The error a promise rejects with (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** Awaits a promise that must reject with a ManifestError, and returns that error. */
export async function manifestError(promise: Promise<unknown>): Promise<ManifestError> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(ManifestError);
  return err as ManifestError;
}

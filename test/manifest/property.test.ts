/**
 * Property: any CSV, JSON Lines or JSON manifest — well-formed, odd, or mutated at the byte level —
 * either stops with a ManifestError in inspectManifest, or reads back exactly `rowCount` rows (the
 * number generated, when the file was generated well-formed) that the validator turns into exactly
 * one valid-or-invalid result each, never another exception.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError, inspectManifest, readManifest, type ManifestInfo } from '../../src/manifest/index.js';
import { createValidator, isInvalid } from '../../src/validate/index.js';
import type { ManifestRow } from '../../src/types.js';
import { csvManifest, jsonLinesManifest, jsonManifest, type GeneratedManifest } from '../fuzz/manifests.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let fileNumber = 0;

/** Runs both passes and the validator; checks the contract. */
async function checkContract(manifest: GeneratedManifest): Promise<void> {
  fileNumber++;
  const file = path.join(tmp.dir, `p${fileNumber}.${manifest.ext}`);
  writeFileSync(file, manifest.bytes);
  const allowMdmProperties = fileNumber % 2 === 0;
  let info: ManifestInfo;
  try {
    info = await inspectManifest(file, { allowMdmProperties });
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message.length).toBeGreaterThan(0);
    return;
  }
  if (manifest.expectedRows !== undefined) expect(info.rowCount).toBe(manifest.expectedRows);
  const rows: ManifestRow[] = [];
  for await (const row of readManifest(info, { allowMdmProperties })) rows.push(row);
  expect(rows).toHaveLength(info.rowCount);
  const validate = createValidator({ allowMdmProperties });
  rows.forEach((row, i) => {
    expect(row.row).toBe(i + 1);
    expect(row.line).toBeGreaterThanOrEqual(1);
    const result = validate(row);
    expect(result.row).toBe(row.row);
    if (isInvalid(result)) expect(result.message).toMatch(new RegExp(`^row ${row.row}: `));
    else expect(Object.keys(result.body).length).toBeGreaterThan(0);
  });
}

describe('manifest contract under random and mutated input', () => {
  it('CSV', async () => {
    await fc.assert(fc.asyncProperty(csvManifest(), checkContract), { numRuns: 200 });
  });

  it('JSON Lines', async () => {
    await fc.assert(fc.asyncProperty(jsonLinesManifest(), checkContract), { numRuns: 200 });
  });

  it('JSON', async () => {
    await fc.assert(fc.asyncProperty(jsonManifest(), checkContract), { numRuns: 200 });
  });
});

/**
 * Fuzzing the whole job (issue 6): random and mutated CSV, JSON and JSON Lines manifests go through
 * `runJob` in dry-run mode (no network). For every input the job either
 * - finishes, and its results file has exactly one line per data row, rows 1..rowCount each once,
 *   each `planned` (with a canonical device path) or `invalid` (with a message naming its row); or
 * - is refused with a JobError, exit 3, whose message names the file and the line, and writes no
 *   results file;
 * never another exception, never a hang (each run is bounded by fast-check's timeout).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGuid } from '../../src/graph/guid.js';
import { JobError } from '../../src/job/errors.js';
import type { JobOptionsInput } from '../../src/job/options.js';
import { runJob } from '../../src/job/run-job.js';
import { inspectManifest } from '../../src/manifest/index.js';
import { Capture } from '../helpers/job.js';
import { tempDir } from '../helpers/results.js';
import { csvManifest, jsonLinesManifest, jsonManifest, type GeneratedManifest } from './manifests.js';

const dir = tempDir('gb-fuzz-');
let n = 0;

const jobOptions = fc.record({
  allowMdmProperties: fc.boolean(),
  allowDuplicates: fc.boolean(),
  encoding: fc.constantFrom(undefined, undefined, undefined, 'windows-1252' as const),
  clearToken: fc.constantFrom(undefined, '#clear', '-', '=x'),
});

/** PATCH path of a planned row: `/devices/{guid}` or `/devices(deviceId='{guid}')`, then the body. */
const PLANNED = /^PATCH \/devices(?:\/([0-9a-f-]{36})|\(deviceId='([0-9a-f-]{36})'\)) \{/;

async function checkJob(manifest: GeneratedManifest, options: Partial<JobOptionsInput>): Promise<void> {
  n++;
  const file = join(dir, `m${n}.${manifest.ext}`);
  const results = join(dir, `r${n}.csv`);
  writeFileSync(file, manifest.bytes);
  const stderr = new Capture();
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<JobOptionsInput>;
  let summary: Awaited<ReturnType<typeof runJob>> | undefined;
  try {
    summary = await runJob({ manifest: file, results, dryRun: true, progress: false, ...defined }, { stderr });
  } catch (err) {
    // Refused: a JobError for the admin, naming the file and the line; nothing written.
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).exitCode).toBe(3);
    expect((err as JobError).message).toMatch(new RegExp(`^m${n}\\.${manifest.ext} line \\d+: \\S`));
    expect(existsSync(results)).toBe(false);
    return;
  }
  expect(stderr.text).not.toMatch(/internal error|\n\s+at /);
  // The results file is written with the manifest's own delimiter: the character after its first column, `row`.
  const text = readFileSync(results, 'utf8').replace(/^\uFEFF/, '');
  expect(text.startsWith('row')).toBe(true);
  const lines = parse(text, { columns: true, delimiter: text.charAt(3) }) as Array<Record<string, string>>;
  const info = await inspectManifest(file, defined);
  // (Generated as UTF-8. Read as windows-1252 its non-ASCII text changes: a row of only non-breaking spaces is no longer blank.)
  if (manifest.expectedRows !== undefined && defined.encoding === undefined) expect(info.rowCount).toBe(manifest.expectedRows);
  // Every data row accounted for exactly once.
  expect(lines.map((l) => Number(l.row)).sort((a, b) => a - b)).toEqual(Array.from({ length: info.rowCount }, (_, i) => i + 1));
  expect(summary.rows).toBe(info.rowCount);
  let invalid = 0;
  for (const l of lines) {
    expect(['planned', 'invalid']).toContain(l.outcome);
    expect(l.attempts).toBe('0');
    if (l.outcome === 'invalid') {
      invalid++;
      expect(l.errorMessage).toMatch(new RegExp(`^row ${l.row}: \\S`));
      continue;
    }
    const m = PLANNED.exec(l.errorMessage!);
    expect(m, l.errorMessage).not.toBeNull();
    const key = m![1] ?? m![2]!;
    expect(isGuid(key) && key === key.toLowerCase()).toBe(true);
    expect(l.key).toBe(key);
    expect(l.keyType).toBe(m![1] ? 'id' : 'deviceId');
  }
  expect(summary.byOutcome).toMatchObject({ planned: info.rowCount - invalid, invalid, updated: 0, failed: 0, skipped: 0 });
  expect(summary.exitCode).toBe(invalid > 0 ? 1 : 0);
}

describe('the whole job under random and mutated manifests (dry run)', () => {
  // 150 runs per format, about 2 s in all; the timeout (per run) is the no-hang check.
  for (const [name, arbitrary] of [
    ['CSV', csvManifest()],
    ['JSON Lines', jsonLinesManifest()],
    ['JSON', jsonManifest()],
  ] as const) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(arbitrary, jobOptions, checkJob), { numRuns: 150, timeout: 5_000 });
    });
  }
});

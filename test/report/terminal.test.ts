/** What the terminal says: invalid reasons by count in the summary, a job file's JSON error with line and column. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/job/errors.js';
import { loadJobFile } from '../../src/job/job-file.js';
import { CASE_ID, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { tempDir, tempFile } from '../helpers/results.js';

afterEach(stopEmulators);

describe('the terminal', () => {
  it('the summary lists invalid rows by reason, most first', async () => {
    const manifest = tempFile(
      'reasons.csv',
      `id,accountEnabled\n${CASE_ID.pc0},true\nnot-a-guid,true\nalso-bad,true\n${CASE_ID.pc1},maybe\n00000000-0000-0000-0000-000000000000,false\n`,
    );
    const r = await runAgainstEmulator({ manifest });
    expect(r.summary.byInvalidReason).toEqual({
      'id "…" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)': 2,
      'accountEnabled "…" is not a boolean (use true/false, yes/no, 1/0)': 1,
      'id "…" is the all-zero GUID, a placeholder (Intune shows it for a device with no Entra ID record): no device has it': 1,
    });
    expect(r.stderr).toContain('  invalid by reason:\n    2 × id "…" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)\n');
  });

  it('a job file that is not JSON: the error names the line and the column', () => {
    const file = join(tempDir(), 'job.json');
    writeFileSync(file, '{\n  "manifest": "m.csv",\n  "mode" "single"\n}\n');
    let err: unknown;
    try {
      loadJobFile(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JobError);
    expect((err as Error).message).toMatch(/job file .*job\.json is not valid JSON at line 3, column 10: /);
  });
});

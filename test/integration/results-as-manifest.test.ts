/** A results file (or a filtered copy of it) is a manifest again: its own columns are ignored. */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { patchesFor, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { tempFile } from '../helpers/results.js';

afterEach(stopEmulators);

it('re-runs the failed rows of a results file, with the manifest values as read (Excel guard undone)', async () => {
  const manifest = tempFile(
    'm.csv',
    'id,displayName,extensionAttribute1\n' +
      'db5b5fab-8f4d-4e27-9da1-494c73cf256d,=Kiosk,a\n' +
      '00000000-0000-4000-8000-000000000001,Ghost,b\n' +
      '309d6b79-965e-4a32-9ae4-45508201e2bd,"Lab, Floor 2",c\n',
  );
  const first = await runAgainstEmulator({ manifest, mode: 'single' });
  expect(first.rows.map((r) => r.outcome)).toEqual(['updated', 'failed', 'updated']);
  const text = readFileSync(first.resultsPath, 'utf8');
  expect(text).toContain(`'=Kiosk`); // guarded for Excel in the results file

  // Feed the whole results file back: every row runs again with its original values.
  const again = await runAgainstEmulator({ manifest: first.resultsPath, mode: 'batch' });
  // (the results file lists rows in the order they finished, so compare by device)
  expect(Object.fromEntries(again.rows.map((r) => [r.key, r.outcome]))).toEqual(
    Object.fromEntries(first.rows.map((r) => [r.key, r.outcome])),
  );
  expect(patchesFor(again.emu, 'db5b5fab-8f4d-4e27-9da1-494c73cf256d')[0]!.body).toEqual({
    displayName: '=Kiosk',
    extensionAttributes: { extensionAttribute1: 'a' },
  });
  expect(again.emu.getDevice('309d6b79-965e-4a32-9ae4-45508201e2bd')!.displayName).toBe('Lab, Floor 2');
  // The results of a results file carry the manifest's own columns only, not the old result columns twice.
  const header = readFileSync(again.resultsPath, 'utf8').split('\n')[0]!;
  expect(header).toBe(
    '\uFEFFrow,key,keyType,outcome,httpStatus,errorCode,errorMessage,attempts,requestId,finishedAt,id,displayName,extensionAttribute1',
  );

  // Only the failed line, as an admin would filter it.
  const lines = text.trim().split('\n');
  const failedOnly = tempFile('failed.csv', [lines[0], ...lines.slice(1).filter((l) => l.includes(',failed,'))].join('\n') + '\n');
  const third = await runAgainstEmulator({ manifest: failedOnly });
  expect(third.rows.map((r) => [r.key, r.outcome, r.httpStatus])).toEqual([['00000000-0000-4000-8000-000000000001', 'failed', '404']]);
});

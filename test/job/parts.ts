import { join } from 'node:path';
import { ResultsFile } from '../../src/report/results-file.js';
import type { Work } from '../../src/job/work.js';
import { tempDir } from '../helpers/results.js';

/** Object id of test device `n`. */
export const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A fresh results file (CSV, one manifest column `extensionAttribute1`) in a temporary folder. */
export function freshResults(): ResultsFile {
  return ResultsFile.create(join(tempDir('gb-parts-'), 'results.csv'), { manifestColumns: ['id', 'extensionAttribute1'] });
}

/** Manifest row `row` as work on its way: set extensionAttribute1 of device `row` to `v<row>`. */
export function work(row: number, phase: Work['phase'] = 'write'): Work {
  const key = guid(row);
  const body = { extensionAttributes: { extensionAttribute1: `v${row}` } };
  return {
    key,
    update: { row, key, keyType: 'id', body, notes: [], columns: { id: key, extensionAttribute1: `v${row}` } },
    item: { id: String(row), path: `/devices/${key}`, body },
    phase,
    attempts: 0,
    authReplays: 0,
  };
}

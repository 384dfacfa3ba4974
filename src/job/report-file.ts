/**
 * Writing the run's HTML report beside its results file. A report that cannot be written is a
 * warning, never a failed job: the results file is what counts.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { type ReportInput, renderReport, reportPathFor } from '../report/html-report.js';
import type { Logger } from '../report/log.js';

/**
 * Writes `<results>.report.html` (owner-only, 0600, never over an existing file).
 * @returns its path, or undefined when it could not be written (the reason is logged as a warning).
 */
export function writeReport(resultsPath: string, input: ReportInput, log: Pick<Logger, 'warn'>): string | undefined {
  const path = reportPathFor(resultsPath);
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      const bytes = Buffer.from(renderReport(input));
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    return path;
  } catch (err) {
    log.warn(`the report ${path} could not be written: ${(err as Error).message}`);
    return undefined;
  }
}

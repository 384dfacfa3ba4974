/**
 * Reading a previous results file for `--resume`: which manifest rows it recorded `updated` or `unchanged` (those are
 * not sent again; their lines carry over into the new results file), after checking that it belongs to
 * the same manifest (its sidecar, see results-meta.ts).
 *
 * A results file cut short (kill -9, power loss, a full disk) is read up to its last complete line;
 * a partial last line is dropped, so its row runs again. PATCH is idempotent
 * (learn.microsoft.com/en-us/graph/api/device-update), so running a row twice is safe; recording a row
 * `updated` that Graph never confirmed is not, and cannot happen: a line exists only after Graph's 2xx.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { OUTCOMES as ALL_OUTCOMES, RESULT_COLUMNS, type Outcome, type RowResult } from '../types.js';
import { unguardCell } from './excel-guard.js';
import { BOM, csvDialect, type ResultsFormat } from './results-file.js';
import { readResultsMeta, type ResultsMeta } from './results-meta.js';

/** A previous results file that cannot be resumed from. The message names the file and what is wrong. */
export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeError';
  }
}

/** What a previous run left behind, as far as a resume needs it. */
export interface PreviousResults {
  /** The previous results file. */
  path: string;
  /** Its sidecar. */
  meta: ResultsMeta;
  /** Rows recorded `updated` (or `unchanged`: the device was already at its target), by manifest row
   * number (1-based), with their result line as written. */
  updated: Map<number, RowResult>;
  /** Complete result lines read (any outcome). */
  lines: number;
  /** Characters dropped from the end: a partial last line (0 when the file ended cleanly). */
  droppedChars: number;
  /** Earlier results files read through the sidecars' `resumedFrom`, newest first. */
  earlier: string[];
  /** An earlier results file named by `resumedFrom` that could not be read (gone, changed), if any. */
  skippedEarlier: string[];
}

/** The manifest a resumed run reads, as `inspectManifest` describes it. */
export interface ManifestIdentity {
  path: string;
  sha256: string;
  rowCount: number;
}

const OUTCOMES: ReadonlySet<string> = new Set<string>(ALL_OUTCOMES);

/**
 * Splits a results file's text into its complete records and a partial tail. A CSV record ends at a
 * line break outside double quotes (RFC 4180: a quote inside a quoted cell is doubled, so counting
 * quotes tells inside from outside); a JSON Lines record ends at a line break.
 * @returns `complete`: the text up to and including the last complete record's line break;
 *   `droppedChars`: how many characters followed it.
 */
export function completeRecords(text: string, format: ResultsFormat): { complete: string; droppedChars: number } {
  let end = 0;
  if (format === 'jsonl') end = text.lastIndexOf('\n') + 1;
  else {
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 34) quoted = !quoted;
      else if (ch === 10 && !quoted) end = i + 1;
    }
  }
  return { complete: text.slice(0, end), droppedChars: text.length - end };
}

/**
 * Parses complete result records (see {@link completeRecords}) into row results. The manifest columns
 * of a CSV results file come back exactly as the manifest had them (the Excel guard undone).
 * @param source the file name, for error messages.
 * @throws {ResumeError} when the text is not a graph-bulk results file (CSV header without the result
 *   columns, a JSON Lines line that is not an object) or a line has no valid row number or outcome.
 */
export function parseResults(complete: string, format: ResultsFormat, source: string): RowResult[] {
  let records: Array<Record<string, unknown>>;
  if (format === 'jsonl') {
    records = complete
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          const value: unknown = JSON.parse(line);
          if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
        } catch {
          /* reported below */
        }
        throw new ResumeError(`${source} line ${i + 1} is not a JSON object: is this a graph-bulk results file?`);
      });
  } else {
    if (complete === '' || complete === BOM) return [];
    const { delimiter } = csvDialect(complete);
    const header = (parse(complete, { to_line: 1, bom: true, delimiter }) as string[][])[0] ?? [];
    if (RESULT_COLUMNS.some((c, i) => header[i] !== c)) {
      throw new ResumeError(
        `${source} does not start with the results columns ${RESULT_COLUMNS.join(',')}: is this a graph-bulk results file?`,
      );
    }
    try {
      records = parse(complete, { columns: true, bom: true, delimiter }) as Array<Record<string, string>>;
    } catch (err) {
      throw new ResumeError(`${source} cannot be read as CSV: ${(err as Error).message}`);
    }
  }
  const manifestColumnsOf = (r: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(r)
        .filter(([k]) => !(RESULT_COLUMNS as readonly string[]).includes(k))
        .filter(([, v]) => v !== null) // JSON Lines: null for a column the row did not have
        .map(([k, v]) => [k, format === 'csv' ? unguardCell(String(v)) : String(v)]),
    );
  return records.map((r, i) => {
    const row = Number(r.row);
    const outcome = String(r.outcome ?? '');
    if (!Number.isInteger(row) || row < 1 || !OUTCOMES.has(outcome)) {
      throw new ResumeError(
        `${source}: result line ${i + 1} has row ${JSON.stringify(r.row)} and outcome ${JSON.stringify(r.outcome)}; expected a row number and one of ${[...OUTCOMES].join(', ')}`,
      );
    }
    const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
    return {
      row,
      key: String(r.key ?? ''),
      keyType: String(r.keyType ?? '') as RowResult['keyType'],
      outcome: outcome as Outcome,
      httpStatus: text(r.httpStatus) === undefined ? undefined : Number(r.httpStatus),
      errorCode: text(r.errorCode),
      errorMessage: text(r.errorMessage),
      attempts: Number(r.attempts ?? 0) || 0,
      requestId: text(r.requestId),
      finishedAt: String(r.finishedAt ?? ''),
      columns: manifestColumnsOf(r),
    };
  });
}

/**
 * Decides whether a previous results file may be resumed with this manifest: it must be the same
 * content (SHA-256 of the bytes); the path may differ (a manifest copied or moved is the same manifest).
 * @returns undefined when it matches, else the reason (for the admin).
 */
export function resumeMismatch(previousPath: string, meta: ResultsMeta, manifest: ManifestIdentity): string | undefined {
  if (meta.manifest.sha256 === manifest.sha256) return undefined;
  return (
    `cannot resume: ${previousPath} belongs to manifest ${meta.manifest.path} (sha256 ${meta.manifest.sha256.slice(0, 12)}…, ${meta.manifest.rows} rows), ` +
    `but this job's manifest ${manifest.path} is different (sha256 ${manifest.sha256.slice(0, 12)}…, ${manifest.rowCount} rows). ` +
    `Resume with the manifest that results file was made from, or run without --resume.`
  );
}

/** How many earlier results files a resume follows through `resumedFrom` at most. */
export const MAX_RESUME_CHAIN = 100;

/**
 * Reads a previous results file and its sidecar for a resume, and checks they belong to `manifest`.
 * Nothing is sent before this succeeds.
 *
 * When that file was itself a resume (its sidecar names `resumedFrom`), the files it resumed from are
 * read too, newest first: a resumed run killed before it had copied every carried-over line still
 * leaves those rows `updated` in an earlier file, and they are not sent again. An earlier file that is
 * gone or unreadable is left out (named in `skippedEarlier`).
 * @throws {ResumeError} when the file or its sidecar is missing or unreadable, when it belongs to another
 *   manifest ({@link resumeMismatch}), when it is not a graph-bulk results file, or when it names a row
 *   the manifest does not have.
 */
export function loadPreviousResults(previousPath: string, manifest: ManifestIdentity): PreviousResults {
  const first = readOne(previousPath, manifest);
  const earlier: string[] = [];
  const skippedEarlier: string[] = [];
  const seen = new Set([previousPath]);
  for (let next = first.meta.resumedFrom; next !== undefined && !seen.has(next) && seen.size <= MAX_RESUME_CHAIN; ) {
    seen.add(next);
    let older: Omit<PreviousResults, 'earlier' | 'skippedEarlier'>;
    try {
      older = readOne(next, manifest);
    } catch {
      skippedEarlier.push(next);
      break;
    }
    earlier.push(next);
    for (const [row, r] of older.updated) if (!first.updated.has(row)) first.updated.set(row, r);
    next = older.meta.resumedFrom;
  }
  return { ...first, earlier, skippedEarlier };
}

function readOne(previousPath: string, manifest: ManifestIdentity): Omit<PreviousResults, 'earlier' | 'skippedEarlier'> {
  let meta: ResultsMeta;
  try {
    meta = readResultsMeta(previousPath);
  } catch (err) {
    throw new ResumeError(`cannot resume from ${previousPath}: ${(err as Error).message}`);
  }
  const mismatch = resumeMismatch(previousPath, meta, manifest);
  if (mismatch) throw new ResumeError(mismatch);
  let text: string;
  try {
    text = readFileSync(previousPath, 'utf8');
  } catch (err) {
    throw new ResumeError(`cannot resume: cannot read ${previousPath}: ${(err as Error).message}`);
  }
  const { complete, droppedChars } = completeRecords(text, meta.results.format);
  const results = parseResults(complete, meta.results.format, previousPath);
  const updated = new Map<number, RowResult>();
  for (const r of results) {
    if (r.row > manifest.rowCount) {
      throw new ResumeError(`cannot resume: ${previousPath} has a result for row ${r.row}, but the manifest has ${manifest.rowCount} rows`);
    }
    if ((r.outcome === 'updated' || r.outcome === 'unchanged') && !updated.has(r.row)) updated.set(r.row, r);
  }
  return { path: previousPath, meta, updated, lines: results.length, droppedChars };
}

/**
 * The results file's sidecar, `<results file>.meta.json`: which manifest the results file belongs to,
 * so that `--resume` can refuse a results file of another manifest before anything is sent.
 *
 * It is written (and synced to disk) before the results file's first line, once, and never changed:
 *
 * ```json
 * {"kind":"graph-bulk-results-meta","version":1,"createdAt":"2026-01-01T00:00:00.000Z",
 *  "results":{"path":"/abs/results/job.csv","format":"csv"},
 *  "manifest":{"path":"/abs/devices.csv","sha256":"<64 hex>","rows":5000},
 *  "resumedFrom":"/abs/results/job-earlier.csv",
 *  "graph":{"root":"https://graph.microsoft.com","tenantId":"<tid>","appId":"<appid>"},
 *  "chain":"/abs/results/job-first.csv"}
 * ```
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';

/** The sidecar's file name for a results file: the results path plus `.meta.json`. */
export function resultsMetaPath(resultsPath: string): string {
  return `${resultsPath}.meta.json`;
}

const metaSchema = z.object({
  kind: z.literal('graph-bulk-results-meta'),
  version: z.literal(1),
  /** ISO 8601 UTC time the results file was created. */
  createdAt: z.string(),
  results: z.object({ path: z.string(), format: z.enum(['csv', 'jsonl']) }),
  /** The manifest as it was when the run started: absolute path, SHA-256 of its bytes (lower-case hex), data rows. */
  manifest: z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), rows: z.number().int().nonnegative() }),
  /** The results file this run resumed from (`--resume`), if any. */
  resumedFrom: z.string().optional(),
  /**
   * The Graph the run sends to: its root (`https://graph.microsoft.com`), and the tenant and app of its
   * token (claims `tid`, `appid`/`azp`) or sign-in settings, lower case, when known. A resume against
   * another Graph, tenant or app is refused (resume-checks.ts). Absent for a dry run (sends nothing).
   */
  graph: z.object({ root: z.string(), tenantId: z.string().optional(), appId: z.string().optional() }).optional(),
  /**
   * The first results file of the resume chain (this file itself for a run without `--resume`): the
   * chain's lock is taken on it (results-lock.ts), so that two runs of one chain never overlap.
   */
  chain: z.string().optional(),
});

/** The Graph a results file was made against (see {@link ResultsMeta}'s `graph`). */
export type GraphIdentity = NonNullable<ResultsMeta['graph']>;

/** The sidecar's content (see the module comment for an example). */
export type ResultsMeta = z.infer<typeof metaSchema>;

/**
 * Writes the sidecar of `resultsPath`, owner-only (0600), refusing to replace an existing one, and
 * syncs it to disk so that a crash right after the first result line still leaves it readable.
 * @throws {Error} the file system's error (exists, permissions, disk full).
 */
export function writeResultsMeta(resultsPath: string, meta: ResultsMeta): void {
  const fd = openSync(resultsMetaPath(resultsPath), 'wx', 0o600);
  try {
    const bytes = Buffer.from(JSON.stringify(meta, null, 2) + '\n');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and checks the sidecar of `resultsPath`.
 * @throws {Error} with a message naming the sidecar when it is missing, not JSON, or not a graph-bulk
 *   results sidecar (each field checked).
 */
export function readResultsMeta(resultsPath: string): ResultsMeta {
  const path = resultsMetaPath(resultsPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${path} is missing: it records which manifest ${resultsPath} belongs to (graph-bulk writes it beside every results file)`
        : `cannot read ${path}: ${(err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`${path} is not a graph-bulk results sidecar: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The end marker's file name for a results file: the results path plus `.end.json`. */
export function resultsEndPath(resultsPath: string): string {
  return `${resultsPath}.end.json`;
}

/**
 * What a run writes when it ends cleanly (any exit code, but not killed): that its results file (and
 * rollback manifest) are complete. A results file without it was cut short (kill -9, power loss): its
 * last line may be partial (a resume drops it), and its rollback manifest may hold lines written ahead
 * of PATCHes that never went out (they put back values the devices still have).
 */
export interface ResultsEnd {
  kind: 'graph-bulk-results-end';
  version: 1;
  /** ISO 8601 UTC. */
  endedAt: string;
  /** Result lines in the results file. */
  lines: number;
  exitCode: number;
  /** The rollback manifest and its lines, when one was kept. */
  rollback?: { path: string; lines: number };
}

/**
 * Writes the end marker of `resultsPath` (owner-only, synced). Never throws: without it a results file
 * only reads as cut short.
 * @returns whether it was written.
 */
export function writeResultsEnd(resultsPath: string, end: Omit<ResultsEnd, 'kind' | 'version'>): boolean {
  try {
    const fd = openSync(resultsEndPath(resultsPath), 'wx', 0o600);
    try {
      const bytes = Buffer.from(JSON.stringify({ kind: 'graph-bulk-results-end', version: 1, ...end }) + '\n');
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

/** Reads the end marker of `resultsPath`: undefined when there is none (or it is not one). */
export function readResultsEnd(resultsPath: string): ResultsEnd | undefined {
  try {
    const v = JSON.parse(readFileSync(resultsEndPath(resultsPath), 'utf8')) as ResultsEnd;
    return v?.kind === 'graph-bulk-results-end' ? v : undefined;
  } catch {
    return undefined;
  }
}

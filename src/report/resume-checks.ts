/**
 * What a resume checks before it trusts a previous results file, as pure decisions: that the file was
 * made against the same Graph (root, tenant, app), and that each line it carries over is the line of
 * the manifest row it claims to be. Row numbers alone prove nothing: a results file of another Graph,
 * or of a manifest whose rows moved, would otherwise mark rows `updated` that this Graph never saw.
 */
import type { RowResult } from '../types.js';
import type { GraphIdentity } from './results-meta.js';

function sameText(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
}

/** A Graph root compared without case and trailing slashes (`https://graph.microsoft.com/` = `https://Graph.microsoft.com`). */
function normalRoot(root: string): string {
  return root.trim().replace(/\/+$/, '').toLowerCase();
}

function describeIdentity(g: GraphIdentity): string {
  return `Graph ${g.root}, tenant ${g.tenantId ?? '(unknown)'}, app ${g.appId ?? '(unknown)'}`;
}

/**
 * Decides whether a results file made against `recorded` may be resumed against `current`.
 * - the Graph roots must be equal (case and trailing slashes aside);
 * - the tenant ids, and the app ids, must be equal when both are known; known on one side only is a
 *   mismatch (the same tenant cannot be shown), unknown on both sides passes;
 * - a results file whose sidecar records no Graph (a dry run, or written by an older graph-bulk) is a
 *   mismatch: nothing shows which Graph its `updated` lines were confirmed by.
 * @param previousPath the previous results file, for the message.
 * @param recorded its sidecar's `graph`.
 * @param current the Graph of this run.
 * @returns undefined when it may be resumed, else the reason naming both (for the admin; exit 3).
 */
export function graphIdentityMismatch(
  previousPath: string,
  recorded: GraphIdentity | undefined,
  current: GraphIdentity,
): string | undefined {
  const advice = 'Resume against the Graph, tenant and app that results file was made with, or run without --resume.';
  if (!recorded) {
    return `cannot resume: ${previousPath} records no Graph (a dry run, or made by an older graph-bulk), so its updated rows cannot be shown to be on ${describeIdentity(current)}. ${advice}`;
  }
  const differs =
    normalRoot(recorded.root) !== normalRoot(current.root) ||
    (recorded.tenantId !== undefined) !== (current.tenantId !== undefined) ||
    !sameText(recorded.tenantId, current.tenantId) ||
    (recorded.appId !== undefined) !== (current.appId !== undefined) ||
    !sameText(recorded.appId, current.appId);
  if (!differs) return undefined;
  return `cannot resume: ${previousPath} was made against ${describeIdentity(recorded)}, but this run is against ${describeIdentity(current)}. ${advice}`;
}

/**
 * Decides whether a carried-over result line is the line of this manifest row: the same key (as the
 * validator cleaned it, compared without case) and the same value in every manifest column (exactly;
 * a column missing on one side counts as empty, as the results file writes it).
 * @param line the previous result line (its `columns` with the Excel guard undone).
 * @param row the manifest row now: its cleaned key (undefined when the row is invalid now) and its cells.
 * @param manifestColumns the manifest's columns.
 * @returns undefined when they match, else what differs (the row then runs again).
 */
export function carriedLineMismatch(
  line: Pick<RowResult, 'key' | 'columns'>,
  row: { key: string | undefined; columns: Record<string, string> },
  manifestColumns: readonly string[],
): string | undefined {
  if (row.key === undefined || !sameText(line.key, row.key))
    return `key ${JSON.stringify(line.key)} in the results file, ${JSON.stringify(row.key ?? '')} in the manifest`;
  for (const c of manifestColumns) {
    const was = line.columns[c] ?? '';
    const now = row.columns[c] ?? '';
    if (was !== now) return `column ${c} is ${JSON.stringify(was)} in the results file, ${JSON.stringify(now)} in the manifest`;
  }
  return undefined;
}

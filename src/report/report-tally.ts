/**
 * What the report and the summary say about rows, gathered as their result lines are written (no
 * second read of the results file): failed rows by error code with Graph's messages, invalid rows
 * by reason, and a plan's changes by property ("accountEnabled true → false: 12"). Bounded memory.
 */
import type { RowResult } from '../types.js';

/** Failed rows of one error code. */
export interface ErrorCodeGroup {
  code: string;
  count: number;
  httpStatus?: number;
  /** Up to 3 distinct messages, as Graph (or the network) gave them. */
  messages: string[];
  /** The first rows (up to 10). */
  rows: number[];
}

const MAX_GROUPS = 100;

/**
 * An invalid row's reason without what is particular to the row: the `row N: ` prefix, quoted
 * values and GUIDs become `…`, so that rows invalid for the same reason count together.
 */
export function invalidReason(message: string): string {
  return message
    .replace(/^row \d+: /, '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '…')
    .replace(/\b(row|line|duplicate of row) \d+\b/g, '$1 N');
}

/** `accountEnabled true → false` segments of a planned row's message. */
const CHANGE = /(\w+) ((?:"(?:[^"\\]|\\.)*")|true|false|null|-?\d+(?:\.\d+)?) → ((?:"(?:[^"\\]|\\.)*")|true|false|null|-?\d+(?:\.\d+)?)/g;

/** Counts of rows by error code, invalid reason and planned change. */
export class ReportTally {
  readonly failed = new Map<string, ErrorCodeGroup>();
  readonly invalid = new Map<string, number>();
  readonly changes = new Map<string, number>();

  /** Takes one result line. */
  add(r: RowResult): void {
    if (r.outcome === 'failed') {
      const code = r.errorCode ?? (r.httpStatus ? `HTTP ${r.httpStatus}` : 'no answer');
      let g = this.failed.get(code);
      if (!g) {
        if (this.failed.size >= MAX_GROUPS) return;
        g = { code, count: 0, ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}), messages: [], rows: [] };
        this.failed.set(code, g);
      }
      g.count++;
      if (r.errorMessage && g.messages.length < 3 && !g.messages.includes(r.errorMessage)) g.messages.push(r.errorMessage);
      if (g.rows.length < 10) g.rows.push(r.row);
    } else if (r.outcome === 'invalid' && r.errorMessage) {
      const reason = invalidReason(r.errorMessage);
      if (this.invalid.has(reason) || this.invalid.size < MAX_GROUPS) this.invalid.set(reason, (this.invalid.get(reason) ?? 0) + 1);
    } else if (r.outcome === 'planned' && r.errorMessage) {
      for (const m of r.errorMessage.matchAll(CHANGE)) {
        const change = `${m[1]} ${m[2]} → ${m[3]}`;
        if (this.changes.has(change) || this.changes.size < MAX_GROUPS) this.changes.set(change, (this.changes.get(change) ?? 0) + 1);
      }
    }
  }

  /** Entries of a count map, largest first. */
  static sorted(map: ReadonlyMap<string, number>): Array<[string, number]> {
    return [...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }
}

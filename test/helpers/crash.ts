/**
 * Helpers of the crash-safety tests (issue 14): a fleet whose devices start with values that must
 * round-trip byte for byte, the rollback manifests a resume chain left, and checks that they cover
 * every changed device exactly once with its original values.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { type Device, type Emulator, generateInventory } from '../../src/emulator/index.js';
import { runCli } from './cli.js';
import { tempDir } from './results.js';

/** Initial values that a rollback must put back exactly: apostrophes, formula starts, surrounding spaces. */
export const TRICKY = ["'=x", "'+cmd", '=SUM(A1:A9)', '+cmd', '  padded value  ', "'", '@me', '-1', "'plain", 'a,"quoted"', ' ', 'plain'];

/** A fleet of `count` devices with tricky initial extension attributes, and a manifest changing each. */
export interface TrickyFleet {
  /** The initial inventory (a deep copy, never handed to an emulator). */
  initial: Device[];
  /** A fresh copy of the initial inventory, for an emulator. */
  devices: () => Device[];
  manifest: string;
  dir: string;
  rows: number;
}

export function trickyFleet(count: number, seed: number, tag = 'new'): TrickyFleet {
  const devices = generateInventory(count, seed).map((d, i) => ({
    ...d,
    extensionAttributes: {
      ...d.extensionAttributes,
      extensionAttribute1: TRICKY[i % TRICKY.length]!,
      extensionAttribute7: i % 3 === 0 ? null : TRICKY[(i + 5) % TRICKY.length]!,
    },
  }));
  const dir = tempDir('gb-crash-');
  const manifest = join(dir, 'devices.csv');
  writeFileSync(
    manifest,
    'id,extensionAttribute1,extensionAttribute7\n' + devices.map((d, i) => `${d.id},${tag}-${i + 1},w${(i + 1) % 7}`).join('\n') + '\n',
  );
  const copy = () => JSON.parse(JSON.stringify(devices)) as Device[];
  return { initial: copy(), devices: copy, manifest, dir, rows: count };
}

/** Undoes graph-bulk's Excel guard the way its documentation states it (one apostrophe before `=+-@`, tab, CR or `'`). */
function unguard(cell: string): string {
  return /^'[=+\-@\t\r']/.test(cell) ? cell.slice(1) : cell;
}

/** The complete lines of the rollback manifests given (those that exist), each with its file. */
export function rollbackLines(paths: string[]): Array<{ file: string; id: string; values: Record<string, string> }> {
  const out: Array<{ file: string; id: string; values: Record<string, string> }> = [];
  for (const file of paths) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1); // cells of these fleets hold no line breaks
    if (complete === '') continue;
    for (const r of parse(complete, { columns: true, bom: true }) as Array<Record<string, string>>) {
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(r)) if (k !== 'rollbackOfRow' && k !== 'id' && v !== '') values[k] = unguard(v);
      out.push({ file, id: r.id!, values });
    }
  }
  return out;
}

/**
 * What is wrong with the rollback manifests of a chain: a device changed from its initial state
 * without exactly one line, or whose line does not hold its initial values (the clear token for an
 * attribute that was not set).
 * @returns one text per problem (empty when the rollback covers every changed device exactly).
 */
export function rollbackProblems(initial: Device[], now: Device[], paths: string[], clearToken = '#clear'): string[] {
  const lines = rollbackLines(paths);
  const byId = new Map<string, typeof lines>();
  for (const l of lines) byId.set(l.id, [...(byId.get(l.id) ?? []), l]);
  const nowById = new Map(now.map((d) => [d.id, d]));
  const problems: string[] = [];
  for (const d of initial) {
    const later = nowById.get(d.id)!;
    const changed = JSON.stringify(later.extensionAttributes) !== JSON.stringify(d.extensionAttributes);
    const mine = byId.get(d.id) ?? [];
    if (changed && mine.length !== 1) problems.push(`${d.id}: changed, ${mine.length} rollback lines`);
    for (const l of mine) {
      for (const [k, v] of Object.entries(l.values)) {
        const was = (d.extensionAttributes as Record<string, string | null>)[k];
        const expected = was === null || was === undefined ? clearToken : was;
        if (v !== expected) problems.push(`${d.id}: ${k} is ${JSON.stringify(v)} in ${l.file}, was ${JSON.stringify(expected)}`);
      }
    }
  }
  return problems;
}

/** Runs every rollback manifest given (that exists) against `emu`; returns each run's exit code and stderr. */
export async function runRollbacks(emu: Emulator, paths: string[]): Promise<Array<{ code: number | null; stderr: string }>> {
  const out: Array<{ code: number | null; stderr: string }> = [];
  for (const file of paths) {
    if (!existsSync(file)) continue;
    const r = await runCli(
      [
        'run',
        '--manifest',
        file,
        '--results',
        `${file}.undo.csv`,
        '--graph-url',
        emu.url,
        '--no-progress',
        '--allow-duplicates',
        '--retry-base-delay-ms',
        '20',
      ],
      { env: { GRAPH_ACCESS_TOKEN: emu.token } },
    );
    out.push({ code: r.code, stderr: r.stderr });
  }
  return out;
}

/** Every extension attribute value sent in a PATCH (single or inside `$batch`) that `emu` logged. */
export function sentValues(emu: Emulator): Array<string | null> {
  const out: Array<string | null> = [];
  const add = (body: unknown) => {
    const ea = (body as { extensionAttributes?: Record<string, string | null> } | undefined)?.extensionAttributes;
    if (ea) out.push(...Object.values(ea));
  };
  for (const r of emu.requests()) {
    if (r.viaBatch) continue;
    if (r.method === 'PATCH') add(r.body);
    else if (r.method === 'POST' && r.path.includes('$batch')) {
      for (const inner of (r.body as { requests?: Array<{ method?: string; body?: unknown }> } | undefined)?.requests ?? [])
        if (inner.method === 'PATCH') add(inner.body);
    }
  }
  return out;
}

/** The device state that matters here: everything, with the emulator's own bookkeeping of the same shape. */
export function inventory(devices: Device[]): Device[] {
  return [...devices].sort((a, b) => a.id.localeCompare(b.id));
}

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateInventory, type Device, type Emulator } from '../../src/emulator/index.js';
import { tempDir, type ResultLine } from './results.js';

/** A generated device inventory and a manifest with one row per device (two extension attributes each). */
export interface Fleet {
  devices: Device[];
  /** Path of the manifest (CSV). */
  manifest: string;
  /** Folder holding the manifest; results files go beside it. */
  dir: string;
  /** What row N (1-based, index N-1) sets on its device. */
  rows: Array<{ row: number; id: string; extensionAttribute1: string; extensionAttribute7: string }>;
}

/**
 * `count` generated devices and a manifest updating each once: extensionAttribute1 = `<tag>-<row>`
 * (unique, so a read-back proves which row reached the device), extensionAttribute7 = `w<row mod 7>`.
 * Extension attributes only, so app-only runs may change every device (docs/graph-behaviour.md §1).
 */
export function fleet(count: number, tag = 'v1', seed = 11): Fleet {
  const devices = generateInventory(count, seed);
  const dir = tempDir('gb-fleet-');
  const rows = devices.map((d, i) => ({
    row: i + 1,
    id: d.id,
    extensionAttribute1: `${tag}-${i + 1}`,
    extensionAttribute7: `w${(i + 1) % 7}`,
  }));
  const manifest = join(dir, 'devices.csv');
  writeFileSync(
    manifest,
    'id,extensionAttribute1,extensionAttribute7\n' +
      rows.map((r) => `${r.id},${r.extensionAttribute1},${r.extensionAttribute7}`).join('\n') +
      '\n',
  );
  return { devices, manifest, dir, rows };
}

/** Manifest rows whose device (read back from the emulator) does not hold the row's values. */
export function rowsNotApplied(emu: Emulator, f: Fleet): number[] {
  const byId = new Map(emu.devices().map((d) => [d.id, d]));
  return f.rows
    .filter((r) => {
      const ea = byId.get(r.id)?.extensionAttributes;
      return ea?.extensionAttribute1 !== r.extensionAttribute1 || ea?.extensionAttribute7 !== r.extensionAttribute7;
    })
    .map((r) => r.row);
}

const DEVICE_IN_PATH = /\/devices\/([0-9a-f-]{36})/i;

/**
 * Object ids of the devices whose PATCH (or, with `method: 'GET'`, whose read) reached the emulator,
 * once per request sent: a single request, or an entry in a `$batch` body (counted on arrival, whether
 * or not the batch was handled), lower case.
 */
export function sentIds(emu: Emulator, method: 'PATCH' | 'GET' = 'PATCH'): string[] {
  const out: string[] = [];
  const add = (path: unknown) => {
    const m = typeof path === 'string' ? DEVICE_IN_PATH.exec(path) : null;
    if (m) out.push(m[1]!.toLowerCase());
  };
  for (const r of emu.requests()) {
    if (r.viaBatch) continue;
    if (r.method === method) add(r.path);
    else if (r.method === 'POST' && r.path.includes('$batch')) {
      const requests = (r.body as { requests?: Array<{ method?: unknown; url?: unknown }> } | undefined)?.requests ?? [];
      for (const inner of requests) if (inner.method === method) add(inner.url);
    }
  }
  return out;
}

/**
 * The complete lines of a results CSV as a user would read them after a crash: everything up to the
 * last line break (the test manifests have no line breaks or quotes inside cells, so each line is one row).
 */
export function completeLines(path: string): ResultLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  if (complete === '') return [];
  return parse(complete, { columns: true }) as ResultLine[];
}

/** Row numbers that appear other than exactly once among `lines`, plus rows 1..n that are missing. */
export function notExactlyOnce(lines: ResultLine[], n: number): number[] {
  const seen = new Map<number, number>();
  for (const l of lines) seen.set(Number(l.row), (seen.get(Number(l.row)) ?? 0) + 1);
  const bad: number[] = [];
  for (let row = 1; row <= n; row++) if (seen.get(row) !== 1) bad.push(row);
  for (const row of seen.keys()) if (row < 1 || row > n) bad.push(row);
  return bad;
}

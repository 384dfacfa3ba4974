import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { jsonParseReason } from '../manifest/errors.js';
import { JobError } from './errors.js';

/** Job-file fields that hold paths: resolved relative to the job file's folder. */
const PATH_FIELDS = ['manifest', 'results'] as const;

/**
 * Reads a job file: a JSON object with the same option names as the flags, in camelCase
 * (see `jobOptionsSchema`). A job file is data only: no shell, no code, no variable expansion.
 * Relative paths in it (`manifest`, `results`, `emulator.devices`) are resolved against the job
 * file's folder, so a job runs the same from any working directory (cron).
 * @returns the raw fields with paths made absolute; validation happens with the merged options.
 * @throws {JobError} (exit 3) when the file cannot be read or is not a JSON object.
 */
export function loadJobFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new JobError(`cannot read job file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const clean = text.replace(/^\uFEFF/, '');
    const at = /position (\d+)/.exec((err as Error).message);
    let where = '';
    if (at) {
      const before = clean.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${Number(at[1]) - before.lastIndexOf('\n')}`;
    }
    throw new JobError(`job file ${path} is not valid JSON${where}: ${jsonParseReason(err)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new JobError(`job file ${path} must hold a JSON object of job options`);
  }
  const dir = dirname(resolve(path));
  const fields: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const f of PATH_FIELDS) {
    const value = fields[f];
    if (typeof value === 'string' && !isAbsolute(value)) {
      // keep a trailing slash: `results: "out/"` names a folder
      fields[f] = resolve(dir, value) + (/[\\/]$/.test(value) ? '/' : '');
    }
  }
  if (Array.isArray(fields.tenants)) {
    // each tenant's manifest and results, like the job's own, relative to the job file
    fields.tenants = fields.tenants.map((t: unknown) => {
      if (!t || typeof t !== 'object' || Array.isArray(t)) return t;
      const e = { ...(t as Record<string, unknown>) };
      for (const f of PATH_FIELDS) {
        const v = e[f];
        if (typeof v === 'string' && !isAbsolute(v)) e[f] = resolve(dir, v) + (/[\\/]$/.test(v) ? '/' : '');
      }
      return e;
    });
  }
  const emu = fields.emulator;
  if (emu && typeof emu === 'object' && !Array.isArray(emu)) {
    const e = { ...(emu as Record<string, unknown>) };
    if (typeof e.devices === 'string' && !isAbsolute(e.devices)) e.devices = resolve(dir, e.devices);
    fields.emulator = e;
  }
  return fields;
}

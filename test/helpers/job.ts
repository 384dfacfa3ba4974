import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { staticTokenSource, type TokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import type { JobOptionsInput } from '../../src/job/options.js';
import { planJob, runJob, type JobSummary } from '../../src/job/run-job.js';
import { caseDevices } from './paths.js';
import { readResults, tempDir, type ResultLine } from './results.js';

/** A writable that keeps what was written (the job's stderr). */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Object ids of devices in the cases' inventory (test/cases/devices.json). */
export const CASE_ID = {
  pc0: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
  pc1: '309d6b79-965e-4a32-9ae4-45508201e2bd',
  pc2: '2fa91425-cb00-4853-9d2c-67eda13ffe79',
  ios: 'e3eff9c0-cf44-4d3f-89e7-d15f17362f25',
  android: '73f778aa-f6fa-4db8-a56a-bd72fb710734',
  pc7: '320094ea-d7a9-4ded-9749-1e2370c6a5b8',
  pc8: '15c1d2df-a996-4aef-812d-0ea67ff12229',
} as const;

/** Everything a case test looks at after a run. */
export interface CaseRun {
  summary: JobSummary;
  rows: ResultLine[];
  emu: Emulator;
  stderr: string;
  resultsPath: string;
}

/** The cases' inventory, as a fresh array of device objects (to edit before seeding). */
export function caseInventory(): Array<Record<string, any>> {
  return (JSON.parse(readFileSync(caseDevices, 'utf8')) as { value: Array<Record<string, any>> }).value;
}

const started = new Set<Emulator>();

/** Stops every emulator {@link runAgainstEmulator} started; call it from `afterEach`. */
export async function stopEmulators(): Promise<void> {
  const all = [...started];
  started.clear();
  await Promise.all(all.map((e) => e.stop()));
}

/**
 * Runs a job in-process against a fresh emulator (seeded with the cases' devices unless
 * `emulator.devices` says otherwise) and reads its results file back.
 * Stop it with {@link stopEmulators} in afterEach.
 */
export async function runAgainstEmulator(
  job: Partial<JobOptionsInput> & { manifest: string },
  emulator: EmulatorOptions = {},
  tokenSource?: (emu: Emulator) => TokenSource,
): Promise<CaseRun> {
  const emu = await emulatorForTest(emulator);
  return runOn(emu, job, { tokenSource: tokenSource?.(emu) });
}

/**
 * Runs a job (or with `plan: true`, a plan) in-process against an emulator already running, e.g. a
 * second run on the state the first one left, and reads its results (or plan) file back.
 */
export async function runOn(
  emu: Emulator,
  job: Partial<JobOptionsInput> & { manifest: string },
  options: { plan?: boolean; tokenSource?: TokenSource } = {},
): Promise<CaseRun> {
  const resultsPath = join(tempDir(), 'results.csv');
  const stderr = new Capture();
  const summary = await (options.plan ? planJob : runJob)(
    { results: resultsPath, graphUrl: emu.url, progress: false, ...job },
    { tokenSource: options.tokenSource ?? staticTokenSource(emu.token), stderr },
  );
  return { summary, rows: readResults(resultsPath), emu, stderr: stderr.text, resultsPath };
}

/** Starts an emulator that {@link stopEmulators} stops (seeded with the cases' devices unless told otherwise). */
export async function emulatorForTest(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ devices: caseDevices, seed: 1, ...options });
  started.add(emu);
  return emu;
}

/** The PATCH requests (single or inside `$batch`) the emulator saw for one device path fragment. */
export function patchesFor(emu: Emulator, keyFragment: string) {
  return emu.requests().filter((r) => r.method === 'PATCH' && r.path.toLowerCase().includes(keyFragment.toLowerCase()));
}

/** All PATCH requests the emulator saw, single or inside `$batch`. */
export function allPatches(emu: Emulator) {
  return emu.requests().filter((r) => r.method === 'PATCH');
}

/**
 * Tokens issued by the emulator, like a credential's cache that never renews early: the same token
 * until Graph rejects it, then a fresh one (`forceRefresh`). `renewals` counts the fresh ones.
 */
export function emulatorTokens(emu: Emulator, description = 'test tokens from the emulator'): TokenSource & { renewals: number } {
  let current = emu.issueToken();
  const source = {
    description,
    renewals: 0,
    async getToken(o?: { forceRefresh?: boolean }) {
      if (o?.forceRefresh) {
        current = emu.issueToken();
        source.renewals++;
      }
      return current;
    },
  };
  return source;
}

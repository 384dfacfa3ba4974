/**
 * Helpers of the security tests: run a job in-process against an emulator the test owns (so that
 * the emulator can be inspected also when the job is refused), a token source that counts its calls,
 * and what a CLI run left on disk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenSource } from '../../src/auth/token-source.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { JobError } from '../../src/job/errors.js';
import type { JobOptionsInput } from '../../src/job/options.js';
import { runJob, type JobSummary } from '../../src/job/run-job.js';
import { Capture } from '../helpers/job.js';
import { caseDevices } from '../helpers/paths.js';
import { readResults, tempDir, type ResultLine } from '../helpers/results.js';

/** The cases' devices (test/cases/devices.json). */
export const ID = {
  pc0: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
  pc1: '309d6b79-965e-4a32-9ae4-45508201e2bd',
  pc2: '2fa91425-cb00-4853-9d2c-67eda13ffe79',
  pc7: '320094ea-d7a9-4ded-9749-1e2370c6a5b8',
  pc8: '15c1d2df-a996-4aef-812d-0ea67ff12229',
} as const;
export const DEVICE_ID = {
  pc0: '73ab4876-7734-47c1-87fd-e805ec99108d',
  pc1: '79cb9e86-830c-41c2-8dcc-69292f45e678',
  pc2: '244caf9c-4dab-4481-b253-edc618187993',
  pc7: '4b4d8474-a3ea-484d-bbd0-334684e55160',
} as const;

/** A token source that counts how often a token was asked for. */
export function countingTokenSource(token: string): TokenSource & { calls: number } {
  const source = {
    calls: 0,
    description: 'test token',
    async getToken() {
      source.calls++;
      return token;
    },
  };
  return source;
}

/** What a job run left behind: its summary or the JobError that refused it, and what a user reads. */
export interface JobRun {
  summary?: JobSummary;
  error?: JobError;
  rows: ResultLine[];
  stderr: string;
  resultsPath: string;
  tokens: ReturnType<typeof countingTokenSource>;
}

/** A fresh emulator seeded with the cases' devices; the caller stops it. */
export function caseEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ devices: caseDevices, seed: 1, ...options });
}

/**
 * Runs a job in-process against `emu` (graphUrl = the emulator unless the job names another),
 * with a counting token source; results in a fresh folder unless the job names a file (`rows` are
 * read back from a CSV results file). A JobError is returned, not thrown; any other error fails the test.
 */
export async function runJobOn(emu: Emulator, job: Partial<JobOptionsInput> & { manifest: string }): Promise<JobRun> {
  const resultsPath = job.results ?? join(tempDir(), 'results.csv');
  const rows = () => (resultsPath.endsWith('.csv') && existsSync(resultsPath) ? readResults(resultsPath) : []);
  const stderr = new Capture();
  const tokens = countingTokenSource(emu.token);
  try {
    const summary = await runJob({ graphUrl: emu.url, progress: false, ...job, results: resultsPath }, { tokenSource: tokens, stderr });
    return { summary, rows: rows(), stderr: stderr.text, resultsPath, tokens };
  } catch (err) {
    if (!(err instanceof JobError)) throw err;
    return { error: err, rows: rows(), stderr: stderr.text, resultsPath, tokens };
  }
}

/** Paths of the PATCH requests the emulator saw (outer `/v1.0/devices/…`, or inner `$batch` urls). */
export function patchPaths(emu: Emulator): string[] {
  return emu
    .requests()
    .filter((r) => r.method === 'PATCH')
    .map((r) => r.path);
}

/** Every file under `dir` (recursively), with its text. */
export function filesUnder(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, text: readFileSync(path, 'latin1') });
  }
  return out;
}

/** A stack trace line as Node prints them (`    at fn (file.js:1:2)`). */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

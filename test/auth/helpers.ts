/** Helpers for the sign-in tests: graph-bulk run as a child process against the emulator's Entra and Graph. */
import { expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateInventory, startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { readResults, tempDir, type ResultLine } from '../helpers/results.js';

/** What a finished `graph-bulk run` process left. */
export interface SignInRun extends CliRun {
  /** Results file rows (empty when no results file was written). */
  rows: ResultLine[];
  /** The results file's text ('' when absent). */
  resultsText: string;
  /** Wall time of the process in ms. */
  wallMs: number;
}

/**
 * Starts an emulator with Graph and Entra over https and `count` generated devices.
 * The caller stops it.
 */
export async function startSecureEmulator(count: number, options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ devices: generateInventory(count, 7), https: true, entra: true, writeBudget: false, ...options });
}

/** A manifest setting extensionAttribute1 to `value` on `count` of the emulator's devices from
 * `offset` on; returns its path and the ids. */
export function manifestFor(emu: Emulator, count: number, value = 'signed-in', offset = 0): { path: string; ids: string[] } {
  const ids = emu
    .devices()
    .slice(offset, offset + count)
    .map((d) => d.id);
  const path = join(tempDir('gb-auth-'), 'manifest.csv');
  writeFileSync(path, `id,extensionAttribute1\n${ids.map((id) => `${id},${value}`).join('\n')}\n`);
  return { path, ids };
}

/**
 * Runs `graph-bulk run --manifest <manifest> --results <tmp> --graph-url <emu.url> --no-progress …args`
 * as a process, with NODE_EXTRA_CA_CERTS set to the emulator's CA and `env` added to an
 * environment without sign-in variables (see {@link runCli}).
 */
export async function runSignedIn(emu: Emulator, manifest: string, args: string[], env: Record<string, string>): Promise<SignInRun> {
  const resultsPath = join(tempDir('gb-auth-results-'), 'results.csv');
  const started = Date.now();
  const run = await runCli(['run', '--manifest', manifest, '--results', resultsPath, '--graph-url', emu.url, '--no-progress', ...args], {
    env: { NODE_EXTRA_CA_CERTS: emu.caPath!, ...env },
    timeoutMs: 30_000,
  });
  const exists = existsSync(resultsPath);
  return {
    ...run,
    rows: exists ? readResults(resultsPath) : [],
    resultsText: exists ? readFileSync(resultsPath, 'utf8') : '',
    wallMs: Date.now() - started,
  };
}

/** The Graph PATCHes (single or inside `$batch`) the emulator saw. */
export function graphPatches(emu: Emulator) {
  return emu.requests().filter((r) => r.method === 'PATCH');
}

/** Asserts exit 0, every row `updated`, and every device carrying `value` in extensionAttribute1. */
export function expectAllUpdated(emu: Emulator | undefined, run: SignInRun, ids: string[], value = 'signed-in'): void {
  expect(run.stderr).not.toMatch(/sign-in failed/);
  expect(run.code).toBe(0);
  expect(run.rows).toHaveLength(ids.length);
  expect(run.rows.map((r) => r.outcome)).toEqual(ids.map(() => 'updated'));
  for (const id of ids) expect(emu!.getDevice(id)!.extensionAttributes.extensionAttribute1).toBe(value);
}

/** The Entra requests that issue tokens (token endpoint and managed-identity endpoint). */
export const tokenRequests = (emu: Emulator) =>
  emu.entra!.requests().filter((r) => r.endpoint === 'token' || r.endpoint === 'managed-identity');

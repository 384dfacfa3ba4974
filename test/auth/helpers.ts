/** Helpers for the sign-in tests: graph-bulk run as a child process against the emulator's Entra and Graph. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateInventory, startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { cliPath } from '../helpers/paths.js';
import { readResults, tempDir, type ResultLine } from '../helpers/results.js';

/** What a finished `graph-bulk run` process left. */
export interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Results file rows (empty when no results file was written). */
  rows: ResultLine[];
  /** The results file's text ('' when absent). */
  resultsText: string;
  /** Wall time of the process in ms. */
  wallMs: number;
}

/** Variables a developer's shell may hold that would change how the child signs in. */
const SIGN_IN_VARIABLES = /^(AZURE_|GRAPH_ACCESS_TOKEN$|IDENTITY_|MSI_|IMDS_|NODE_EXTRA_CA_CERTS$)/;

/**
 * Starts an emulator with Graph and Entra over https and `count` generated devices.
 * The caller stops it.
 */
export async function startSecureEmulator(count: number, options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ devices: generateInventory(count, 7), https: true, entra: true, writeBudget: false, ...options });
}

/** A manifest setting extensionAttribute1 of the emulator's first `count` devices; returns its path and the ids. */
export function manifestFor(emu: Emulator, count: number, value = 'signed-in'): { path: string; ids: string[] } {
  const ids = emu.devices().slice(0, count).map((d) => d.id);
  const path = join(tempDir('gb-auth-'), 'manifest.csv');
  writeFileSync(path, `id,extensionAttribute1\n${ids.map((id) => `${id},${value}`).join('\n')}\n`);
  return { path, ids };
}

/**
 * Runs `node dist/cli/main.js run --manifest <manifest> --results <tmp> --graph-url <emu.url> --no-progress …args`
 * with NODE_EXTRA_CA_CERTS set to the emulator's CA and `env` added to a copy of this process's
 * environment from which every sign-in variable was removed.
 */
export function runCli(emu: Emulator, manifest: string, args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliRun> {
  const resultsPath = join(tempDir('gb-auth-results-'), 'results.csv');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SIGN_IN_VARIABLES.test(k)));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cliPath, 'run', '--manifest', manifest, '--results', resultsPath, '--graph-url', emu.url, '--no-progress', ...args],
      { env: { ...base, NODE_EXTRA_CA_CERTS: emu.caPath!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const exists = existsSync(resultsPath);
      resolve({
        exitCode,
        stdout,
        stderr,
        rows: exists ? readResults(resultsPath) : [],
        resultsText: exists ? readFileSync(resultsPath, 'utf8') : '',
        wallMs: Date.now() - started,
      });
    });
  });
}

/** The Graph PATCHes (single or inside `$batch`) the emulator saw. */
export function graphPatches(emu: Emulator) {
  return emu.requests().filter((r) => r.method === 'PATCH');
}

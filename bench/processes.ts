/**
 * Process plumbing of the bench: the emulator in its own forked process, and contenders run as
 * separate, probed processes (wall time from spawn to exit; CPU and peak RSS from {@link ProbeReport}).
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmulatorProcessMessage, EmulatorProcessOptions } from './emulator-process.js';
import type { ProbeReport } from './probe.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Compiled entry points used by the bench: graph-bulk's own build (`dist/`, what the package ships)
 * and the bench's (`dist-bench/bench/`, built by tsconfig.bench.json). */
export const ENTRY = {
  cli: join(here, '..', '..', 'dist', 'cli', 'main.js'),
  peers: join(here, 'peers.js'),
  emulator: join(here, 'emulator-process.js'),
  probe: join(here, 'probe.js'),
};

/** A contender process run to completion. */
export interface ProcessRun {
  /** Spawn to exit, seconds. */
  wallS: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Resource usage the process reported at exit (absent if it died before). */
  probe?: ProbeReport;
}

/**
 * Runs `node --import probe.js <args>` to completion.
 * @param args node arguments after the preload (script and its arguments).
 * @param env extra environment variables.
 * @param probeFile where the probe writes its report (deleted after reading); the process's stderr
 *   goes beside it (`….stderr.log`, kept with the bench's `--keep`).
 */
export async function runProbed(args: string[], env: Record<string, string>, probeFile: string): Promise<ProcessRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', ENTRY.probe, ...args], {
    env: { ...process.env, ...env, GRAPH_BULK_BENCH_PROBE: probeFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const log = createWriteStream(probeFile.replace(/\.json$/, '.stderr.log'));
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-20_000);
    log.write(s);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  log.end();
  const wallS = (performance.now() - started) / 1000;
  let probe: ProbeReport | undefined;
  try {
    probe = JSON.parse(readFileSync(probeFile, 'utf8')) as ProbeReport;
    rmSync(probeFile, { force: true });
  } catch {
    probe = undefined;
  }
  return { wallS, exitCode: code ?? -1, stdout, stderr, probe };
}

/** The emulator process as the bench drives it. */
export interface EmulatorHandle {
  url: string;
  token: string;
  /** App-only tokens of the other tenants asked for (`tenantIds`), by tenant id. */
  tenantTokens: Record<string, string>;
  /** Counters and how many manifest devices carry the manifest's value now. */
  report(): Promise<Extract<EmulatorProcessMessage, { type: 'report' }>>;
  stop(): Promise<void>;
}

/**
 * Forks the emulator process and waits until it listens.
 * @throws Error when the process exits before it is ready.
 */
export async function startEmulatorProcess(options: EmulatorProcessOptions): Promise<EmulatorHandle> {
  const child = fork(ENTRY.emulator, [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // A 1,000,000-device inventory needs more than the default heap.
    execArgv: ['--max-old-space-size=8192'],
  });
  const exited = once(child, 'exit');
  const ready = await Promise.race([
    new Promise<EmulatorProcessMessage>((resolve) => child.once('message', (m) => resolve(m as EmulatorProcessMessage))),
    exited.then(() => undefined),
  ]);
  if (!ready || ready.type !== 'ready') throw new Error('the emulator process exited before it was ready');
  return {
    url: ready.url,
    token: ready.token,
    tenantTokens: ready.tenantTokens,
    report: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as Extract<EmulatorProcessMessage, { type: 'report' }>));
        child.send({ type: 'report' });
      }),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath, repoRoot } from './paths.js';

/** Variables a developer's shell may hold that would change how the child signs in (or, REDIS_URL, whose budget it spends). */
const SIGN_IN_VARIABLES = /^(AZURE_|GRAPH_ACCESS_TOKEN$|IDENTITY_|MSI_|IMDS_|NODE_EXTRA_CA_CERTS$|REDIS_URL$)/;

/** What a finished CLI process left behind. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The test's environment minus every sign-in variable, plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !SIGN_IN_VARIABLES.test(k)) env[k] = v;
  }
  return Object.assign(env, extra);
}

/**
 * Runs `node dist/cli/main.js <args>` as a child process (asynchronously, so an emulator in this
 * process keeps serving). The environment is the test's minus every sign-in variable
 * (GRAPH_ACCESS_TOKEN, AZURE_*, the managed-identity IDENTITY_* / MSI_* / IMDS_*, NODE_EXTRA_CA_CERTS) and REDIS_URL, plus `env`.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const env = cliEnv(options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A `graph-bulk` process started by {@link startCli}, to be signalled or killed while it runs. */
export interface CliProcess {
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Resolves when it has exited (and its stderr is read): its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/cli/main.js <args>` and returns at once, with the environment of {@link runCli}.
 * `fileSizeLimitKb` runs it under `ulimit -f` (bash), so writing past that size fails with EFBIG, as a
 * full disk would fail with ENOSPC; no root needed.
 */
export function startCli(args: string[], env: Record<string, string> = {}, fileSizeLimitKb?: number): CliProcess {
  const [command, argv] =
    fileSizeLimitKb === undefined
      ? [process.execPath, [cliPath, ...args]]
      : ['bash', ['-c', `ulimit -f ${fileSizeLimitKb} && exec "$0" "$@"`, process.execPath, cliPath, ...args]];
  const child = spawn(command, argv, { cwd: repoRoot, env: cliEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

/** Waits until `condition()` holds, checking every `stepMs`; throws after `timeoutMs` naming `what`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 20_000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

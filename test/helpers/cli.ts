import { spawn } from 'node:child_process';
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

/**
 * Runs `node dist/cli/main.js <args>` as a child process (asynchronously, so an emulator in this
 * process keeps serving). The environment is the test's minus every sign-in variable
 * (GRAPH_ACCESS_TOKEN, AZURE_*, the managed-identity IDENTITY_* / MSI_* / IMDS_*, NODE_EXTRA_CA_CERTS) and REDIS_URL, plus `env`.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !SIGN_IN_VARIABLES.test(k)) env[k] = v;
  }
  Object.assign(env, options.env);
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

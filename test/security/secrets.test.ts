/**
 * Secrets never reach an output (issue 6): graph-bulk runs as a process with a known bearer token,
 * a known client secret and a known certificate password in its environment — a clean run, a JSON-log
 * run, a run whose server errors echo the Authorization header and the secrets, a run of 401s, and
 * sign-in failures with @azure/identity's verbose logging on — and every byte it wrote (stdout,
 * stderr, results files and anything else in its folder) is searched for them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { tempDir } from '../helpers/results.js';
import { caseEmulator, filesUnder, ID, STACK_LINE } from './helpers.js';

const TOKEN = 'gbk6-KNOWN-TOKEN-7f3a9c2e51d84b06';
const CLIENT_SECRET = 'gbk6~CLIENT~SECRET~9d8c7b6a5f4e';
const CERT_PASSWORD = 'gbk6-CERT-PASSWORD-31415926';
const SECRETS = [TOKEN, CLIENT_SECRET, CERT_PASSWORD, '7f3a9c2e51d84b06', '9d8c7b6a5f4e', '31415926'];

const AZURE = {
  AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AZURE_CLIENT_ID: '3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d',
  AZURE_CLIENT_SECRET: CLIENT_SECRET,
  AZURE_CLIENT_CERTIFICATE_PASSWORD: CERT_PASSWORD,
};

/** What the server echoes back in every error: the header, the bare token, the secrets. */
const ECHO =
  `Request rejected. Authorization: Bearer ${TOKEN}\n` +
  `{"authorization": "Bearer ${TOKEN}", "client_secret": "${CLIENT_SECRET}"} token=${TOKEN} raw ${TOKEN} ` +
  `secret ${CLIENT_SECRET} password ${CERT_PASSWORD} client_secret=${CLIENT_SECRET}&x=1`;

interface Scenario {
  name: string;
  args: (urls: { ok: string; echo: string; revoked: string }) => string[];
  env: Record<string, string>;
  exit: number;
  check?: (run: CliRun, files: Array<{ path: string; text: string }>) => void;
}

const scenarios: Scenario[] = [
  {
    name: 'success, text log',
    // --send-all: both success runs write to one emulator side by side; without it, the later one
    // could find the rows already at their values (unchanged)
    args: (u) => ['--graph-url', u.ok, '--send-all'],
    env: { GRAPH_ACCESS_TOKEN: TOKEN, ...AZURE },
    exit: 1, // one invalid row
    check: (run) => expect(run.stderr).toMatch(/updated 2/),
  },
  {
    name: 'success, JSON log',
    args: (u) => ['--graph-url', u.ok, '--log-format', 'json', '--mode', 'single', '--send-all'],
    env: { GRAPH_ACCESS_TOKEN: ` ${TOKEN}\n`, ...AZURE },
    exit: 1,
    check: (run) => expect(run.stderr).toMatch(/"updated":2/),
  },
  {
    name: 'server errors echoing the Authorization header and the secrets',
    args: (u) => ['--graph-url', u.echo, '--log-format', 'json'],
    env: { GRAPH_ACCESS_TOKEN: TOKEN, ...AZURE },
    exit: 1,
    check: (_, files) => {
      const results = files.find((f) => f.path.endsWith('results.csv'))!.text;
      expect(results).toContain('Request rejected. Authorization: <redacted>'); // the echo arrived, redacted
      expect(results).toMatch(/failed,400,BadRequest/);
    },
  },
  {
    name: '401 for every request (token revoked)',
    args: (u) => ['--graph-url', u.revoked, '--mode', 'single'],
    env: { GRAPH_ACCESS_TOKEN: TOKEN, ...AZURE },
    // Every row attempted failed on auth: the auth stop, also for a run shorter than its threshold (issue 15).
    exit: 2,
    check: (_, files) => expect(files.find((f) => f.path.endsWith('results.csv'))!.text).toMatch(/failed,401,InvalidAuthenticationToken/),
  },
  {
    name: 'client-secret sign-in against an unreachable authority, verbose @azure/identity logging, JSON log',
    args: () => ['--auth', 'client-secret', '--authority-host', 'https://127.0.0.1:1', '--log-format', 'json'],
    env: { ...AZURE, AZURE_LOG_LEVEL: 'verbose' },
    exit: 3,
    check: (run) => expect(run.stderr).toMatch(/sign-in failed \(@azure\/identity client-secret\)/),
  },
  {
    name: 'client-certificate sign-in with a password and a broken certificate, verbose logging',
    args: () => ['--auth', 'client-certificate'],
    env: { ...AZURE, AZURE_CLIENT_CERTIFICATE_PATH: 'cert.pem', AZURE_LOG_LEVEL: 'verbose' },
    exit: 3,
    check: (run) => expect(run.stderr).toMatch(/sign-in failed \(@azure\/identity client-certificate\)/),
  },
];

const emulators: Emulator[] = [];
const runs = new Map<string, { run: CliRun; files: Array<{ path: string; text: string }> }>();

beforeAll(async () => {
  const ok = await caseEmulator({ token: TOKEN });
  const echo = await caseEmulator({ token: TOKEN, forceError: { status: 400, code: 'BadRequest', message: ECHO } });
  const revoked = await caseEmulator({ token: TOKEN });
  revoked.revokeTokens();
  emulators.push(ok, echo, revoked);
  const urls = { ok: ok.url, echo: echo.url, revoked: revoked.url };
  // The runs are independent processes: run them side by side.
  await Promise.all(
    scenarios.map(async (s) => {
      const dir = tempDir();
      writeFileSync(join(dir, 'm.csv'), `id,extensionAttribute1\n${ID.pc0},a\n${ID.pc1},b\nnot-a-guid,c\n`);
      writeFileSync(join(dir, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
      const run = await runCli(['run', '--manifest', 'm.csv', '-o', 'out/results.csv', '--no-progress', ...s.args(urls)], {
        cwd: dir,
        env: s.env,
        timeoutMs: 30_000,
      });
      runs.set(s.name, { run, files: filesUnder(dir) });
    }),
  );
}, 40_000);

afterAll(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

describe('no secret in any output', () => {
  for (const s of scenarios) {
    it(s.name, () => {
      const { run, files } = runs.get(s.name)!;
      expect(run.code, run.stderr).toBe(s.exit);
      expect(run.stderr).not.toMatch(STACK_LINE);
      const outputs = [
        { path: 'stdout', text: run.stdout },
        { path: 'stderr', text: run.stderr },
        ...files.filter((f) => !f.path.endsWith('m.csv') && !f.path.endsWith('cert.pem')),
      ];
      for (const out of outputs) {
        for (const secret of SECRETS) expect(out.text.includes(secret), `${secret} in ${out.path}`).toBe(false);
        expect(out.text).not.toMatch(/Bearer (?!<redacted>)\S/i);
      }
      s.check?.(run, files);
    });
  }
});

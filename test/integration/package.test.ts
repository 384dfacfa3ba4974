/**
 * graph-bulk installs like a tool: the packed tarball (what `npm publish` would upload) installs
 * globally into a temporary prefix and runs `graph-bulk --version` and `graph-bulk demo` from a folder
 * outside the repository; and the Dockerfile's runtime stage — its own RUN commands, run here outside
 * Docker — gives the same working `graph-bulk` with production dependencies only.
 *
 * Installs resolve from the npm cache that `npm ci` filled (`--prefer-offline`); `npm test` builds dist/
 * first, so the pack skips the `prepare` build (`--ignore-scripts`) instead of rebuilding under the other tests.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { readResults, tempDir } from '../helpers/results.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` through the shell (as a Dockerfile RUN line or a user's terminal would). */
function sh(command: string, options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: options.cwd, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment that puts `<prefix>/bin` first on PATH and sends global installs to `prefix`. */
const prefixEnv = (prefix: string): Record<string, string> => ({
  PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
  NPM_CONFIG_PREFIX: prefix,
  NPM_CONFIG_PREFER_OFFLINE: 'true',
  NPM_CONFIG_UPDATE_NOTIFIER: 'false',
});

/** Runs the demo with the installed `graph-bulk` from an empty folder; checks every row is updated. */
async function demoFromElsewhere(env: Record<string, string>): Promise<void> {
  const elsewhere = tempDir('gb-elsewhere-');
  const r = await sh('graph-bulk demo --no-progress', { cwd: elsewhere, env });
  expect(r.code, r.stderr).toBe(0);
  const results = readdirSync(join(elsewhere, 'results')).filter((f) => /^demo-.*Z\.csv$/.test(f));
  expect(results).toHaveLength(1);
  const rows = readResults(join(elsewhere, 'results', results[0]!));
  expect(rows).toHaveLength(1500);
  expect(rows.filter((x) => x.outcome !== 'updated')).toEqual([]);
}

let tarball = '';
let packed: string[] = [];

beforeAll(async () => {
  const dir = tempDir('gb-pack-');
  const r = await sh(`npm pack --ignore-scripts --json --pack-destination "${dir}"`, { cwd: repoRoot });
  expect(r.code, r.stderr).toBe(0);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info!.filename);
  packed = info!.files.map((f) => f.path);
}, 120_000);

describe('the package', () => {
  it('holds the build, the demo job and its manifest, the documents the README links, and no sources, tests, bench or 5 MB inventory', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/cli/main.js',
        'dist/index.js',
        'jobs/demo.json',
        'fixtures/demo-manifest.csv',
      ]),
    );
    expect(packed.filter((p) => /^(src|test|bench|dist-bench|scripts)\//.test(p) || p === 'fixtures/devices-5000.json')).toEqual([]);
  });

  it('npm install -g <tarball> into a temporary prefix: graph-bulk --version and graph-bulk demo work from another folder', async () => {
    const prefix = tempDir('gb-prefix-');
    const env = prefixEnv(prefix);
    const install = await sh(`npm install --global --no-audit --no-fund "${tarball}"`, { cwd: tempDir(), env });
    expect(install.code, install.stderr).toBe(0);
    const v = await sh('graph-bulk --version', { cwd: tempDir(), env });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toBe(`${version}\n`);
    await demoFromElsewhere(env);
  }, 300_000);

  it('a git install builds through prepare: npm pack git+file://<this repository>#<HEAD> gives a tarball that installs and runs', async () => {
    const head = await sh('git rev-parse HEAD', { cwd: repoRoot });
    expect(head.code, head.stderr).toBe(0);
    const dir = tempDir('gb-git-');
    // npm clones the commit, installs its dev dependencies, runs prepare (the build) and packs; a global
    // install straight from git skips the dev dependencies (npm/cli#8440), so the README packs first.
    const pack = await sh(`npm pack --json "git+file://${repoRoot}#${head.stdout.trim()}"`, { cwd: dir, timeoutMs: 540_000 });
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    expect(info!.files.map((f) => f.path)).toContain('dist/cli/main.js');
    const prefix = tempDir('gb-git-prefix-');
    const env = prefixEnv(prefix);
    const install = await sh(`npm install --global --no-audit --no-fund "${join(dir, info!.filename)}"`, { cwd: dir, env });
    expect(install.code, install.stderr).toBe(0);
    const v = await sh('graph-bulk --version', { cwd: tempDir(), env });
    expect(v.stdout).toBe(`${version}\n`);
  }, 600_000); // installs every dev dependency from the npm cache: minutes on a loaded machine

  it("the Dockerfile's runtime stage, run outside Docker: production install of the tarball, non-root, entrypoint graph-bulk", async () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const runtime = stages.at(-1)!;
    expect(stages.length).toBeGreaterThanOrEqual(2); // a build stage with the dev dependencies before it
    expect(runtime).toMatch(/^node:20[\w.-]*-slim\b/);
    expect(runtime).toMatch(/^USER (?!root\b)\S+/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["graph-bulk"\]/m);
    expect(runtime).toMatch(/--omit=dev/);
    // The stage's files: the tarball copied from the build stage under the name its RUN lines use.
    const copy = /^COPY --from=\S+ \S*\/([\w.-]+\.tgz) (\S+)$/m.exec(runtime);
    expect(copy, 'COPY of the tarball from the build stage').not.toBeNull();
    const workdir = tempDir('gb-image-');
    copyFileSync(tarball, join(workdir, copy![1]!));
    const prefix = tempDir('gb-image-prefix-');
    const env = { ...prefixEnv(prefix), NODE_ENV: 'production' };
    const runs = [...runtime.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]!.replace(/--mount=\S+\s+/g, ''));
    expect(runs.length).toBeGreaterThan(0);
    for (const command of runs) {
      const r = await sh(command, { cwd: workdir, env });
      expect(r.code, `${command}\n${r.stderr}`).toBe(0);
    }
    // production dependencies only: none of the dev dependencies (TypeScript, vitest, the Graph SDK, …) installed
    const installed = join(prefix, 'lib', 'node_modules', 'graph-bulk', 'node_modules');
    const { devDependencies, dependencies } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    expect(Object.keys(devDependencies!).filter((d) => existsSync(join(installed, d)))).toEqual([]);
    expect(Object.keys(dependencies!).filter((d) => !existsSync(join(installed, d)))).toEqual([]);
    const v = await sh('graph-bulk --version', { cwd: workdir, env });
    expect(v.stdout).toBe(`${version}\n`);
    await demoFromElsewhere(env);
  }, 300_000);
});

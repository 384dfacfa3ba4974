/**
 * `graph-bulk --version` and `--help` start without yargs, zod, @azure/identity or the emulator (the
 * timing itself is `npm run bench:startup`'s business): a resolve hook records every module the
 * process loads from node_modules or src/emulator.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/results.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs the built CLI with a resolve hook; returns its output and the modules it loaded (file URLs). */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const dir = tempDir();
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, cliPath, ...args], { encoding: 'utf8', cwd: dir });
  const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

const heavy = (urls: string[]) => urls.filter((u) => u.includes('/node_modules/') || u.includes('/emulator/'));

describe('graph-bulk start-up', () => {
  it("--version prints the package's version and loads no library", () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(heavy(r.loaded)).toEqual([]);
  });

  it('--help lists every command and loads no library', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`graph-bulk ${c.usage}`);
    expect(heavy(r.loaded)).toEqual([]);
  });

  it("a command's --help loads what that command needs, and no other command's modules", () => {
    const run = cli(['run', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--batch-size');
    expect(run.loaded.some((u) => u.includes('/node_modules/yargs/'))).toBe(true);
    expect(run.loaded.some((u) => u.includes('/node_modules/zod/'))).toBe(true);
    expect(heavy(run.loaded).filter((u) => u.includes('/emulator/') || u.includes('@azure/identity'))).toEqual([]);
    const emu = cli(['emulator', '--help']);
    expect(emu.status).toBe(0);
    expect(emu.stdout).toContain('--rate-503');
    expect(emu.loaded.filter((u) => u.includes('@azure/identity') || u.includes('/job/run-job.js'))).toEqual([]);
  });

  it('no command, or an unknown one: exit 3 naming the commands', () => {
    const none = cli([]);
    expect(none.status).toBe(3);
    expect(none.stderr).toContain(`Name a command: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const unknown = cli(['frobnicate']);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toContain('Unknown command: frobnicate');
  });
});

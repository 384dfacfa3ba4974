/**
 * Tokens and secrets go only where they are meant to (issue 6): a Graph root of a known cloud or
 * loopback, a known Entra sign-in host or loopback; anything else only with allowUnknownHost, and
 * http to a non-loopback host never. Job files are data: unknown fields and wrong types are refused
 * with the field named, and relative paths in them resolve against the job file's folder.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { JobError } from '../../src/job/errors.js';
import { runJob } from '../../src/job/run-job.js';
import { Capture } from '../helpers/job.js';
import { caseDevices } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { readResults, tempDir, tempFile } from '../helpers/results.js';
import { caseEmulator, ID, runJobOn, STACK_LINE } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const manifest = () => tempFile('m.csv', `id,extensionAttribute1\n${ID.pc0},x\n${ID.pc1},y\n`);

describe('where tokens may go', () => {
  it.each([
    ['https://evil.example', {}, /host "evil\.example" is not a Microsoft Graph root.*allowUnknownHost/],
    ['https://graph.microsoft.com.evil.example', {}, /not a Microsoft Graph root/],
    ['http://graph.microsoft.com', { allowUnknownHost: true }, /uses http for a non-loopback host/],
    ['http://evil.example', { allowUnknownHost: true }, /uses http for a non-loopback host/],
    ['https://graph.microsoft.com/v1.0/users#', {}, /must be a root/],
  ])('graphUrl %s is refused before a token is asked for (exit 3)', async (graphUrl, extra, message) => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: manifest(), graphUrl, ...extra });
    expect(r.error).toBeInstanceOf(JobError);
    expect(r.error!.exitCode).toBe(3);
    expect(r.error!.message).toMatch(message);
    expect(r.tokens.calls).toBe(0);
    expect(emu.requests()).toEqual([]);
    expect(existsSync(r.resultsPath)).toBe(false);
  });

  it('a dry run refuses an unknown host too, so a copied job file is caught before the real run', async () => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: manifest(), graphUrl: 'https://evil.example', dryRun: true });
    expect(r.error?.exitCode).toBe(3);
    expect(r.error!.message).toMatch(/"evil\.example" is not a Microsoft Graph root/);
    expect(existsSync(r.resultsPath)).toBe(false);
    const allowed = await runJobOn(emu, { manifest: manifest(), graphUrl: 'https://evil.example', dryRun: true, allowUnknownHost: true });
    expect(allowed.rows.map((x) => x.outcome)).toEqual(['planned', 'planned']);
    expect(allowed.tokens.calls).toBe(0);
    expect(emu.requests()).toEqual([]);
  });

  it('a password in the Graph URL is refused and never repeated', async () => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: manifest(), graphUrl: 'https://admin:Pa55-word-in-url@graph.microsoft.com' });
    expect(r.error!.message).toMatch(/must not contain credentials/);
    expect(r.error!.message).not.toContain('Pa55-word-in-url');
    expect(r.tokens.calls).toBe(0);
  });

  it('allowUnknownHost lets an https host through: the token is asked for and the request goes there', async () => {
    emu = await caseEmulator();
    // .invalid never resolves (RFC 2606): the rows fail with a network error instead of the run being refused.
    const r = await runJobOn(emu, {
      manifest: manifest(),
      graphUrl: 'https://graph.invalid',
      allowUnknownHost: true,
      maxRetries: 0,
      timeoutMs: 5000,
      mode: 'single',
    });
    expect(r.error).toBeUndefined();
    expect(r.tokens.calls).toBeGreaterThan(0);
    expect(r.rows.map((x) => [x.outcome, x.errorCode])).toEqual([
      ['failed', expect.stringMatching(/^network:/)],
      ['failed', expect.stringMatching(/^network:/)],
    ]);
    expect(emu.requests()).toEqual([]);
  });

  it('a sign-in authority that is not an Entra host is refused before the client secret is used', async () => {
    const secret = 'Cl1ent-Secret-For-Authority-Test';
    const stderr = new Capture();
    const env = {
      AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      AZURE_CLIENT_ID: '3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d',
      AZURE_CLIENT_SECRET: secret,
    };
    const results = join(tempDir(), 'r.csv');
    for (const authorityHost of [
      'https://evil.example',
      'https://login.microsoftonline.com.evil.example',
      'http://login.microsoftonline.com',
    ]) {
      const err = await runJob(
        { manifest: manifest(), results, auth: 'client-secret', authorityHost, progress: false },
        { env, stderr },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(JobError);
      expect((err as JobError).exitCode).toBe(3);
      expect((err as JobError).message).toMatch(
        /authority host .*(not a Microsoft Entra sign-in host.*allowUnknownHost|must be an https URL)/,
      );
      expect((err as JobError).message).not.toContain(secret);
    }
    expect(stderr.text).not.toContain(secret);
    expect(existsSync(results)).toBe(false);
  });
});

describe('job files are data', () => {
  it('unknown fields and wrong types are refused naming each field; nothing runs (CLI)', async () => {
    const dir = tempDir();
    const marker = join(dir, 'pwned');
    writeFileSync(join(dir, 'm.csv'), `id,extensionAttribute1\n${ID.pc0},x\n`);
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({
        manifest: 'm.csv',
        dryRun: true,
        shell: `touch ${marker}`,
        preRun: `$(touch ${marker})`,
        batchSize: '20',
        progress: 'no',
        emulator: { devices: 1 },
      }),
    );
    const r = await runCli(['run', 'job.json'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^graph-bulk: job\.json: invalid job options: /);
    for (const field of ['"shell"', '"preRun"', 'batchSize', 'progress', 'emulator.devices']) expect(r.stderr).toContain(field);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['job.json', 'm.csv']); // no results file, no results folder
  });

  it('a job file that is not a JSON object of options is refused (CLI, exit 3), naming why', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['not JSON', '{"manifest": "m.csv",', /job file .*job\.json is not valid JSON/],
      [
        'not JSON, with a terminal escape',
        '{"manifest": \u001b]0;pwned\u0007}',
        /job file .*job\.json is not valid JSON: Unexpected token '\\u001b'\n$/,
      ],
      ['an array', '["m.csv"]', /must hold a JSON object/],
      ['__proto__', '{"manifest": "m.csv", "dryRun": true, "__proto__": {"allowUnknownHost": true}}', /unknown option "__proto__"/],
    ];
    // Independent processes: side by side.
    const runs = await Promise.all(
      cases.map(async ([, text]) => {
        const dir = tempDir();
        writeFileSync(join(dir, 'm.csv'), `id,extensionAttribute1\n${ID.pc0},x\n`);
        writeFileSync(join(dir, 'job.json'), text);
        return runCli(['run', 'job.json'], { cwd: dir });
      }),
    );
    runs.forEach((r, i) => {
      const [name, , message] = cases[i]!;
      expect(r.code, name).toBe(3);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).not.toMatch(STACK_LINE);
      expect(r.stderr, name).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/); // no control character but the final line break
    });
  });

  it('relative paths resolve against the job file, not the working directory (CLI from another folder)', async () => {
    const jobDir = tempDir();
    const cwd = tempDir();
    mkdirSync(join(jobDir, 'in'));
    writeFileSync(join(jobDir, 'in', 'm.csv'), `id,extensionAttribute1\n${ID.pc0},from-job-dir\n`);
    copyFileSync(caseDevices, join(jobDir, 'inventory.json'));
    writeFileSync(
      join(jobDir, 'job.json'),
      JSON.stringify({ manifest: 'in/m.csv', results: 'out/results.csv', emulator: { devices: 'inventory.json' }, progress: false }),
    );
    const r = await runCli(['run', join(jobDir, 'job.json')], { cwd });
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.code).toBe(0);
    const rows = readResults(join(jobDir, 'out', 'results.csv'));
    expect(rows.map((x) => [x.key, x.outcome])).toEqual([[ID.pc0, 'updated']]);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

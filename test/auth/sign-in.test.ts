/**
 * Unattended sign-in end to end: graph-bulk runs as a process and signs in through @azure/identity
 * (the real library code, MSAL included) against the emulator's Entra over https, then updates
 * devices on the emulator's Graph over https with the tokens Entra issued.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { tempDir } from '../helpers/results.js';
import { expectAllUpdated, manifestFor, runSignedIn, startSecureEmulator, tokenRequests } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('each credential signs in and updates rows (Entra and Graph over https)', () => {
  it('client secret: AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, --authority-host', async () => {
    emu = await startSecureEmulator(30);
    const { path, ids } = manifestFor(emu, 30);
    const entra = emu.entra!;
    const run = await runSignedIn(emu, path, ['--auth', 'client-secret', '--authority-host', entra.url], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: entra.clientSecret,
    });
    expectAllUpdated(emu, run, ids);
    const seen = entra.requests();
    // A custom authority host turns instance discovery off: MSAL reads the tenant's OpenID configuration only.
    expect(seen.filter((r) => r.endpoint === 'instance-discovery')).toHaveLength(0);
    expect(seen.some((r) => r.endpoint === 'openid-configuration' && r.status === 200)).toBe(true);
    const tokens = tokenRequests(emu);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.every((r) => r.status === 200 && r.auth === 'secret' && r.resource === emu!.url)).toBe(true);
    expect(run.stderr + run.stdout + run.resultsText).not.toContain(entra.clientSecret);
  });

  it('client certificate generated here (PEM with key), AZURE_CLIENT_CERTIFICATE_PATH, AZURE_AUTHORITY_HOST', async () => {
    emu = await startSecureEmulator(20);
    const { path, ids } = manifestFor(emu, 20);
    const entra = emu.entra!;
    const pems = await generate([{ name: 'commonName', value: 'graph-bulk-test' }], { keySize: 2048, algorithm: 'sha256' });
    const certPath = join(tempDir('gb-cert-'), 'app.pem');
    writeFileSync(certPath, `${pems.private}\n${pems.cert}\n`);
    const clientId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    entra.registerApp({ clientId, certificates: [pems.cert] });
    const run = await runSignedIn(emu, path, ['--auth', 'client-certificate'], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: certPath,
      AZURE_AUTHORITY_HOST: entra.url,
    });
    expectAllUpdated(emu, run, ids);
    const tokens = tokenRequests(emu);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.every((r) => r.status === 200 && r.auth === 'certificate' && r.clientId === clientId)).toBe(true);
  });

  it('workload identity: a federated token file (AZURE_FEDERATED_TOKEN_FILE), no secret anywhere', async () => {
    emu = await startSecureEmulator(20);
    const { path, ids } = manifestFor(emu, 20);
    const entra = emu.entra!;
    const tokenFile = join(tempDir('gb-wi-'), 'azure-identity-token');
    writeFileSync(tokenFile, entra.federatedToken());
    const run = await runSignedIn(emu, path, ['--auth', 'workload-identity'], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: entra.url,
    });
    expectAllUpdated(emu, run, ids);
    const tokens = tokenRequests(emu);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.every((r) => r.status === 200 && r.auth === 'federated')).toBe(true);
  });

  it('managed identity: App Service IDENTITY_ENDPOINT + IDENTITY_HEADER', async () => {
    emu = await startSecureEmulator(20);
    const { path, ids } = manifestFor(emu, 20);
    const entra = emu.entra!;
    const run = await runSignedIn(emu, path, ['--auth', 'managed-identity'], {
      IDENTITY_ENDPOINT: entra.identityEndpoint,
      IDENTITY_HEADER: entra.identityHeader,
    });
    expectAllUpdated(emu, run, ids);
    const tokens = tokenRequests(emu);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.every((r) => r.endpoint === 'managed-identity' && r.status === 200 && r.resource === emu!.url)).toBe(true);
  });
});

describe('azure-cli', () => {
  it('asks `az account get-access-token` for the Graph root as resource and the tenant, and uses the token it prints', async () => {
    emu = await startSecureEmulator(5);
    const { path, ids } = manifestFor(emu, 5);
    // A stand-in `az` on PATH: records its arguments and prints what `az account get-access-token --output json` prints.
    const bin = tempDir('gb-az-');
    const argsFile = join(bin, 'args.txt');
    const printed = {
      accessToken: emu.issueToken(600_000),
      expiresOn: '2099-01-01 00:00:00.000000',
      expires_on: Math.floor(Date.now() / 1000) + 600,
      tenant: emu.entra!.tenantId,
      tokenType: 'Bearer',
    };
    writeFileSync(join(bin, 'az'), `#!/bin/sh\necho "$@" > '${argsFile}'\necho '${JSON.stringify(printed)}'\n`, { mode: 0o755 });
    const run = await runSignedIn(emu, path, ['--auth', 'azure-cli', '--tenant-id', emu.entra!.tenantId], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    expectAllUpdated(emu, run, ids);
    expect(readFileSync(argsFile, 'utf8').trim()).toBe(
      `account get-access-token --output json --resource ${emu.url} --tenant ${emu.entra!.tenantId}`,
    );
  });
});

describe('settings from the standard variables or the job file', () => {
  it('--auth environment, the default (DefaultAzureCredential), and tenantId/clientId/authorityHost from a job file with the secret from the environment', async () => {
    emu = await startSecureEmulator(30);
    const entra = emu.entra!;
    const standard = {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: entra.clientSecret,
      AZURE_AUTHORITY_HOST: entra.url,
    };
    const a = manifestFor(emu, 10, 'environment', 0);
    const b = manifestFor(emu, 10, 'default', 10);
    const c = manifestFor(emu, 10, 'job-file', 20);
    const jobFile = join(tempDir('gb-job-'), 'nightly.json');
    writeFileSync(
      jobFile,
      JSON.stringify({
        manifest: c.path,
        auth: 'client-secret',
        tenantId: entra.tenantId,
        clientId: entra.clientId,
        authorityHost: entra.url,
      }),
    );
    const [envRun, defaultRun, jobRun] = await Promise.all([
      runSignedIn(emu, a.path, ['--auth', 'environment'], standard),
      runSignedIn(emu, b.path, [], standard),
      runSignedIn(emu, c.path, [jobFile], { AZURE_CLIENT_SECRET: entra.clientSecret }),
    ]);
    expectAllUpdated(emu, envRun, a.ids, 'environment');
    expectAllUpdated(emu, defaultRun, b.ids, 'default');
    expectAllUpdated(emu, jobRun, c.ids, 'job-file');
    expect(defaultRun.stderr).toContain('auth=@azure/identity default');
    expect(tokenRequests(emu).filter((r) => r.status === 200 && r.auth === 'secret').length).toBeGreaterThanOrEqual(3);
  });

  it('a secret is never taken from a flag', async () => {
    emu = await startSecureEmulator(2);
    const { path } = manifestFor(emu, 2);
    const run = await runSignedIn(emu, path, ['--auth', 'client-secret', '--client-secret', 'FlagSecret-123'], {});
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Unknown arguments?: client-secret/);
    expect(emu.entra!.requests()).toHaveLength(0);
    expect(emu.requests()).toHaveLength(0);
  });
});

describe('sign-in failures stop the run before any row, exit 3, with the Entra code and no secret', () => {
  it('wrong client secret → AADSTS7000215, zero Graph requests, secret in no output', async () => {
    emu = await startSecureEmulator(10);
    const { path } = manifestFor(emu, 10);
    const entra = emu.entra!;
    const wrong = 'Wr0ng~Secret.Value_9f8e7d6c5b4a';
    const run = await runSignedIn(emu, path, ['--auth', 'client-secret', '--authority-host', entra.url], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: wrong,
    });
    expect(run.code).toBe(3);
    expect(emu.requests()).toHaveLength(0);
    expect(emu.stats().requests.total).toBe(0);
    expect(run.stderr).toContain('AADSTS7000215');
    expect(run.stderr).toMatch(/check: AZURE_CLIENT_SECRET must be the current secret's Value/);
    for (const text of [run.stdout, run.stderr, run.resultsText]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(wrong.slice(0, 12));
    }
    expect(
      entra
        .requests()
        .filter((r) => r.endpoint === 'token')
        .map((r) => r.errorCode),
    ).toContain(7000215);
  });

  it('unknown tenant → AADSTS90002; unknown client → AADSTS700016; both exit 3 before any Graph request', async () => {
    emu = await startSecureEmulator(5);
    const { path } = manifestFor(emu, 5);
    const entra = emu.entra!;
    const base = { AZURE_CLIENT_SECRET: entra.clientSecret, AZURE_AUTHORITY_HOST: entra.url };
    const [badTenant, badClient] = await Promise.all([
      runSignedIn(emu, path, ['--auth', 'client-secret'], {
        ...base,
        AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000bad',
        AZURE_CLIENT_ID: entra.clientId,
      }),
      runSignedIn(emu, path, ['--auth', 'client-secret'], {
        ...base,
        AZURE_TENANT_ID: entra.tenantId,
        AZURE_CLIENT_ID: '00000000-0000-4000-8000-00000000c1d0',
      }),
    ]);
    expect(badTenant.code).toBe(3);
    expect(badTenant.stderr).toContain('AADSTS90002');
    expect(badTenant.stderr).toMatch(/check: AZURE_TENANT_ID/);
    expect(badClient.code).toBe(3);
    expect(badClient.stderr).toContain('AADSTS700016');
    expect(badClient.stderr).toMatch(/check: AZURE_CLIENT_ID/);
    expect(emu.requests()).toHaveLength(0);
    for (const run of [badTenant, badClient]) expect(run.stderr + run.stdout).not.toContain(entra.clientSecret);
  });
});

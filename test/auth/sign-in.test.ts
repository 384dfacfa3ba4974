/**
 * Unattended sign-in end to end: graph-bulk runs as a process and signs in through @azure/identity
 * (the real library code, MSAL included) against the emulator's Entra over https, then updates
 * devices on the emulator's Graph over https with the tokens Entra issued.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { tempDir } from '../helpers/results.js';
import { graphPatches, manifestFor, runCli, startSecureEmulator, type CliRun } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** Every row updated, and every device carries the new value. */
function expectAllUpdated(run: CliRun, ids: string[], value = 'signed-in'): void {
  expect(run.stderr).not.toMatch(/sign-in failed/);
  expect(run.exitCode).toBe(0);
  expect(run.rows).toHaveLength(ids.length);
  expect(run.rows.map((r) => r.outcome)).toEqual(ids.map(() => 'updated'));
  for (const id of ids) expect(emu!.getDevice(id)!.extensionAttributes.extensionAttribute1).toBe(value);
}

const tokenRequests = (e: Emulator) => e.entra!.requests().filter((r) => r.endpoint === 'token' || r.endpoint === 'managed-identity');

describe('each credential signs in and updates rows (Entra and Graph over https)', () => {
  it('client secret: AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, --authority-host', async () => {
    emu = await startSecureEmulator(30);
    const { path, ids } = manifestFor(emu, 30);
    const entra = emu.entra!;
    const run = await runCli(emu, path, ['--auth', 'client-secret', '--authority-host', entra.url], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: entra.clientSecret,
    });
    expectAllUpdated(run, ids);
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
    const run = await runCli(emu, path, ['--auth', 'client-certificate'], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: certPath,
      AZURE_AUTHORITY_HOST: entra.url,
    });
    expectAllUpdated(run, ids);
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
    const run = await runCli(emu, path, ['--auth', 'workload-identity'], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: entra.url,
    });
    expectAllUpdated(run, ids);
    const tokens = tokenRequests(emu);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.every((r) => r.status === 200 && r.auth === 'federated')).toBe(true);
  });

  it('managed identity: App Service IDENTITY_ENDPOINT + IDENTITY_HEADER', async () => {
    emu = await startSecureEmulator(20);
    const { path, ids } = manifestFor(emu, 20);
    const entra = emu.entra!;
    const run = await runCli(emu, path, ['--auth', 'managed-identity'], {
      IDENTITY_ENDPOINT: entra.identityEndpoint,
      IDENTITY_HEADER: entra.identityHeader,
    });
    expectAllUpdated(run, ids);
    const tokens = tokenRequests(emu);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.every((r) => r.endpoint === 'managed-identity' && r.status === 200 && r.resource === emu!.url)).toBe(true);
  });
});

describe('tokens that die during the run', () => {
  it('a run several token lifetimes long (tokens live 2 s) ends with every row updated', async () => {
    emu = await startSecureEmulator(60, { tokenLifetimeMs: 2000 });
    const { path, ids } = manifestFor(emu, 60);
    const entra = emu.entra!;
    // Paced to ~10 writes/s: the run lasts more than 5 s, longer than two token lifetimes.
    const run = await runCli(emu, path, ['--auth', 'client-secret', '--mode', 'single', '--concurrency', '2', '--write-burst', '5', '--write-refill', '10'], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: entra.clientSecret,
      AZURE_AUTHORITY_HOST: entra.url,
    });
    expectAllUpdated(run, ids);
    expect(run.wallMs).toBeGreaterThan(3 * 2000);
    const issued = tokenRequests(emu).filter((r) => r.status === 200);
    const spanMs = issued.at(-1)!.at - issued[0]!.at;
    expect(spanMs).toBeGreaterThan(2 * 2000);
    expect(new Set(issued.map((r) => r.tokenId)).size).toBeGreaterThanOrEqual(3);
  });

  for (const kind of ['client-secret', 'managed-identity'] as const) {
    it(`${kind}: Graph revokes each token 1.5 s after issue (its exp says 1 h): fresh token past the cache, every row updated`, async () => {
      emu = await startSecureEmulator(40, { revokeTokensAfterMs: 1500 });
      const { path, ids } = manifestFor(emu, 40);
      const entra = emu.entra!;
      const env: Record<string, string> =
        kind === 'client-secret'
          ? { AZURE_TENANT_ID: entra.tenantId, AZURE_CLIENT_ID: entra.clientId, AZURE_CLIENT_SECRET: entra.clientSecret, AZURE_AUTHORITY_HOST: entra.url }
          : { IDENTITY_ENDPOINT: entra.identityEndpoint, IDENTITY_HEADER: entra.identityHeader };
      const run = await runCli(emu, path, ['--auth', kind, '--mode', 'single', '--concurrency', '2', '--write-burst', '5', '--write-refill', '10'], env);
      expectAllUpdated(run, ids);
      // Graph did reject tokens midway, and the rows it rejected were replayed with a new token.
      expect(emu.stats().unauthorized).toBeGreaterThan(0);
      const rejected = graphPatches(emu).filter((p) => p.status === 401);
      expect(rejected.length).toBeGreaterThan(0);
      expect(run.rows.filter((r) => Number(r.attempts) === 2).length).toBe(rejected.length);
      // The 1-hour token sat in MSAL's cache: each renewal reached Entra.
      const issued = tokenRequests(emu).filter((r) => r.status === 200);
      expect(issued.length).toBeGreaterThanOrEqual(2);
      if (kind === 'client-secret') expect(issued.slice(1).every((r) => r.claims)).toBe(true);
    });
  }
});

describe('sign-in failures stop the run before any row, exit 3, with the Entra code and no secret', () => {
  it('wrong client secret → AADSTS7000215, zero Graph requests, secret in no output', async () => {
    emu = await startSecureEmulator(10);
    const { path } = manifestFor(emu, 10);
    const entra = emu.entra!;
    const wrong = 'Wr0ng~Secret.Value_9f8e7d6c5b4a';
    const run = await runCli(emu, path, ['--auth', 'client-secret', '--authority-host', entra.url], {
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: wrong,
    });
    expect(run.exitCode).toBe(3);
    expect(emu.requests()).toHaveLength(0);
    expect(emu.stats().requests.total).toBe(0);
    expect(run.stderr).toContain('AADSTS7000215');
    expect(run.stderr).toMatch(/check: AZURE_CLIENT_SECRET must be the current secret's Value/);
    for (const text of [run.stdout, run.stderr, run.resultsText]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(wrong.slice(0, 12));
    }
    expect(entra.requests().filter((r) => r.endpoint === 'token').map((r) => r.errorCode)).toContain(7000215);
  });

  it('unknown tenant → AADSTS90002; unknown client → AADSTS700016; both exit 3 before any Graph request', async () => {
    emu = await startSecureEmulator(5);
    const { path } = manifestFor(emu, 5);
    const entra = emu.entra!;
    const base = { AZURE_CLIENT_SECRET: entra.clientSecret, AZURE_AUTHORITY_HOST: entra.url };
    const [badTenant, badClient] = await Promise.all([
      runCli(emu, path, ['--auth', 'client-secret'], { ...base, AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000bad', AZURE_CLIENT_ID: entra.clientId }),
      runCli(emu, path, ['--auth', 'client-secret'], { ...base, AZURE_TENANT_ID: entra.tenantId, AZURE_CLIENT_ID: '00000000-0000-4000-8000-00000000c1d0' }),
    ]);
    expect(badTenant.exitCode).toBe(3);
    expect(badTenant.stderr).toContain('AADSTS90002');
    expect(badTenant.stderr).toMatch(/check: AZURE_TENANT_ID/);
    expect(badClient.exitCode).toBe(3);
    expect(badClient.stderr).toContain('AADSTS700016');
    expect(badClient.stderr).toMatch(/check: AZURE_CLIENT_ID/);
    expect(emu.requests()).toHaveLength(0);
    for (const run of [badTenant, badClient]) expect(run.stderr + run.stdout).not.toContain(entra.clientSecret);
  });
});

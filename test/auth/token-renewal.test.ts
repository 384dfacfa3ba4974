/**
 * Tokens that die during a run — expiring every 2 s, or revoked by Graph long before their `exp` —
 * with graph-bulk running as a process and signing in through @azure/identity against the
 * emulator's Entra: every row still ends `updated`, because a rejected token is replaced by one
 * fetched past the credential's cache.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { expectAllUpdated, graphPatches, manifestFor, runSignedIn, startSecureEmulator, tokenRequests } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('tokens that die during the run', () => {
  it('a run several token lifetimes long (tokens live 2 s) ends with every row updated', async () => {
    emu = await startSecureEmulator(60, { tokenLifetimeMs: 2000 });
    const { path, ids } = manifestFor(emu, 60);
    const entra = emu.entra!;
    // Paced to ~10 writes/s: the run lasts more than 5 s, longer than two token lifetimes.
    const run = await runSignedIn(
      emu,
      path,
      ['--auth', 'client-secret', '--mode', 'single', '--concurrency', '2', '--write-burst', '5', '--write-refill', '10'],
      {
        AZURE_TENANT_ID: entra.tenantId,
        AZURE_CLIENT_ID: entra.clientId,
        AZURE_CLIENT_SECRET: entra.clientSecret,
        AZURE_AUTHORITY_HOST: entra.url,
      },
    );
    expectAllUpdated(emu, run, ids);
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
          ? {
              AZURE_TENANT_ID: entra.tenantId,
              AZURE_CLIENT_ID: entra.clientId,
              AZURE_CLIENT_SECRET: entra.clientSecret,
              AZURE_AUTHORITY_HOST: entra.url,
            }
          : { IDENTITY_ENDPOINT: entra.identityEndpoint, IDENTITY_HEADER: entra.identityHeader };
      const run = await runSignedIn(
        emu,
        path,
        ['--auth', kind, '--mode', 'single', '--concurrency', '2', '--write-burst', '5', '--write-refill', '10'],
        env,
      );
      expectAllUpdated(emu, run, ids);
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

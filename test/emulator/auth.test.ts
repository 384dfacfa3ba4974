/** Bearer tokens (docs/graph-behaviour.md §4). */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { IOS, WIN, call, graphError, patch, sleep, start } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const expect401 = (r: Awaited<ReturnType<typeof call>>, message: string) => {
  expect(r.status).toBe(401);
  expect(graphError(r)).toMatchObject({ code: 'InvalidAuthenticationToken', message });
  expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
};

describe('bearer token check on every Graph route', () => {
  it('missing token → "Access token is empty."; wrong token → "Access token validation failure."', async () => {
    emu = await start();
    for (const [method, path] of [
      ['GET', `/v1.0/devices/${WIN.id}`],
      ['GET', '/v1.0/devices'],
      ['PATCH', `/v1.0/devices/${WIN.id}`],
      ['POST', '/v1.0/$batch'],
    ] as const) {
      expect401(await call(emu, method, path, { token: null, body: method === 'GET' ? undefined : {} }), 'Access token is empty.');
      expect401(
        await call(emu, method, path, { token: 'not-the-token', body: method === 'GET' ? undefined : {} }),
        'Access token validation failure.',
      );
    }
    expect401(
      await call(emu, 'GET', '/v1.0/devices', { token: null, headers: { authorization: 'Basic abc' } }),
      'Access token validation failure.',
    );
    expect(emu.stats().unauthorized).toBe(9);
    expect(emu.getDevice(WIN.id)?.displayName).toBe('WKS-LON-00001');
  });

  it('the default token (given or generated) is accepted; the token option is honoured', async () => {
    emu = await start({ token: 'fixed-token-123' });
    expect(emu.token).toBe('fixed-token-123');
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`)).status).toBe(200);
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`, { headers: { authorization: 'bearer fixed-token-123' } })).status).toBe(200);
  });

  it('tokenLifetimeMs: tokens expire → "Lifetime validation failed, the token is expired."', async () => {
    emu = await start({ tokenLifetimeMs: 150 });
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`)).status).toBe(200);
    const fresh = emu.issueToken(10_000);
    await sleep(200);
    expect401(await call(emu, 'GET', `/v1.0/devices/${WIN.id}`), 'Lifetime validation failed, the token is expired.');
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`, { token: fresh })).status).toBe(200);
  });

  it('revokeTokens(): every token issued so far is rejected (401), tokens issued after are accepted; no write applied', async () => {
    emu = await start();
    const extra = emu.issueToken();
    expect((await patch(emu, WIN.id, { displayName: 'before' }, { token: extra })).status).toBe(204);
    emu.revokeTokens();
    const r = await patch(emu, WIN.id, { displayName: 'after-revoke' });
    expect401(r, 'Lifetime validation failed, the token is expired.');
    expect401(
      await patch(emu, WIN.id, { displayName: 'after-revoke' }, { token: extra }),
      'Lifetime validation failed, the token is expired.',
    );
    expect(emu.getDevice(WIN.id)?.displayName).toBe('before');
    const next = emu.issueToken();
    expect((await patch(emu, WIN.id, { displayName: 'after' }, { token: next })).status).toBe(204);
  });

  it('the stats endpoint needs no token', async () => {
    emu = await start();
    const r = await fetch(`${emu.url}/_emulator/stats`);
    expect(r.status).toBe(200);
    expect(await r.json()).toHaveProperty('requests');
  });
});

describe('generated tokens: JWT-shaped, app-only roles or delegated scp, as Graph checks them on PATCH', () => {
  const claimsOf = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

  it('the default token is app-only with Device.ReadWrite.All; with appOnly false it is delegated with Directory.AccessAsUser.All', async () => {
    emu = await start();
    expect(claimsOf(emu.token)).toMatchObject({ idtyp: 'app', roles: ['Device.ReadWrite.All'], aud: 'https://graph.microsoft.com' });
    expect(claimsOf(emu.token).scp).toBeUndefined();
    await emu.stop();
    emu = await start({ appOnly: false });
    expect(claimsOf(emu.token)).toMatchObject({ idtyp: 'user', scp: 'Directory.AccessAsUser.All' });
    expect(claimsOf(emu.token).roles).toBeUndefined();
  });

  it('a token without a write permission gets 403 on PATCH (not on GET); a delegated one is not held to the app-only rule', async () => {
    emu = await start();
    const readOnly = emu.issueToken(undefined, { roles: ['Device.Read.All'] });
    expect(claimsOf(readOnly).roles).toEqual(['Device.Read.All']);
    expect((await patch(emu, WIN.id, { displayName: 'x' }, { token: readOnly })).status).toBe(403);
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`, { token: readOnly })).status).toBe(200);
    const userRead = emu.issueToken(undefined, { scp: 'User.Read' });
    expect(graphError(await patch(emu, WIN.id, { displayName: 'x' }, { token: userRead })).code).toBe('Authorization_RequestDenied');
    // app-only (the emulator's default): the iOS device takes only extension attributes; delegated: anything
    expect((await patch(emu, IOS.id, { accountEnabled: false })).status).toBe(400);
    const delegated = emu.issueToken(undefined, { scp: 'User.Read Directory.AccessAsUser.All' });
    expect((await patch(emu, IOS.id, { accountEnabled: false }, { token: delegated })).status).toBe(204);
    expect(emu.getDevice(IOS.id)?.accountEnabled).toBe(false);
  });
});

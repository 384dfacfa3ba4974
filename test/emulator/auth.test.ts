/** Bearer tokens (graph-facts.md §4). */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { WIN, call, graphError, patch, sleep, start } from './helpers.js';

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
      expect401(await call(emu, method, path, { token: 'not-the-token', body: method === 'GET' ? undefined : {} }), 'Access token validation failure.');
    }
    expect401(await call(emu, 'GET', '/v1.0/devices', { token: null, headers: { authorization: 'Basic abc' } }), 'Access token validation failure.');
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
    expect401(await patch(emu, WIN.id, { displayName: 'after-revoke' }, { token: extra }), 'Lifetime validation failed, the token is expired.');
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

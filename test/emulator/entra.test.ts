/**
 * The emulator's local Entra ID: OpenID discovery, the v2.0 token endpoint (client secret,
 * certificate assertion, federated assertion), the App Service managed-identity endpoint, Entra's
 * error shape, and the Graph routes accepting exactly the tokens it issued.
 */
import { constants, createHash, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { WIN, call, graphError, patch, start } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

interface Reply {
  status: number;
  json: any;
}

/** One https request to the emulated Entra, trusting only the emulator's CA. */
function entraCall(
  e: Emulator,
  method: string,
  path: string,
  opts: { form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      `${e.entra!.url}${path}`,
      {
        method,
        ca: readCa(e),
        headers: { ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...opts.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const readCa = (e: Emulator) => readFileSync(e.caPath!, 'utf8');

const tokenPath = (e: Emulator, tenant = e.entra!.tenantId) => `/${tenant}/oauth2/v2.0/token`;
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

/** Asserts Entra's error body shape and the AADSTS code. */
function expectEntraError(r: Reply, status: number, error: string, code: number): void {
  expect(r.status).toBe(status);
  expect(r.json).toMatchObject({ error, error_codes: [code] });
  expect(r.json.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(r.json.error_description).toMatch(/Trace ID: .*\r\nCorrelation ID: /s);
  expect(typeof r.json.trace_id).toBe('string');
  expect(typeof r.json.correlation_id).toBe('string');
  expect(typeof r.json.timestamp).toBe('string');
}

/** A client assertion as MSAL builds one: RS256 + x5t (SHA-1) or PS256 + x5t#S256, signed with `keyPem`. */
function certificateAssertion(
  certPem: string,
  keyPem: string,
  clientId: string,
  aud: string,
  opts: { sha256?: boolean; expS?: number } = {},
): string {
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const header = opts.sha256
    ? { alg: 'PS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(der).digest('base64url') }
    : { alg: 'RS256', typ: 'JWT', x5t: createHash('sha1').update(der).digest('base64url') };
  const now = Math.floor(Date.now() / 1000);
  const payload = { aud, iss: clientId, sub: clientId, jti: 'j1', nbf: now, exp: opts.expS ?? now + 600 };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const key = createPrivateKey(keyPem);
  const signature = opts.sha256
    ? sign('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

describe('OpenID discovery', () => {
  it('serves the tenant configuration over https; an unknown tenant gets AADSTS90002', async () => {
    emu = await start({ entra: true });
    const entra = emu.entra!;
    expect(entra.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await entraCall(emu, 'GET', `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      token_endpoint: `${entra.url}/${entra.tenantId}/oauth2/v2.0/token`,
      issuer: `${entra.url}/${entra.tenantId}/v2.0`,
      authorization_endpoint: `${entra.url}/${entra.tenantId}/oauth2/v2.0/authorize`,
    });
    expect(typeof ok.json.jwks_uri).toBe('string');
    expectEntraError(
      await entraCall(emu, 'GET', '/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration'),
      400,
      'invalid_tenant',
      90002,
    );
  });
});

describe('token endpoint: client secret', () => {
  it("issues a JWT-shaped token with roles, appid, tid and the lifetime; Graph accepts it; a wrong secret, client, tenant or scope gets Entra's error", async () => {
    emu = await start({ entra: true, tokenLifetimeMs: 120_000 });
    const entra = emu.entra!;
    const form = {
      grant_type: 'client_credentials',
      client_id: entra.clientId,
      client_secret: entra.clientSecret,
      scope: `${emu.url}/.default`,
    };
    const ok = await entraCall(emu, 'POST', tokenPath(emu), { form });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 120 });
    const claims = payloadOf(ok.json.access_token);
    expect(claims).toMatchObject({ aud: emu.url, appid: entra.clientId, tid: entra.tenantId, roles: ['Device.ReadWrite.All'] });
    expect(claims.exp - claims.iat).toBe(120);
    expect((await patch(emu, WIN.id, { extensionAttributes: { extensionAttribute1: 'x' } }, { token: ok.json.access_token })).status).toBe(
      204,
    );
    // A JWT-shaped token Entra did not issue is not accepted.
    const forged = `${ok.json.access_token.split('.').slice(0, 2).join('.')}.AAAA`;
    expect((await patch(emu, WIN.id, { displayName: 'y' }, { token: forged })).status).toBe(401);

    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu), { form: { ...form, client_secret: 'nope' } }),
      401,
      'invalid_client',
      7000215,
    );
    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu), { form: { ...form, client_id: '99999999-0000-4000-8000-000000000000' } }),
      400,
      'unauthorized_client',
      700016,
    );
    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu, '99999999-0000-4000-8000-000000000001'), { form }),
      400,
      'invalid_request',
      90002,
    );
    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu), { form: { ...form, scope: `${emu.url}/Device.ReadWrite.All` } }),
      400,
      'invalid_scope',
      1002012,
    );
    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu), { form: { ...form, scope: 'https://vault.azure.net/.default' } }),
      400,
      'invalid_resource',
      500011,
    );
    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu), { form: { ...form, claims: 'eyJhY2Nlc3NfdG9rZW4iOnt9fQ==' } }),
      400,
      'invalid_request',
      90100,
    );
    const withClaims = await entraCall(emu, 'POST', tokenPath(emu), {
      form: { ...form, claims: '{"access_token":{"nbf":{"essential":true,"value":"1"}}}' },
    });
    expect(withClaims.status).toBe(200);
    const log = entra.requests().filter((r) => r.endpoint === 'token');
    expect(log.map((r) => r.errorCode ?? r.status)).toEqual([200, 7000215, 700016, 90002, 1002012, 500011, 90100, 200]);
    expect(log.at(-1)!.claims).toBe(true);
    expect(JSON.stringify(entra.requests())).not.toContain(entra.clientSecret);
  });

  it('roles decide Graph writes: an app without Device.ReadWrite.All / Directory.ReadWrite.All gets 403 Authorization_RequestDenied', async () => {
    emu = await start({
      entra: {
        apps: [
          { clientId: 'aaaaaaaa-0000-4000-8000-000000000001', secrets: ['s1'], roles: ['Device.Read.All'] },
          { clientId: 'aaaaaaaa-0000-4000-8000-000000000002', secrets: ['s2'], roles: ['Directory.ReadWrite.All'] },
        ],
      },
    });
    const get = async (clientId: string, secret: string) =>
      (
        await entraCall(emu!, 'POST', tokenPath(emu!), {
          form: {
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: secret,
            scope: 'https://graph.microsoft.com/.default',
          },
        })
      ).json.access_token as string;
    const readOnly = await get('aaaaaaaa-0000-4000-8000-000000000001', 's1');
    const denied = await patch(emu, WIN.id, { displayName: 'nope' }, { token: readOnly });
    expect(denied.status).toBe(403);
    expect(graphError(denied).code).toBe('Authorization_RequestDenied');
    expect((await call(emu, 'GET', `/v1.0/devices/${WIN.id}`, { token: readOnly })).status).toBe(200);
    expect(
      (await patch(emu, WIN.id, { displayName: 'ok' }, { token: await get('aaaaaaaa-0000-4000-8000-000000000002', 's2') })).status,
    ).toBe(204);
    expect(emu.getDevice(WIN.id)!.displayName).toBe('ok');
  });
});

describe('token endpoint: certificate and federated assertions', () => {
  it('verifies the assertion signature against the registered certificate (x5t and x5t#S256); unknown, expired or wrong-key certificates get AADSTS700027', async () => {
    const [good, other, expired] = await Promise.all([
      generate([{ name: 'commonName', value: 'good' }], { keySize: 2048, algorithm: 'sha256' }),
      generate([{ name: 'commonName', value: 'other' }], { keySize: 2048, algorithm: 'sha256' }),
      generate([{ name: 'commonName', value: 'old' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notBeforeDate: new Date(Date.now() - 3 * 86_400_000),
        notAfterDate: new Date(Date.now() - 86_400_000),
      }),
    ]);
    const clientId = 'cccccccc-0000-4000-8000-000000000001';
    emu = await start({ entra: { apps: [{ clientId, certificates: [good.cert, expired.cert] }] } });
    const aud = `${emu.entra!.url}${tokenPath(emu)}`;
    const form = (assertion: string) => ({
      form: {
        grant_type: 'client_credentials',
        client_id: clientId,
        scope: `${emu!.url}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      },
    });
    expect((await entraCall(emu, 'POST', tokenPath(emu), form(certificateAssertion(good.cert, good.private, clientId, aud)))).status).toBe(
      200,
    );
    expect(
      (await entraCall(emu, 'POST', tokenPath(emu), form(certificateAssertion(good.cert, good.private, clientId, aud, { sha256: true }))))
        .status,
    ).toBe(200);
    // Right thumbprint, wrong key: the signature does not verify.
    const forged = await entraCall(emu, 'POST', tokenPath(emu), form(certificateAssertion(good.cert, other.private, clientId, aud)));
    expectEntraError(forged, 401, 'invalid_client', 700027);
    expect(forged.json.error_description).toContain('signature validation');
    const unknown = await entraCall(emu, 'POST', tokenPath(emu), form(certificateAssertion(other.cert, other.private, clientId, aud)));
    expectEntraError(unknown, 401, 'invalid_client', 700027);
    expect(unknown.json.error_description).toContain('The key was not found.');
    const old = await entraCall(emu, 'POST', tokenPath(emu), form(certificateAssertion(expired.cert, expired.private, clientId, aud)));
    expectEntraError(old, 401, 'invalid_client', 700027);
    expect(old.json.error_description).toContain('The key used is expired.');
    const late = await entraCall(
      emu,
      'POST',
      tokenPath(emu),
      form(certificateAssertion(good.cert, good.private, clientId, aud, { expS: Math.floor(Date.now() / 1000) - 3600 })),
    );
    expectEntraError(late, 400, 'invalid_client', 700024);
  });

  it('federated assertion: a token from the registered issuer and subject works; another subject gets AADSTS70021, an expired one AADSTS700024', async () => {
    emu = await start({ entra: true });
    const entra = emu.entra!;
    const form = (assertion: string) => ({
      form: {
        grant_type: 'client_credentials',
        client_id: entra.clientId,
        scope: `${emu!.url}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      },
    });
    const ok = await entraCall(emu, 'POST', tokenPath(emu), form(entra.federatedToken()));
    expect(ok.status).toBe(200);
    expect((await patch(emu, WIN.id, { displayName: 'wi' }, { token: ok.json.access_token })).status).toBe(204);
    const wrongSubject = await entraCall(
      emu,
      'POST',
      tokenPath(emu),
      form(entra.federatedToken({ subject: 'system:serviceaccount:other:sa' })),
    );
    expectEntraError(wrongSubject, 400, 'invalid_request', 70021);
    expect(wrongSubject.json.error_description).toContain("Assertion Subject: 'system:serviceaccount:other:sa'");
    expectEntraError(
      await entraCall(emu, 'POST', tokenPath(emu), form(entra.federatedToken({ lifetimeMs: -3_600_000 }))),
      400,
      'invalid_client',
      700024,
    );
    expect(
      entra
        .requests()
        .filter((r) => r.endpoint === 'token')
        .map((r) => r.auth ?? r.errorCode),
    ).toEqual(['federated', 70021, 700024]);
  });
});

describe('managed identity (App Service shape)', () => {
  it('needs X-IDENTITY-HEADER and api-version 2019-08-01; answers expires_on in epoch seconds; an unknown client_id is refused', async () => {
    emu = await start({ entra: true });
    const entra = emu.entra!;
    const path = `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(emu.url)}`;
    expect(entra.identityEndpoint).toBe(`${entra.url}/msi/token`);
    expect((await entraCall(emu, 'GET', path)).status).toBe(401);
    expect((await entraCall(emu, 'GET', path, { headers: { 'x-identity-header': 'wrong' } })).status).toBe(401);
    const ok = await entraCall(emu, 'GET', path, { headers: { 'x-identity-header': entra.identityHeader } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', resource: emu.url });
    expect(Number(ok.json.expires_on)).toBeGreaterThan(Date.now() / 1000 + 3000);
    expect(payloadOf(ok.json.access_token).roles).toEqual(['Device.ReadWrite.All']);
    expect((await patch(emu, WIN.id, { displayName: 'mi' }, { token: ok.json.access_token })).status).toBe(204);
    const unknownId = await entraCall(emu, 'GET', `${path}&client_id=12345678-0000-4000-8000-000000000000`, {
      headers: { 'x-identity-header': entra.identityHeader },
    });
    expect(unknownId.status).toBe(400);
    expect(
      (await entraCall(emu, 'GET', path.replace('2019-08-01', '2017-09-01'), { headers: { 'x-identity-header': entra.identityHeader } }))
        .status,
    ).toBe(400);
  });
});

describe('tokens rejected early', () => {
  it('revokeTokensAfterMs: Graph rejects a token that long after issue though its exp is later', async () => {
    emu = await start({ entra: true, revokeTokensAfterMs: 150 });
    const entra = emu.entra!;
    const ok = await entraCall(emu, 'POST', tokenPath(emu), {
      form: {
        grant_type: 'client_credentials',
        client_id: entra.clientId,
        client_secret: entra.clientSecret,
        scope: `${emu.url}/.default`,
      },
    });
    expect(ok.json.expires_in).toBe(3599);
    expect((await patch(emu, WIN.id, { displayName: 'early' }, { token: ok.json.access_token })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 200));
    const late = await patch(emu, WIN.id, { displayName: 'late' }, { token: ok.json.access_token });
    expect(late.status).toBe(401);
    expect(graphError(late)).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Lifetime validation failed, the token is expired.',
    });
    expect(emu.getDevice(WIN.id)!.displayName).toBe('early');
  });
});

/** Sign-in failures explained: Entra's code and sentence, what to check, never a secret. */
import { describe, expect, it } from 'vitest';
import { entraSentence, explainSignInError, SignInError } from '../../src/auth/sign-in-error.js';
import { freshTokenClaims, TokenManager, type TokenSource } from '../../src/auth/token-source.js';

const context = {
  auth: 'client-secret',
  tenantId: 'tenant-1',
  clientId: 'app-1',
  authorityHost: 'https://login.microsoftonline.us',
  secrets: ['S3cret~value.abc'],
};

describe('explainSignInError', () => {
  it('keeps the AADSTS code and sentence, drops trace lines, adds what to check, removes the secret', () => {
    const msal =
      "invalid_client: Error(s): 7000215 - Timestamp: 2026-01-01 00:00:00Z - Description: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'app-1'. Sent: S3cret~value.abc\r\nTrace ID: t\r\nCorrelation ID: c";
    const e = explainSignInError(new Error(msal), context);
    expect(e).toBeInstanceOf(SignInError);
    expect(e.code).toBe('AADSTS7000215');
    expect(e.message.split('\n')[0]).toMatch(/^AADSTS7000215: Invalid client secret provided\..*app 'app-1'\. Sent: <redacted>$/);
    expect(e.message).toContain("check: AZURE_CLIENT_SECRET must be the current secret's Value (not its Secret ID) of app app-1");
    expect(e.message).not.toContain('S3cret~value.abc');
    expect(e.message).not.toMatch(/Trace ID/);
  });

  it('an unresolvable authority takes the code from the diagnosis (unknown tenant → AADSTS90002)', () => {
    const e = explainSignInError(
      new Error('endpoints_resolution_error: See https://aka.ms/msal.js.errors#endpoints_resolution_error for details'),
      context,
      "AADSTS90002: Tenant 'tenant-1' not found. Check to make sure…\r\nTrace ID: x",
    );
    expect(e.code).toBe('AADSTS90002');
    expect(e.message).toMatch(
      /check: AZURE_TENANT_ID \(tenant-1\) must be your directory \(tenant\) id, and --cloud \/ --authority-host \(https:\/\/login\.microsoftonline\.us\)/,
    );
  });

  it('without a code, advice follows the credential kind (managed identity, workload identity, default)', () => {
    const mi = explainSignInError(new Error('ManagedIdentityCredential: Network unreachable. Message: connect ECONNREFUSED'), {
      ...context,
      auth: 'managed-identity',
    });
    expect(mi.code).toBeUndefined();
    expect(mi.message).toMatch(/^ManagedIdentityCredential: Network unreachable/);
    expect(mi.message).toMatch(/check: run where a managed identity is assigned/);
    expect(explainSignInError(new Error('no file'), { ...context, auth: 'workload-identity' }).message).toMatch(
      /AZURE_FEDERATED_TOKEN_FILE must be readable/,
    );
    expect(explainSignInError(new Error('CredentialUnavailableError: none'), { ...context, auth: 'default' }).message).toMatch(
      /choose one with --auth/,
    );
  });

  it('entraSentence finds the first AADSTS sentence', () => {
    expect(entraSentence("x AADSTS700016: Application with identifier 'a' was not found. Trace ID: 1")).toEqual({
      code: 'AADSTS700016',
      sentence: "Application with identifier 'a' was not found.",
    });
    expect(entraSentence('nothing here')).toBeUndefined();
  });
});

describe('forced refresh', () => {
  it('the claims challenge is CAE JSON (not base64) with nbf = now in seconds', () => {
    expect(JSON.parse(freshTokenClaims(1_700_000_000_999))).toEqual({ access_token: { nbf: { essential: true, value: '1700000000' } } });
  });

  it('TokenManager tells the source which token Graph rejected, once for all workers', async () => {
    const calls: Array<{ forceRefresh?: boolean; rejectedToken?: string } | undefined> = [];
    let n = 0;
    const source: TokenSource = {
      description: 'test',
      getToken: async (o) => {
        calls.push(o);
        return o?.forceRefresh ? `fresh-${++n}` : 'cached';
      },
    };
    const tokens = new TokenManager(source);
    expect(await tokens.current()).toBe('cached');
    const renewed = await Promise.all([tokens.renew('cached'), tokens.renew('cached'), tokens.renew('cached')]);
    expect(renewed).toEqual(['fresh-1', 'fresh-1', 'fresh-1']);
    expect(calls.filter((c) => c?.forceRefresh)).toEqual([{ forceRefresh: true, rejectedToken: 'cached' }]);
  });
});

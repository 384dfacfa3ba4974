import { describe, expect, it } from 'vitest';
import { decodeTokenClaims } from '../../src/auth/token-claims.js';
import { describePermissions, missingPermission, tokenPermissions } from '../../src/graph/permissions.js';

const jwt = (payload: unknown) =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

describe('token claims and device-write permissions', () => {
  it('decodes a JWT payload without checking the signature; anything else is opaque', () => {
    expect(decodeTokenClaims(jwt({ roles: ['Device.ReadWrite.All'] }))).toEqual({ roles: ['Device.ReadWrite.All'] });
    for (const opaque of [
      'opaque',
      'a.b',
      'eyJ0eXAiOiJKV1QifQ.bm90IGpzb24.sig',
      `x.${Buffer.from('[1]').toString('base64url')}.y`,
      'a.b+c.d',
    ]) {
      expect(decodeTokenClaims(opaque)).toBeUndefined();
    }
  });

  it('app-only (no scp): roles must hold Device.ReadWrite.All or Directory.ReadWrite.All; no roles claim = none', () => {
    expect(tokenPermissions({ roles: ['Directory.ReadWrite.All'] })).toEqual({
      kind: 'app-only',
      roles: ['Directory.ReadWrite.All'],
      ok: true,
    });
    const none = tokenPermissions({ idtyp: 'app' });
    expect(none).toEqual({ kind: 'app-only', roles: [], ok: false });
    expect(missingPermission(none)).toMatch(/roles hold neither Device\.ReadWrite\.All nor Directory\.ReadWrite\.All \(it has: none\)/);
    expect(describePermissions(tokenPermissions({ roles: ['Device.ReadWrite.All'] }))).toBe('app-only (roles: Device.ReadWrite.All)');
  });

  it('delegated (scp present): needs Directory.AccessAsUser.All, whatever roles say', () => {
    expect(tokenPermissions({ scp: 'User.Read Directory.AccessAsUser.All' })).toMatchObject({ kind: 'delegated', ok: true });
    const p = tokenPermissions({ scp: 'User.Read', roles: ['Device.ReadWrite.All'] });
    expect(p).toMatchObject({ kind: 'delegated', ok: false });
    expect(missingPermission(p)).toMatch(
      /^the token is delegated and its scp does not hold Directory\.AccessAsUser\.All \(it has: User\.Read\)/,
    );
    expect(tokenPermissions(undefined)).toEqual({ kind: 'unknown' });
    expect(missingPermission({ kind: 'unknown' })).toBeUndefined();
  });
});

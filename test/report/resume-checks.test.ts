/** Resume checks as pure decisions (issue 14): the Graph identity, and carried lines against their rows. */
import { describe, expect, it } from 'vitest';
import { carriedLineMismatch, graphIdentityMismatch } from '../../src/report/resume-checks.js';

const g = { root: 'https://graph.microsoft.com', tenantId: 'tid-a', appId: 'app-1' };

describe('graphIdentityMismatch', () => {
  it('passes the same Graph (case and trailing slash aside), refuses another root, tenant or app naming both', () => {
    expect(graphIdentityMismatch('r.csv', g, { ...g, root: 'https://Graph.microsoft.com/' })).toBeUndefined();
    expect(graphIdentityMismatch('r.csv', g, { ...g, tenantId: 'TID-A' })).toBeUndefined();
    const root = graphIdentityMismatch('r.csv', g, { ...g, root: 'http://127.0.0.1:4000' });
    expect(root).toContain('https://graph.microsoft.com');
    expect(root).toContain('http://127.0.0.1:4000');
    expect(graphIdentityMismatch('r.csv', g, { ...g, tenantId: 'tid-b' })).toMatch(/tenant tid-a.*tenant tid-b/);
    expect(graphIdentityMismatch('r.csv', g, { ...g, appId: 'app-2' })).toMatch(/app app-1.*app app-2/);
  });

  it('known on one side only is a mismatch; unknown on both passes; no recorded Graph is refused', () => {
    expect(graphIdentityMismatch('r.csv', { root: g.root }, g)).toMatch(/cannot resume/);
    expect(graphIdentityMismatch('r.csv', { root: g.root }, { root: g.root })).toBeUndefined();
    expect(graphIdentityMismatch('r.csv', undefined, g)).toMatch(/records no Graph/);
  });
});

describe('carriedLineMismatch', () => {
  const cols = ['id', 'extensionAttribute1'];
  it('matches the same key (any case) and exact values; a changed value or key is named', () => {
    const line = { key: 'ABC', columns: { id: 'abc', extensionAttribute1: ' v ' } };
    expect(carriedLineMismatch(line, { key: 'abc', columns: { id: 'abc', extensionAttribute1: ' v ' } }, cols)).toBeUndefined();
    expect(carriedLineMismatch(line, { key: 'abc', columns: { id: 'abc', extensionAttribute1: 'v' } }, cols)).toMatch(
      /extensionAttribute1/,
    );
    expect(carriedLineMismatch(line, { key: 'abd', columns: line.columns }, cols)).toMatch(/key/);
    expect(carriedLineMismatch(line, { key: undefined, columns: line.columns }, cols)).toMatch(/key/);
  });
});

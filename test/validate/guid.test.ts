/**
 * GUID keys: recognition, canonical form, cleaning of pasted debris.
 */
import { describe, expect, it } from 'vitest';
import { canonicalGuid, isGuid, normaliseKey } from '../../src/validate/guid.js';

const G = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';

describe('isGuid / canonicalGuid', () => {
  it('accepts 8-4-4-4-12 hex in any case, nothing else', () => {
    expect(isGuid(G)).toBe(true);
    expect(isGuid(G.toUpperCase())).toBe(true);
    expect(canonicalGuid(G.toUpperCase())).toBe(G);
    for (const bad of ['', G.slice(0, -1), `${G}0`, ` ${G}`, `{${G}}`, G.replace(/-/g, ''), G.replace('d', 'g'), 'not-a-guid']) {
      expect(isGuid(bad)).toBe(false);
      expect(canonicalGuid(bad)).toBeUndefined();
    }
  });
});

describe('normaliseKey', () => {
  it.each([
    [G, []],
    [` ${G}\t`, ['trimmed whitespace around id']],
    [`\u00a0${G}\u00a0`, ['trimmed whitespace around id']],
    [`{${G.toUpperCase()}}`, ['removed braces around id', 'lower-cased id']],
    [`"{${G}}"`, ['removed quotes around id', 'removed braces around id']],
    [` '${G}' `, ['trimmed whitespace around id', 'removed quotes around id']],
    [`\u200b${G}\u200d`, ['removed zero-width characters from id']],
    [`${G.slice(0, 10)}\u200b${G.slice(10)}`, ['removed zero-width characters from id']],
    [`\u200e${G}\u200f`, ['removed zero-width characters from id']], // LRM / RLM from right-to-left exports
    [`\u2066{${G}}\u2069`, ['removed zero-width characters from id', 'removed braces around id']], // bidi isolates
    [`\u202b${G}\u202c`, ['removed zero-width characters from id']], // bidi embedding
    [`{ ${G} }`, ['removed braces around id', 'trimmed whitespace around id']],
  ])('%j → canonical key, notes %j', (raw, notes) => {
    expect(normaliseKey(raw)).toEqual({ key: G, notes });
  });

  it('names the column in notes', () => {
    expect(normaliseKey(`{${G}}`, 'deviceId')).toEqual({ key: G, notes: ['removed braces around deviceId'] });
  });

  it.each([
    ['not-a-guid', /is not a GUID/],
    [G.slice(0, -1), /is not a GUID/],
    ['  ', /is empty/],
    ['{}', /is empty/],
    [`${G} x`, /is not a GUID/],
    [`{${G}`, /is not a GUID/],
  ])('%j → error', (raw, pattern) => {
    const result = normaliseKey(raw);
    expect('error' in result && result.error).toMatch(pattern);
  });
});

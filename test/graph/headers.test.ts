import { describe, expect, it } from 'vitest';
import { getHeader } from '../../src/graph/headers.js';

describe('getHeader', () => {
  it('fetch Headers, any case', () => {
    const h = new Headers({ 'Retry-After': '2.128', 'request-id': 'abc' });
    expect(getHeader(h, 'retry-after')).toBe('2.128');
    expect(getHeader(h, 'RETRY-AFTER')).toBe('2.128');
    expect(getHeader(h, 'Request-Id')).toBe('abc');
    expect(getHeader(h, 'x-missing')).toBeUndefined();
  });

  it('fetch Headers with repeated values joins them like fetch', () => {
    const h = new Headers();
    h.append('x-a', '1');
    h.append('x-a', '2');
    expect(getHeader(h, 'x-a')).toBe('1, 2');
  });

  it('fetch Headers with an invalid name → undefined, no throw', () => {
    expect(getHeader(new Headers(), 'bad name')).toBeUndefined();
  });

  it.each([
    [{ 'Retry-After': '5' }, '5'],
    [{ 'retry-after': '5' }, '5'],
    [{ 'RETRY-AFTER': '5' }, '5'],
    [{ 'rEtRy-AfTeR': ['7', '8'] }, '7'],
    [{ 'Retry-After': [] as string[] }, undefined],
    [{ 'Retry-After': undefined }, undefined],
    [{ 'Retry-After': undefined, 'retry-after': '9' }, '9'],
    [{ other: '1' }, undefined],
    [{}, undefined],
  ])('plain object %j → %j', (h, expected) => {
    expect(getHeader(h, 'Retry-After')).toBe(expected);
  });

  it('undefined / null bag', () => {
    expect(getHeader(undefined, 'x')).toBeUndefined();
    expect(getHeader(null as unknown as undefined, 'x')).toBeUndefined();
  });

  it('a numeric value from JSON is stringified', () => {
    expect(getHeader({ 'Retry-After': 3 } as unknown as Record<string, string>, 'retry-after')).toBe('3');
  });

  it('a plain object with a header literally named "get" is still a plain object', () => {
    expect(getHeader({ get: 'x', 'Retry-After': '1' }, 'retry-after')).toBe('1');
    expect(getHeader({ get: 'x' }, 'GET')).toBe('x');
  });
});

/** The emulator's OData $filter parser and the device filter built on it (docs/graph-behaviour.md §5). */
import { describe, expect, it } from 'vitest';
import { compileDeviceFilter } from '../../src/emulator/device-filter.js';
import type { Device } from '../../src/emulator/device-model.js';
import { FilterSyntaxError, parseFilter, tokenize } from '../../src/emulator/odata-filter.js';

const ext = (values: Record<string, string> = {}): Record<string, string | null> => ({
  ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`extensionAttribute${i + 1}`, null])),
  ...values,
});

const device = (over: Partial<Device> & { n: number }): Device => ({
  id: `11111111-1111-4111-8111-${String(over.n).padStart(12, '0')}`,
  deviceId: `dddddddd-dddd-4ddd-8ddd-${String(over.n).padStart(12, '0')}`,
  displayName: `WKS-${over.n}`,
  operatingSystem: 'Windows',
  accountEnabled: true,
  approximateLastSignInDateTime: '2025-05-01T00:00:00Z',
  physicalIds: [],
  extensionAttributes: ext(),
  ...over,
});

const DEVICES: Device[] = [
  device({ n: 1 }),
  device({ n: 2, displayName: 'LT-PAR-2', accountEnabled: false, approximateLastSignInDateTime: '2024-01-01T00:00:00Z' }),
  device({ n: 3, operatingSystem: 'iOS', approximateLastSignInDateTime: null }),
  device({ n: 4, physicalIds: ['[HWID]:h:1', '[ZTDID]:5ab5c1f1-0000-4000-8000-000000000001'] }),
  device({ n: 5, extensionAttributes: ext({ extensionAttribute3: 'Kiosk' }), onPremisesSyncEnabled: true }),
  device({ n: 6, displayName: "O'Brien's PC", operatingSystem: 'windows' }),
];

/** The device numbers a filter keeps, or the Graph error it gets. */
function run(text: string): number[] | { status: number; code: string; message: string } {
  const r = compileDeviceFilter(text);
  if (!r.ok) return r.error;
  return DEVICES.filter(r.filter.test).map((d) => Number(d.id.slice(-12)));
}

describe('tokenize / parseFilter', () => {
  it('strings with doubled quotes, unquoted DateTimeOffset, numbers, punctuation', () => {
    const tokens = tokenize("displayName eq 'O''Brien' and x ge 2025-01-02T03:04:05Z or n eq -1.5");
    expect(tokens.map((t) => t.t)).toEqual([
      'ident',
      'ident',
      'string',
      'ident',
      'ident',
      'ident',
      'datetime',
      'ident',
      'ident',
      'ident',
      'number',
      'end',
    ]);
    expect(tokens[2]).toMatchObject({ v: "O'Brien" });
    expect(tokens[6]).toMatchObject({ ms: Date.UTC(2025, 0, 2, 3, 4, 5) });
  });

  it('precedence: not > and > or; parentheses; in lists; any lambdas; functions case-insensitive', () => {
    expect(parseFilter("a eq 'x' or b eq 'y' and not c eq true")).toEqual({
      type: 'or',
      left: { type: 'compare', op: 'eq', member: 'a', value: { kind: 'string', value: 'x' } },
      right: {
        type: 'and',
        left: { type: 'compare', op: 'eq', member: 'b', value: { kind: 'string', value: 'y' } },
        right: { type: 'not', operand: { type: 'compare', op: 'eq', member: 'c', value: { kind: 'boolean', value: true } } },
      },
    });
    expect(parseFilter("(a eq 1 or b eq 2) and c in ('p', 'q')")).toMatchObject({
      type: 'and',
      left: { type: 'or' },
      right: { type: 'in', values: [{ value: 'p' }, { value: 'q' }] },
    });
    expect(parseFilter("physicalIds/any(p:startsWith(p,'[ZTDID]'))")).toEqual({
      type: 'any',
      member: 'physicalIds',
      variable: 'p',
      predicate: { type: 'function', name: 'startswith', member: 'p', value: { kind: 'string', value: '[ZTDID]' } },
    });
    expect(parseFilter('extensionAttributes/extensionAttribute1 EQ null')).toEqual({
      type: 'compare',
      op: 'eq',
      member: 'extensionAttributes/extensionAttribute1',
      value: { kind: 'null' },
    });
  });

  it.each([
    ['', 'empty filter'],
    ["displayName eq 'x", 'unterminated string'],
    ['displayName eq', 'expected a literal'],
    ["displayName 'x'", 'expected an operator'],
    ["displayName eq 'x' extra", 'unexpected'],
    ["contains(displayName,'x')", "unknown function 'contains'"],
    ["physicalIds/all(p:p eq 'x')", "lambda operator 'all'"],
    ['displayName eq displayName', 'expected a literal'],
    ["(displayName eq 'x'", "expected ')'"],
    ["displayName eq 'x' & 1", "unexpected character '&'"],
  ])('syntax error for %j (%s)', (text, message) => {
    expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(text)).toThrow(message);
  });
});

describe('compileDeviceFilter: what Graph supports on devices', () => {
  it('eq: strings case-insensitive, GUIDs case-insensitive, booleans, eq null', () => {
    expect(run("operatingSystem eq 'WINDOWS'")).toEqual([1, 2, 4, 5, 6]);
    expect(run(`deviceId eq '${DEVICES[1]!.deviceId.toUpperCase()}'`)).toEqual([2]);
    expect(run('accountEnabled eq false')).toEqual([2]);
    expect(run('approximateLastSignInDateTime eq null')).toEqual([3]);
    expect(run("displayName eq 'O''Brien''s PC'")).toEqual([6]);
  });

  it('ge / le on dates (a device without a timestamp matches neither), startsWith, in, and/or', () => {
    expect(run('approximateLastSignInDateTime le 2025-01-01T00:00:00Z')).toEqual([2]);
    expect(run('approximateLastSignInDateTime ge 2025-01-01T00:00:00Z')).toEqual([1, 4, 5, 6]);
    expect(run("startswith(displayName,'lt-')")).toEqual([2]);
    expect(run("displayName in ('WKS-1', 'wks-4')")).toEqual([1, 4]);
    expect(run("operatingSystem eq 'iOS' or accountEnabled eq false")).toEqual([2, 3]);
    expect(
      run("operatingSystem eq 'Windows' and approximateLastSignInDateTime ge 2025-01-01T00:00:00Z and accountEnabled eq true"),
    ).toEqual([1, 4, 5, 6]);
  });

  it('physicalIds/any for Autopilot, extensionAttributes/extensionAttributeN, onPremisesSyncEnabled', () => {
    expect(run("physicalIds/any(p:startswith(p,'[ZTDID]'))")).toEqual([4]);
    expect(run("physicalIds/any(x:x eq '[HWID]:h:1')")).toEqual([4]);
    expect(run("extensionAttributes/extensionAttribute3 eq 'kiosk'")).toEqual([5]);
    expect(run('extensionAttributes/extensionAttribute3 eq null')).toEqual([1, 2, 3, 4, 6]);
    expect(run('onPremisesSyncEnabled eq true')).toEqual([5]);
  });

  it('ne, not and endsWith work and are reported as advanced (they need ConsistencyLevel: eventual)', () => {
    const r = compileDeviceFilter("accountEnabled ne true or not startswith(displayName,'WKS') or endswith(displayName,'PC')");
    expect(r.ok && r.filter.advanced).toEqual(['ne', 'not', 'endsWith']);
    expect(run('accountEnabled ne true')).toEqual([2]);
    expect(run("not startswith(displayName,'WKS')")).toEqual([2, 6]);
    expect(run("not(physicalIds/any(p:startswith(p,'[ZTDID]')))")).toEqual([1, 2, 3, 5, 6]);
    expect(run("endswith(displayName,'pc')")).toEqual([6]);
    expect(compileDeviceFilter("operatingSystem eq 'iOS'")).toMatchObject({ ok: true, filter: { advanced: [] } });
  });

  it.each([
    ["displayName gt 'A'", 'Request_UnsupportedQuery', "property 'displayName'"],
    ['accountEnabled ge true', 'Request_UnsupportedQuery', "property 'accountEnabled'"],
    ["startswith(trustType,'Azure')", 'Request_UnsupportedQuery', "property 'trustType'"],
    ["endswith(operatingSystem,'s')", 'Request_UnsupportedQuery', "property 'operatingSystem'"],
    ["extensionAttributes/extensionAttribute1 ne 'x'", 'Request_UnsupportedQuery', 'extensionAttribute1'],
    ["physicalIds eq '[ZTDID]:x'", 'Request_UnsupportedQuery', "property 'physicalIds'"],
    ["displayName/any(p:p eq 'x')", 'Request_UnsupportedQuery', "property 'displayName'"],
    ['registrationDateTime ge 2025-01-01T00:00:00Z', 'Request_BadRequest', "Could not find a property named 'registrationDateTime'"],
    ["colour eq 'red'", 'Request_BadRequest', "Could not find a property named 'colour'"],
    ["extensionAttributes/extensionAttribute16 eq 'x'", 'Request_BadRequest', 'extensionAttribute16'],
    ["accountEnabled eq 'true'", 'Request_BadRequest', "operand types 'Edm.Boolean' and 'Edm.String'"],
    ["approximateLastSignInDateTime le '2025-01-01T00:00:00Z'", 'Request_BadRequest', 'Edm.DateTimeOffset'],
    ["displayName eq 'x' and", 'BadRequest', 'Invalid filter clause'],
  ])('refuses %j with 400 %s', (text, code, message) => {
    const r = run(text);
    expect(r).toMatchObject({ status: 400, code });
    expect((r as { message: string }).message).toContain(message);
  });
});

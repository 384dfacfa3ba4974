import { describe, expect, it } from 'vitest';
import { decideRow } from '../../src/state/decide.js';
import { describeChanges, describeMissing, diffDevice } from '../../src/state/diff.js';
import type { DeviceState, DeviceUpdate } from '../../src/types.js';

const ID = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const state = (s: Partial<DeviceState> = {}): DeviceState => ({
  id: ID,
  operatingSystem: 'Windows',
  displayName: 'PC-1',
  accountEnabled: true,
  extensionAttributes: { extensionAttribute1: 'A', extensionAttribute2: null },
  ...s,
});
const update = (body: DeviceUpdate['body']): DeviceUpdate => ({ row: 7, key: ID, keyType: 'id', body, notes: [], columns: {} });

describe('diffDevice', () => {
  it('keeps only what differs, extension attributes one by one', () => {
    const d = diffDevice(
      { displayName: 'PC-1', accountEnabled: false, extensionAttributes: { extensionAttribute1: 'A', extensionAttribute2: 'x' } },
      state(),
    );
    expect(d.body).toEqual({ accountEnabled: false, extensionAttributes: { extensionAttribute2: 'x' } });
    expect(describeChanges(d.changes)).toBe('accountEnabled true → false; extensionAttribute2 null → "x"');
  });

  it('a clear of a set attribute is a change, of an unset one is not; strings compare exactly', () => {
    expect(diffDevice({ extensionAttributes: { extensionAttribute1: null, extensionAttribute2: null } }, state()).changes).toEqual([
      { property: 'extensionAttribute1', from: 'A', to: null },
    ]);
    expect(diffDevice({ displayName: 'pc-1' }, state()).changes).toEqual([{ property: 'displayName', from: 'PC-1', to: 'pc-1' }]);
  });

  it('a property the device has no value for differs from any value', () => {
    const d = diffDevice({ operatingSystemVersion: '10.0' }, state());
    expect(d.changes).toEqual([{ property: 'operatingSystemVersion', from: null, to: '10.0' }]);
    expect(describeMissing(d.changes)).toBe('operatingSystemVersion is null, expected "10.0"');
  });
});

describe('decideRow', () => {
  it('unchanged when at target, unless sendAll', () => {
    expect(decideRow(update({ displayName: 'PC-1' }), state(), { sendAll: false, appOnly: true })).toEqual({ kind: 'unchanged' });
    expect(decideRow(update({ displayName: 'PC-1' }), state(), { sendAll: true, appOnly: true })).toEqual({
      kind: 'write',
      body: { displayName: 'PC-1' },
      changes: [],
    });
  });

  it('app-only on a non-Windows device: anything but extension attributes is invalid, quoting the rule', () => {
    const ios = state({ operatingSystem: 'iOS' });
    const d = decideRow(update({ accountEnabled: false, extensionAttributes: { extensionAttribute2: 'x' } }), ios, {
      sendAll: false,
      appOnly: true,
    });
    expect(d.kind).toBe('invalid');
    expect(d.kind === 'invalid' && d.message).toMatch(
      /^row 7: accountEnabled cannot be changed .* operatingSystem is "iOS".*"Properties other than ExtendedAttribute1\.\.15 can be modified only on windows devices\."/,
    );
    // only what would be sent counts: an unchanged accountEnabled is not sent
    expect(
      decideRow(update({ accountEnabled: true, extensionAttributes: { extensionAttribute2: 'x' } }), ios, { sendAll: false, appOnly: true })
        .kind,
    ).toBe('write');
    // delegated, or unknown (opaque token): Graph decides
    expect(decideRow(update({ accountEnabled: false }), ios, { sendAll: false, appOnly: false }).kind).toBe('write');
    expect(decideRow(update({ accountEnabled: false }), ios, { sendAll: false, appOnly: undefined }).kind).toBe('write');
    // "windows" in any case is Windows
    expect(
      decideRow(update({ accountEnabled: false }), state({ operatingSystem: 'WINDOWS' }), { sendAll: false, appOnly: true }).kind,
    ).toBe('write');
  });
});

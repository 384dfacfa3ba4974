/**
 * Row validation: keys, booleans, strings, clearing, limits, duplicates, messages.
 */
import { describe, expect, it } from 'vitest';
import { createValidator, isInvalid, type ValidationResult } from '../../src/validate/index.js';
import type { DeviceUpdate, InvalidRow, ManifestRow } from '../../src/types.js';

const G1 = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const G2 = '309d6b79-965e-4a32-9ae4-45508201e2bd';

let nextRow = 0;
function row(fields: Record<string, unknown>, extra: Partial<ManifestRow> = {}): ManifestRow {
  nextRow++;
  const columns = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null ? '#clear' : String(v)]));
  return { row: nextRow, line: nextRow + 1, fields, columns, ...extra };
}
function valid(result: ValidationResult): DeviceUpdate {
  if (isInvalid(result)) throw new Error(`expected valid, got: ${result.message}`);
  return result;
}
function invalid(result: ValidationResult): InvalidRow {
  if (!isInvalid(result)) throw new Error(`expected invalid, got: ${JSON.stringify(result)}`);
  return result;
}

describe('keys', () => {
  it('canonicalises the key and reports the cleaning in notes', () => {
    const v = createValidator({ keyType: 'id' });
    const r = valid(v(row({ id: ` {${G1.toUpperCase()}}\u200b `, displayName: 'A' })));
    expect(r.key).toBe(G1);
    expect(r.keyType).toBe('id');
    expect(r.notes).toEqual([
      'removed zero-width characters from id',
      'trimmed whitespace around id',
      'removed braces around id',
      'lower-cased id',
    ]);
  });

  it('names row, column and value for a bad key', () => {
    const v = createValidator({});
    nextRow = 2;
    const r = invalid(v(row({ id: 'not-a-guid', displayName: 'A' })));
    expect(r.message).toMatch(/^row 3: id "not-a-guid" is not a GUID/);
    expect(r.key).toBe('not-a-guid');
    expect(r.keyType).toBe('id');
    expect(r.columns).toEqual({ id: 'not-a-guid', displayName: 'A' });
  });

  it('takes the key type per row; with both keys, id is the key and deviceId is kept to check; none is invalid', () => {
    const v = createValidator({ checksDeviceId: true });
    expect(valid(v(row({ deviceId: G1, displayName: 'A' }))).keyType).toBe('deviceId');
    const both = valid(v(row({ id: G1, deviceId: ` ${G2.toUpperCase()} `, displayName: 'A' })));
    expect([both.keyType, both.key, both.expectDeviceId]).toEqual(['id', G1, G2]);
    const cannotCheck = createValidator({});
    expect(invalid(cannotCheck(row({ id: G1, deviceId: G2, displayName: 'A' }))).message).toContain('empty one of them');
    expect(invalid(v(row({ id: G2, deviceId: 'nope', displayName: 'A' }))).message).toContain('deviceId "nope" is not a GUID');
    expect(invalid(v(row({ id: '', deviceId: '', displayName: 'A' }))).message).toContain('both id and deviceId are empty');
    expect(invalid(v(row({ displayName: 'A' }))).message).toContain('no key');
    expect(invalid(v(row({ id: '  ', displayName: 'A' }))).message).toContain('id is empty');
    expect(invalid(v(row({ id: 42, displayName: 'A' }))).message).toContain('id "42" is not a GUID (it is a number)');
  });

  it('the deprecated keyType option does not override the per-row key (JSON may mix id and deviceId)', () => {
    const v = createValidator({ keyType: 'id' });
    expect(valid(v(row({ deviceId: G1, displayName: 'A' }))).keyType).toBe('deviceId');
  });
});

describe('booleans', () => {
  it.each([
    ['TRUE', true],
    ['yes', true],
    [' 1 ', true],
    ['Yes', true],
    [true, true],
    ['false', false],
    ['NO', false],
    ['0', false],
    [false, false],
  ])('%j → %j', (value, expected) => {
    expect(valid(createValidator({})(row({ id: G1, accountEnabled: value }))).body).toEqual({ accountEnabled: expected });
  });

  it('rejects other values, naming them', () => {
    nextRow = 4;
    expect(invalid(createValidator({})(row({ id: G1, accountEnabled: 'maybe' }))).message).toBe(
      'row 5: accountEnabled "maybe" is not a boolean (use true/false, yes/no, 1/0)',
    );
    expect(invalid(createValidator({})(row({ id: G1, accountEnabled: 2 }))).message).toContain('accountEnabled "2" is not a boolean');
    expect(invalid(createValidator({})(row({ id: G1, accountEnabled: null }))).message).toContain('cannot be cleared');
  });

  it('isCompliant/isManaged only with allowMdmProperties', () => {
    expect(invalid(createValidator({})(row({ id: G1, isManaged: 'true' }))).message).toContain('only Intune or an approved MDM app');
    expect(valid(createValidator({ allowMdmProperties: true })(row({ id: G1, isManaged: 'no', isCompliant: true }))).body).toEqual({
      isCompliant: true,
      isManaged: false,
    });
  });
});

describe('strings and clearing', () => {
  it('sends inner text as written, trims around it (noted), sends nothing for empty cells', () => {
    const r = valid(createValidator({})(row({ id: G1, displayName: '  Lab  PC, "2"  ', operatingSystem: '', extensionAttribute4: ' ' })));
    expect(r.body).toEqual({ displayName: 'Lab  PC, "2"' });
    expect(r.notes).toEqual(['trimmed whitespace around displayName']);
  });

  it('the clear token (any case) and JSON null clear extension attributes', () => {
    const r = valid(
      createValidator({})(row({ id: G1, extensionAttribute1: '#CLEAR', extensionAttribute15: null, extensionAttribute2: 'x' })),
    );
    expect(r.body).toEqual({ extensionAttributes: { extensionAttribute1: null, extensionAttribute2: 'x', extensionAttribute15: null } });
  });

  it('a custom clear token replaces #clear', () => {
    const v = createValidator({ clearToken: '<empty>' });
    expect(valid(v(row({ id: G1, extensionAttribute1: '<EMPTY>' }))).body).toEqual({ extensionAttributes: { extensionAttribute1: null } });
    expect(valid(v(row({ id: G2, extensionAttribute1: '#clear' }))).body).toEqual({
      extensionAttributes: { extensionAttribute1: '#clear' },
    });
  });

  it('clearing anything but an extension attribute is invalid, saying why', () => {
    expect(invalid(createValidator({})(row({ id: G1, displayName: '#clear' }))).message).toContain(
      'displayName "#clear": only extension attributes can be cleared',
    );
    expect(invalid(createValidator({})(row({ id: G1, operatingSystem: null }))).message).toContain(
      'only extension attributes can be cleared',
    );
  });

  it('a non-string JSON value for a string property is invalid', () => {
    expect(invalid(createValidator({})(row({ id: G1, extensionAttribute3: 5 }))).message).toContain('extensionAttribute3 "5" is a number');
  });
});

describe('length limits', () => {
  it.each([
    ['displayName', 256],
    ['operatingSystem', 256],
    ['operatingSystemVersion', 256],
    ['extensionAttribute7', 1024],
  ])('%s: %i characters pass, one more is invalid with the length', (name, max) => {
    const v = createValidator({ allowDuplicates: true });
    expect(valid(v(row({ id: G1, [name]: 'x'.repeat(max) }))).notes).toEqual([]);
    expect(invalid(v(row({ id: G1, [name]: 'x'.repeat(max + 1) }))).message).toContain(
      `is ${max + 1} characters long; the limit is ${max}`,
    );
  });
});

describe('whole rows', () => {
  it('nothing to update', () => {
    nextRow = 3;
    const r = invalid(createValidator({})(row({ id: G1, displayName: '', extensionAttribute1: '' })));
    expect(r.message).toBe('row 4: nothing to update: every column other than the key is empty');
    expect(r.key).toBe(G1);
  });

  it('a reader error makes the row invalid with that message', () => {
    nextRow = 1;
    const r = invalid(
      createValidator({})(row({ id: G1, displayName: 'A' }, { error: 'line 3 has 3 fields but the header has 2 columns' })),
    );
    expect(r.message).toBe('row 2: line 3 has 3 fields but the header has 2 columns');
    expect(r.key).toBe(G1);
  });

  it('reports every problem of a row', () => {
    const r = invalid(createValidator({})(row({ id: 'x', accountEnabled: 'maybe', displayName: '#clear' })));
    expect(r.message).toMatch(/id "x" is not a GUID.*; accountEnabled "maybe" is not a boolean.*; displayName "#clear"/);
  });

  it('an unknown field is invalid (defence in depth)', () => {
    expect(invalid(createValidator({})(row({ id: G1, displayName: 'A', deviceOwnership: 'Company' }))).message).toContain(
      'unknown column "deviceOwnership"',
    );
  });

  it('orders the body: properties, then extension attributes by number', () => {
    const r = valid(
      createValidator({})(row({ extensionAttribute10: 'b', id: G1, extensionAttribute2: 'a', displayName: 'D', accountEnabled: 'yes' })),
    );
    expect(JSON.stringify(r.body)).toBe(
      '{"accountEnabled":true,"displayName":"D","extensionAttributes":{"extensionAttribute2":"a","extensionAttribute10":"b"}}',
    );
  });
});

describe('duplicates', () => {
  it('a later row for the same device is invalid "duplicate of row N", case- and brace-insensitive', () => {
    const v = createValidator({});
    nextRow = 0;
    valid(v(row({ id: G1, displayName: 'A' })));
    valid(v(row({ id: G2, displayName: 'B' })));
    const dup = invalid(v(row({ id: `{${G1.toUpperCase()}}`, displayName: 'C' })));
    expect(dup.message).toBe(`row 3: duplicate of row 1 (same id ${G1})`);
    expect(dup.key).toBe(G1);
  });

  it('an invalid earlier row does not make a later one a duplicate', () => {
    const v = createValidator({});
    nextRow = 0;
    invalid(v(row({ id: G1, accountEnabled: 'maybe' })));
    expect(valid(v(row({ id: G1, accountEnabled: 'true' }))).row).toBe(2);
  });

  it('allowDuplicates lets every row through', () => {
    const v = createValidator({ allowDuplicates: true });
    valid(v(row({ id: G1, displayName: 'A' })));
    valid(v(row({ id: G1, displayName: 'B' })));
  });

  it('the same GUID as id and as deviceId are different devices', () => {
    const v = createValidator({});
    valid(v(row({ id: G1, displayName: 'A' })));
    valid(v(row({ deviceId: G1, displayName: 'B' })));
  });
});

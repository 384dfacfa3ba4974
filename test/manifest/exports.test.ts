/**
 * Manifests as real exports write them (test/cases A01–A06): Windows PowerShell 5.1's `#TYPE` line,
 * Excel's padded header, the Entra portal's and `Get-MgDevice | Export-Csv`'s read-only columns and
 * both keys, `objectId`, and keys Excel has turned into numbers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inspectManifest } from '../../src/manifest/index.js';
import { createValidator, isInvalid, type ValidationResult } from '../../src/validate/index.js';
import { casePath, manifestError, readAll, tempDir, validateAll } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const G1 = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const G2 = '309d6b79-965e-4a32-9ae4-45508201e2bd';

const outcome = (r: ValidationResult) => (isInvalid(r) ? `invalid: ${r.message}` : `valid ${r.keyType} ${r.key}`);

describe('A01 Windows PowerShell 5.1 Export-Csv', () => {
  it('skips the #TYPE line as Import-Csv does; the header is on line 2 and both rows are valid', async () => {
    const { info, rows, results } = await validateAll(casePath('A01-ps51-type-line.csv'));
    expect(info.columns).toEqual(['id', 'extensionAttribute1']);
    expect(info.rowCount).toBe(2);
    expect(rows.map((r) => r.line)).toEqual([3, 4]);
    expect(results.map(outcome)).toEqual([`valid id ${G1}`, `valid id ${G2}`]);
  });

  it('only one #TYPE line is skipped: a second one is taken for the header (refused)', async () => {
    const err = await manifestError(inspectManifest(tmp.write('two-types.csv', `#TYPE A\n#TYPE B\nid\n${G1}\n`)));
    expect(err.message).toContain('"#TYPE B"');
    expect(err.line).toBe(2);
  });

  it('the counting first pass and the full parse agree on a #TYPE file with unquoted header', async () => {
    const file = tmp.write(
      'type-plain.csv',
      `#TYPE System.Management.Automation.PSCustomObject\nid,displayName\n${G1},"a ""b"""\n${G2},c\n`,
    );
    const { info, rows } = await readAll(file);
    expect(info.rowCount).toBe(2);
    expect(rows.map((r) => r.fields.displayName)).toEqual(['a "b"', 'c']);
  });
});

describe('A02 Excel pads the header with empty cells', () => {
  it('empty trailing header cells are dropped; a value under one makes that row invalid, naming the column', async () => {
    const { info, results } = await validateAll(casePath('A02-excel-padded-header.csv'));
    expect(info.columns).toEqual(['id', 'extensionAttribute3']);
    expect(info.delimiter).toBe(';');
    expect(results.map(outcome).slice(0, 2)).toEqual([`valid id ${G1}`, `valid id ${G2}`]);
    const third = results[2]!;
    expect(isInvalid(third)).toBe(true);
    expect(outcome(third)).toContain('column 4 has no name in the header (line 1) but holds "ask Sam first" on line 4');
  });

  it('an empty header cell between named ones is still refused', async () => {
    const err = await manifestError(inspectManifest(tmp.write('gap.csv', `id;;displayName;;\n${G1};;A;;\n`)));
    expect(err.message).toContain('column 2 has no name');
  });
});

describe('A03 the Entra portal\'s "Download devices" CSV', () => {
  it('without the option: refused, naming the read-only columns and the option that skips them', async () => {
    const err = await manifestError(inspectManifest(casePath('A03-portal-export.csv')));
    expect(err.message).toContain('unknown column "joinType (trustType)"');
    expect(err.message).toContain('unknown column "approximateLastSignInDateTime"');
    expect(err.message).toContain('column "isCompliant" can only be set by Intune');
    expect(err.message).toContain('--ignore-read-only-columns');
    expect(err.message).not.toContain('"objectId"');
  });

  it('with ignoreReadOnlyColumns: objectId is the id, read-only and MDM columns are named and skipped', async () => {
    const { info, rows, results } = await validateAll(casePath('A03-portal-export.csv'), {
      ignoreReadOnlyColumns: true,
      checksDeviceId: true,
    });
    expect(info.keyTypes).toEqual(['id', 'deviceId']);
    expect(info.ignoredColumns).toEqual([
      'joinType (trustType)',
      'registrationTime',
      'approximateLastSignInDateTime',
      'isCompliant',
      'isManaged',
      'mdmDisplayName',
    ]);
    expect(info.columns).toEqual([
      'objectId',
      'displayName',
      'accountEnabled',
      'deviceId',
      'operatingSystem',
      'operatingSystemVersion',
      'extensionAttribute1',
    ]);
    expect(Object.keys(rows[0]!.columns)).toEqual(info.columns);
    const second = results[1]!;
    if (isInvalid(second)) throw new Error(second.message);
    expect(second).toMatchObject({ key: G2, keyType: 'id', expectDeviceId: '79cb9e86-830c-41c2-8dcc-69292f45e678' });
    expect(second.body).toEqual({
      accountEnabled: false,
      displayName: 'LAB-PC-001',
      operatingSystem: 'Windows',
      operatingSystemVersion: '10.0.22631',
      extensionAttributes: { extensionAttribute1: 'Retired' },
    });
  });

  it('a name that only spells an updatable property differently is still refused under the option', async () => {
    const file = tmp.write('misspelt.csv', `id,extension_attribute_1,trustType\n${G1},A,AzureAd\n`);
    const err = await manifestError(inspectManifest(file, { ignoreReadOnlyColumns: true }));
    expect(err.message).toContain('"extension_attribute_1"');
    expect(err.message).not.toContain('trustType');
  });

  it('JSON rows: read-only keys skipped and listed, objectId is the id', async () => {
    const file = tmp.write(
      'portal.json',
      JSON.stringify([
        { objectId: G1, trustType: 'AzureAd', displayName: 'A' },
        { id: G2, model: 'x', displayName: 'B' },
      ]),
    );
    const { info, results } = await validateAll(file, { ignoreReadOnlyColumns: true });
    expect(info.ignoredColumns).toEqual(['trustType', 'model']);
    expect(results.map(outcome)).toEqual([`valid id ${G1}`, `valid id ${G2}`]);
  });
});

describe('A04 Get-MgDevice | Export-Csv (PowerShell 7)', () => {
  it('PascalCase columns match; type names of nested values are skipped as read-only columns', async () => {
    const { info, results } = await validateAll(casePath('A04-get-mgdevice-export.csv'), {
      ignoreReadOnlyColumns: true,
      checksDeviceId: true,
    });
    expect(info.columns).toEqual(['AccountEnabled', 'DeviceId', 'DisplayName', 'Id', 'OperatingSystem', 'OperatingSystemVersion']);
    expect(info.ignoredColumns).toContain('ExtensionAttributes');
    expect(info.ignoredColumns).toContain('AdditionalProperties');
    expect(results.map(outcome)).toEqual([`valid id ${G1}`, `valid id ${G2}`]);
    const second = results[1]!;
    if (isInvalid(second)) throw new Error(second.message);
    expect(second.body.accountEnabled).toBe(false);
  });
});

describe('A05 id and deviceId columns together', () => {
  it('per row the filled key is used; both filled: id, with deviceId kept to check; neither: invalid', async () => {
    const { info, results } = await validateAll(casePath('A05-mixed-keys.csv'), { checksDeviceId: true });
    expect(info.keyTypes).toEqual(['id', 'deviceId']);
    expect(results.map(outcome)).toEqual([
      `valid id ${G1}`,
      'valid deviceId 79cb9e86-830c-41c2-8dcc-69292f45e678',
      'valid id 2fa91425-cb00-4853-9d2c-67eda13ffe79',
      'valid id 320094ea-d7a9-4ded-9749-1e2370c6a5b8',
      'invalid: row 5: both id and deviceId are empty',
    ]);
    expect(results.map((r) => (isInvalid(r) ? undefined : r.expectDeviceId))).toEqual([
      undefined,
      undefined,
      '244caf9c-4dab-4481-b253-edc618187993',
      '6822a6b2-4735-4f1c-a7a1-149075139237',
      undefined,
    ]);
  });
});

describe('A06 keys that are not a device: the all-zero GUID and numbers Excel made of GUIDs', () => {
  it('are invalid with a hint; the good row is valid', async () => {
    const { results } = await validateAll(casePath('A06-excel-mangled-guids.csv'));
    const [good, zero, scientific, digits] = results.map(outcome);
    expect(good).toBe(`valid id ${G1}`);
    expect(zero).toContain('row 2: id "00000000-0000-0000-0000-000000000000" is the all-zero GUID, a placeholder');
    expect(scientific).toContain('row 3: id "1.23457E+18" is not a GUID');
    expect(scientific).toContain('a number Excel converted the GUID into');
    expect(digits).toContain('row 4: id "309544851253000000" is not a GUID');
    expect(digits).toContain('a number Excel converted');
  });

  it('a JSON number as key gets the same hint; a word does not', () => {
    const v = createValidator();
    const r = v({ row: 1, line: 2, fields: { id: 1.23457e18, displayName: 'A' }, columns: {} });
    expect(outcome(r)).toContain('(it is a number): it looks like a number Excel converted');
    const w = v({ row: 2, line: 3, fields: { id: 'PC-042', displayName: 'A' }, columns: {} });
    expect(outcome(w)).not.toContain('Excel');
  });
});

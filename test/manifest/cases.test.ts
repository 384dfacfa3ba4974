/**
 * The field cases of test/cases that concern reading and validating manifests
 * (H01, H02 ×2, H03, H04, H07, H09, H11, H12), read straight from the shared folder.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError, inspectManifest } from '../../src/manifest/index.js';
import { isInvalid, type ValidationResult } from '../../src/validate/index.js';
import type { DeviceUpdate, InvalidRow } from '../../src/types.js';
import { casePath, readAll, rejection, tempDir, validateAll } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function valid(result: ValidationResult | undefined): DeviceUpdate {
  if (result === undefined || isInvalid(result)) throw new Error(`expected a valid row, got ${JSON.stringify(result)}`);
  return result;
}
function invalid(result: ValidationResult | undefined): InvalidRow {
  if (result === undefined || !isInvalid(result)) throw new Error(`expected an invalid row, got ${JSON.stringify(result)}`);
  return result;
}

describe('H01 UTF-8 with BOM', () => {
  it('reads the first header as "id", not "\\uFEFFid", and all 3 rows are valid', async () => {
    const { info, rows, results } = await validateAll(casePath('H01-bom.csv'));
    expect(info.bom).toBe(true);
    expect(info.encoding).toBe('utf-8');
    expect(info.columns).toEqual(['id', 'extensionAttribute1']);
    expect(info.keyType).toBe('id');
    expect(info.rowCount).toBe(3);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(Object.keys(rows[0]!.columns)).toEqual(['id', 'extensionAttribute1']);
    expect(results.map((r) => valid(r).key)).toEqual([
      'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
      '309d6b79-965e-4a32-9ae4-45508201e2bd',
      '2fa91425-cb00-4853-9d2c-67eda13ffe79',
    ]);
    for (const r of results) expect(valid(r).body).toEqual({ extensionAttributes: { extensionAttribute1: 'Finance' } });
  });

  it('a manifest without a key column stops with an error naming the columns it found', async () => {
    const original = readFileSync(casePath('H01-bom.csv'));
    const renamed = Buffer.from(original.toString('utf8').replace('id,', 'name,'), 'utf8');
    const file = tmp.write('H01-no-key.csv', renamed);
    const err = await rejection(inspectManifest(file));
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).line).toBe(1);
    expect(err.message).toContain('H01-no-key.csv line 1');
    expect(err.message).toContain('no key column');
    expect(err.message).toContain('found columns: name, extensionAttribute1');
  });
});

describe('H02 semicolons', () => {
  it('takes the delimiter from the sep= line; "Lab, Floor 2" stays whole; an empty cell is not sent', async () => {
    const { info, rows, results } = await validateAll(casePath('H02-semicolon-sep-line.csv'));
    expect(info.delimiter).toBe(';');
    expect(info.delimiterSource).toBe('sep-line');
    expect(info.columns).toEqual(['id', 'displayName', 'extensionAttribute2']);
    expect(rows.map((r) => r.line)).toEqual([3, 4]);
    expect(rows[0]!.fields.displayName).toBe('Lab, Floor 2');
    expect(valid(results[0]).body).toEqual({
      displayName: 'Lab, Floor 2',
      extensionAttributes: { extensionAttribute2: 'B-12' },
    });
    const second = valid(results[1]);
    expect(second.body).toEqual({ displayName: 'Kiosk 7' });
    expect(second.body.extensionAttributes).toBeUndefined();
  });

  it('detects ";" from the header without a sep= line and never splits "3,5"', async () => {
    const { info, rows, results } = await validateAll(casePath('H02-semicolon-no-sep-line.csv'));
    expect(info.delimiter).toBe(';');
    expect(info.delimiterSource).toBe('detected');
    expect(info.keyType).toBe('deviceId');
    expect(rows[0]!.fields.extensionAttribute2).toBe('3,5');
    expect(rows[0]!.columns).toEqual({ deviceId: '244caf9c-4dab-4481-b253-edc618187993', extensionAttribute2: '3,5' });
    expect(valid(results[0]).body).toEqual({ extensionAttributes: { extensionAttribute2: '3,5' } });
    expect(valid(results[1]).body).toEqual({ extensionAttributes: { extensionAttribute2: 'Room 4' } });
  });

  it('an explicit delimiter option gives the same result', async () => {
    const { info, rows } = await readAll(casePath('H02-semicolon-no-sep-line.csv'), { delimiter: ';' });
    expect(info.delimiterSource).toBe('option');
    expect(rows[0]!.fields.extensionAttribute2).toBe('3,5');
  });

  it('an ambiguous header stops with a clear error before any row is read', async () => {
    const file = tmp.write('ambiguous.csv', 'id,displayName;extensionAttribute2\n1,2;3\n');
    const err = await rejection(inspectManifest(file));
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.message).toContain('cannot tell the delimiter');
    expect(err.message).toContain('delimiter option');
  });
});

describe('H03 CRLF, whitespace, case, bad GUIDs', () => {
  it('rows 1–2 valid (trimmed, lower-cased), rows 3–4 invalid naming column and value', async () => {
    const { rows, results } = await validateAll(casePath('H03-crlf-whitespace.csv'));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    expect(rows[3]!.fields.displayName).toBe('PC D'); // no stray \r
    const one = valid(results[0]);
    expect(one.key).toBe('db5b5fab-8f4d-4e27-9da1-494c73cf256d');
    expect(one.notes).toContain('trimmed whitespace around id');
    expect(one.body).toEqual({ displayName: 'PC A' });
    const two = valid(results[1]);
    expect(two.key).toBe('309d6b79-965e-4a32-9ae4-45508201e2bd');
    expect(two.notes).toEqual(expect.arrayContaining(['trimmed whitespace around id', 'lower-cased id']));
    expect(two.body).toEqual({ displayName: 'PC B' });
    const three = invalid(results[2]);
    expect(three.message).toMatch(/^row 3: id "not-a-guid" is not a GUID/);
    expect(three.keyType).toBe('id');
    const four = invalid(results[3]);
    expect(four.message).toMatch(/^row 4: id "2fa91425-cb00-4853-9d2c-67eda13ffe7" is not a GUID/);
    expect(four.columns).toEqual({ id: '2fa91425-cb00-4853-9d2c-67eda13ffe7', displayName: 'PC D' });
  });
});

describe('H04 deviceId key', () => {
  it('uses deviceId as the key type for every row', async () => {
    const { info, results } = await validateAll(casePath('H04-device-id.csv'));
    expect(info.keyType).toBe('deviceId');
    expect(info.keyTypes).toEqual(['deviceId']);
    expect(results.map((r) => valid(r).keyType)).toEqual(['deviceId', 'deviceId']);
    expect(valid(results[0]).key).toBe('73ab4876-7734-47c1-87fd-e805ec99108d');
    expect(valid(results[0]).body).toEqual({ extensionAttributes: { extensionAttribute5: 'Ring1' } });
  });
});

describe('H07 MDM and unknown columns', () => {
  it('stops before any row: deviceOwnership is unknown (allowed columns listed), isCompliant refused', async () => {
    const err = await rejection(inspectManifest(casePath('H07-mdm-columns.csv')));
    expect(err).toBeInstanceOf(ManifestError);
    const e = err as ManifestError;
    expect(e.line).toBe(1);
    expect(e.message).toContain('H07-mdm-columns.csv line 1');
    expect(e.message).toContain('unknown column "deviceOwnership"');
    expect(e.message).toContain('allowed columns: id, deviceId, accountEnabled, displayName, operatingSystem');
    expect(e.message).toContain('extensionAttribute15');
    expect(e.message).toContain('"isCompliant" can only be set by Intune or an approved MDM app');
    expect(e.message).toContain('allowMdmProperties');
  });

  it('with allowMdmProperties, deviceOwnership still stops the run', async () => {
    const err = await rejection(inspectManifest(casePath('H07-mdm-columns.csv'), { allowMdmProperties: true }));
    expect(err.message).toContain('unknown column "deviceOwnership"');
    expect(err.message).not.toContain('only be set by Intune');
    expect(err.message).toContain('isCompliant, isManaged'); // now among the allowed columns
  });

  it('isCompliant alone is refused unless allowed, then sent as a boolean', async () => {
    const file = tmp.write('H07-only-mdm.csv', 'id,isCompliant\ndb5b5fab-8f4d-4e27-9da1-494c73cf256d,true\n');
    const err = await rejection(inspectManifest(file));
    expect(err.message).toContain('only be set by Intune');
    const { results } = await validateAll(file, { allowMdmProperties: true });
    expect(valid(results[0]).body).toEqual({ isCompliant: true });
  });
});

describe('H09 booleans', () => {
  it('TRUE/no/0 → true/false/false; empty → nothing to update; maybe → invalid', async () => {
    const { results } = await validateAll(casePath('H09-booleans.csv'));
    expect(valid(results[0]).body).toEqual({ accountEnabled: true });
    expect(valid(results[1]).body).toEqual({ accountEnabled: false });
    expect(valid(results[2]).body).toEqual({ accountEnabled: false });
    const empty = invalid(results[3]);
    expect(empty.message).toMatch(/^row 4: nothing to update/);
    expect(empty.key).toBe('320094ea-d7a9-4ded-9749-1e2370c6a5b8');
    expect(invalid(results[4]).message).toBe('row 5: accountEnabled "maybe" is not a boolean (use true/false, yes/no, 1/0)');
  });
});

describe('H11 nested JSON', () => {
  it('flattens extensionAttributes, null clears, the deviceId row is keyed by deviceId', async () => {
    const { info, rows, results } = await validateAll(casePath('H11-nested.json'));
    expect(info.format).toBe('json');
    expect(info.rowCount).toBe(2);
    expect(info.keyTypes).toEqual(['id', 'deviceId']);
    expect(info.columns).toEqual(['id', 'extensionAttribute1', 'extensionAttribute2', 'deviceId', 'displayName']);
    expect(rows.map((r) => r.line)).toEqual([2, 9]);
    expect(rows[0]!.fields).toEqual({
      id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
      extensionAttribute1: 'Sales',
      extensionAttribute2: null,
    });
    expect(rows[0]!.columns).toEqual({
      id: 'db5b5fab-8f4d-4e27-9da1-494c73cf256d',
      extensionAttribute1: 'Sales',
      extensionAttribute2: '#clear',
    });
    const first = valid(results[0]);
    expect(first.keyType).toBe('id');
    expect(first.body).toEqual({ extensionAttributes: { extensionAttribute1: 'Sales', extensionAttribute2: null } });
    const second = valid(results[1]);
    expect(second.keyType).toBe('deviceId');
    expect(second.key).toBe('79cb9e86-830c-41c2-8dcc-69292f45e678');
    expect(second.body).toEqual({ displayName: 'Reception' });
  });

  it('gives the same result as the flat CSV form', async () => {
    const csv = tmp.write(
      'H11-flat.csv',
      'id,extensionAttribute1,extensionAttribute2\ndb5b5fab-8f4d-4e27-9da1-494c73cf256d,Sales,#clear\n',
    );
    const json = await validateAll(casePath('H11-nested.json'));
    const flat = await validateAll(csv);
    expect(valid(flat.results[0]).body).toEqual(valid(json.results[0]).body);
    expect(flat.rows[0]!.columns).toEqual(json.rows[0]!.columns);
  });
});

describe('H12 JSON Lines', () => {
  it('streams the 3 lines as 3 valid rows', async () => {
    const { info, rows, results } = await validateAll(casePath('H12-rows.jsonl'));
    expect(info.format).toBe('jsonl');
    expect(info.rowCount).toBe(3);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3]);
    for (const r of results) expect(valid(r).body).toEqual({ extensionAttributes: { extensionAttribute9: 'wave-2' } });
  });

  it('a malformed line is invalid with its line number; the other lines still run', async () => {
    const lines = readFileSync(casePath('H12-rows.jsonl'), 'utf8').trimEnd().split('\n');
    const file = tmp.write(
      'H12-malformed.jsonl',
      [lines[0], '{"id": "15c1d2df-a996-4aef-812d-0ea67ff12229", "extensionAttribute9": wave-2}', '', lines[1], '[1, 2]', lines[2]].join(
        '\n',
      ) + '\n',
    );
    const { info, rows, results } = await validateAll(file);
    expect(info.rowCount).toBe(5);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4, 5, 6]);
    expect(results.map((r) => isInvalid(r))).toEqual([false, true, false, true, false]);
    expect(invalid(results[1]).message).toMatch(/^row 2: line 2 is not valid JSON/);
    expect(invalid(results[3]).message).toBe('row 4: line 5 is an array, not a JSON object');
  });
});

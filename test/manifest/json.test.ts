/**
 * JSON array and JSON Lines manifests.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inspectManifest } from '../../src/manifest/index.js';
import { jsonArrayElements } from '../../src/manifest/json-array.js';
import { findDuplicateKey } from '../../src/manifest/json-row.js';
import { isInvalid } from '../../src/validate/index.js';
import { manifestError, readAll, tempDir, validateAll } from './helpers.js';

const G1 = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const G2 = '309d6b79-965e-4a32-9ae4-45508201e2bd';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function elements(pieces: string[]): Promise<{ text: string; line: number; index: number }[]> {
  async function* gen(): AsyncGenerator<string> {
    yield* pieces;
  }
  const out = [];
  for await (const e of jsonArrayElements('t.json', gen())) out.push(e);
  return out;
}

describe('jsonArrayElements', () => {
  it('splits elements whose strings contain braces, brackets, escaped quotes and backslashes', async () => {
    const text = '[\n {"a": "} ] \\" {", "b": [1, {"c": "\\\\"}]},\n {"d": "x"}\n]\n';
    const out = await elements([text]);
    expect(out.map((e) => JSON.parse(e.text))).toEqual([{ a: '} ] " {', b: [1, { c: '\\' }] }, { d: 'x' }]);
    expect(out.map((e) => e.line)).toEqual([2, 3]);
  });

  it('gives the same elements whatever the piece boundaries', async () => {
    const text = '[{"a":"x\\"}"},{"b":{"c":[1,2]}} , {"d":"\\\\"}]';
    const whole = await elements([text]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(await elements([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    expect(await elements([...text])).toEqual(whole);
  });

  it('accepts an empty array', async () => {
    expect(await elements([' [ ] '])).toEqual([]);
  });

  it.each([
    ['not an array', '{"id": "x"}', /not a JSON array.*jsonl/],
    ['element not an object', '[{"a":1}, 2]', /element 2 is not an object/],
    ['trailing comma', '[{"a":1},]', /trailing comma/],
    ['missing comma', '[{"a":1} {"b":2}]', /expected "," or "]" after element 1/],
    ['text after ]', '[{"a":1}] x', /after the closing "]"/],
    ['unclosed array', '[{"a":1}', /before the array is closed/],
    ['unclosed element', '[{"a":"1}]', /ends inside element 1/],
    ['empty', '  ', /the file is empty/],
  ])('%s is a ManifestError', async (_name, text, pattern) => {
    const err = await manifestError(elements([text]));
    expect(err.message).toMatch(pattern);
  });
});

describe('JSON manifests', () => {
  it('matches keys case-insensitively, flattens nested attributes, keeps JSON types in fields', async () => {
    const file = tmp.write(
      'types.json',
      JSON.stringify([{ ID: G1, AccountEnabled: false, ExtensionAttributes: { extensionattribute3: 'x' } }], null, 1),
    );
    const { info, rows, results } = await validateAll(file);
    expect(info.columns).toEqual(['ID', 'AccountEnabled', 'extensionattribute3']);
    expect(rows[0]!.fields).toEqual({ id: G1, accountEnabled: false, extensionAttribute3: 'x' });
    expect(rows[0]!.columns).toEqual({ ID: G1, AccountEnabled: 'false', extensionattribute3: 'x' });
    expect(results[0]).toMatchObject({ key: G1, body: { accountEnabled: false, extensionAttributes: { extensionAttribute3: 'x' } } });
  });

  it('writes the clear token into columns for null', async () => {
    const file = tmp.write('clear.json', JSON.stringify([{ id: G1, extensionAttribute1: null }]));
    const { rows } = await readAll(file, { clearToken: '<clear>' });
    expect(rows[0]!.columns).toEqual({ id: G1, extensionAttribute1: '<clear>' });
  });

  it('an invalid element is a ManifestError with its line', async () => {
    const file = tmp.write('bad-element.json', `[\n{"id": "${G1}"},\n{"id": }\n]`);
    const err = await manifestError(inspectManifest(file));
    expect(err.line).toBe(3);
    expect(err.message).toContain('element 2 is not valid JSON');
  });

  it('an unknown key stops the run, naming it, its line and the allowed columns', async () => {
    const file = tmp.write('unknown.json', `[\n{"id": "${G1}"},\n{"id": "${G2}", "deviceOwnership": "Company"}\n]`);
    const err = await manifestError(inspectManifest(file));
    expect(err.line).toBe(3);
    expect(err.column).toBe('deviceOwnership');
    expect(err.message).toContain('unknown.json line 3: unknown column "deviceOwnership"');
    expect(err.message).toContain('allowed columns: id, deviceId');
  });

  it('an unknown nested key, an MDM key, and a key given twice are errors', async () => {
    const nested = tmp.write('nested-unknown.json', JSON.stringify([{ id: G1, extensionAttributes: { extensionAttribute16: 'x' } }]));
    expect((await manifestError(inspectManifest(nested))).message).toContain('"extensionAttributes.extensionAttribute16"');
    const mdm = tmp.write('mdm.json', JSON.stringify([{ id: G1, isManaged: true }]));
    expect((await manifestError(inspectManifest(mdm))).message).toContain('only be set by Intune');
    expect((await readAll(mdm, { allowMdmProperties: true })).rows[0]!.fields.isManaged).toBe(true);
    const twice = tmp.write(
      'twice.json',
      JSON.stringify([{ id: G1, extensionAttribute1: 'a', extensionAttributes: { extensionAttribute1: 'b' } }]),
    );
    expect((await manifestError(inspectManifest(twice))).message).toContain('both set extensionAttribute1');
    const idTwice = tmp.write('id-twice.json', `[{"id": "${G1}", "ID": "${G2}"}]`);
    expect((await manifestError(inspectManifest(idTwice))).message).toContain('both set id');
  });

  it('a non-object extensionAttributes makes only that row invalid', async () => {
    const file = tmp.write(
      'ext-null.json',
      JSON.stringify([
        { id: G1, extensionAttributes: null },
        { id: G2, displayName: 'A' },
      ]),
    );
    const { results } = await validateAll(file);
    expect(isInvalid(results[0]!) && results[0].message).toMatch(/^row 1: extensionAttributes on line 1 is null, not an object/);
    expect(isInvalid(results[1]!)).toBe(false);
  });

  it('a file that is one object (not an array) suggests JSON Lines', async () => {
    const err = await manifestError(inspectManifest(tmp.write('object.json', `{"id": "${G1}"}\n`)));
    expect(err.message).toContain('.jsonl');
  });

  it('reads a minified single-line array and a UTF-16 file', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({
      id: G1.slice(0, -4) + String(i).padStart(4, '0'),
      extensionAttribute2: `v${i}`,
    }));
    const minified = tmp.write('min.json', JSON.stringify(rows));
    const { info } = await readAll(minified);
    expect(info.rowCount).toBe(500);
    const utf16 = tmp.write(
      'u16.json',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify([{ id: G1, displayName: 'Ünï' }]), 'utf16le')]),
    );
    expect((await readAll(utf16)).rows[0]!.fields.displayName).toBe('Ünï');
  });

  it('an empty array has 0 rows', async () => {
    expect((await inspectManifest(tmp.write('empty-array.json', '[]'))).rowCount).toBe(0);
  });
});

describe('JSON Lines manifests', () => {
  it('skips blank lines, handles CRLF and BOM, numbers rows and lines', async () => {
    const file = tmp.write(
      'crlf.jsonl',
      `\uFEFF{"id": "${G1}", "displayName": "A"}\r\n\r\n  \r\n{"deviceId": "${G2}", "displayName": "B"}\r\n`,
    );
    const { info, rows, results } = await validateAll(file);
    expect(info.rowCount).toBe(2);
    expect(info.keyTypes).toEqual(['id', 'deviceId']);
    expect(rows.map((r) => [r.row, r.line])).toEqual([
      [1, 1],
      [2, 4],
    ]);
    expect(results.map((r) => r.keyType)).toEqual(['id', 'deviceId']);
  });

  it('a last line without a line break is read', async () => {
    const { rows } = await readAll(tmp.write('noeol.ndjson', `{"id": "${G1}", "displayName": "A"}`));
    expect(rows).toHaveLength(1);
  });

  it('an unknown key is a ManifestError like an unknown CSV column', async () => {
    const file = tmp.write('unknown.jsonl', `{"id": "${G1}", "displayName": "A"}\n{"id": "${G2}", "enrollmentProfileName": "x"}\n`);
    const err = await manifestError(inspectManifest(file));
    expect(err.line).toBe(2);
    expect(err.message).toContain('unknown column "enrollmentProfileName"');
  });

  it('an empty file is a ManifestError', async () => {
    expect((await manifestError(inspectManifest(tmp.write('empty.jsonl', '\n\n')))).message).toContain('the file is empty');
  });

  it('format option overrides the extension', async () => {
    const file = tmp.write('rows.txt', `{"id": "${G1}", "displayName": "A"}\n`);
    expect((await inspectManifest(file, { format: 'jsonl' })).format).toBe('jsonl');
  });
});

describe('findDuplicateKey', () => {
  it.each([
    ['{"id": 1, "id": 2}', 'id'],
    ['{"a": {"id": 1}, "id": 2}', undefined],
    ['{"e": {"k": 1, "k" : 2}}', 'k'],
    ['{"\\u0069d": 1, "id": 2}', 'id'],
    ['{"s": "\\"id\\": 1, \\"id\\":", "id": 1}', undefined],
    ['{"l": [{"x": 1}, {"x": 2}], "x": 3}', undefined],
    ['{"a\\\\": 1, "a\\\\": 2}', 'a\\'],
    ['[]', undefined],
    ['{"unterminated', undefined],
  ])('%s → %s', (text, key) => {
    expect(findDuplicateKey(text)).toBe(key);
  });
});

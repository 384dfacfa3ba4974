/**
 * fast-check arbitraries for manifests as admins produce them — well-formed, odd, or mutated at the
 * byte level — shared by the reader-level property test (test/manifest/property.test.ts) and the
 * whole-job fuzz test (test/fuzz/job.property.test.ts).
 */
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';

/** One generated manifest file. */
export interface GeneratedManifest {
  /** File extension, which picks the format: `csv`, `json` or `jsonl`. */
  ext: 'csv' | 'json' | 'jsonl';
  bytes: Buffer;
  /**
   * The number of data rows when the file was generated well-formed and left unmutated (so a reader
   * that accepts it must yield exactly this many rows); `undefined` when it was mutated or its
   * header is random.
   */
  expectedRows: number | undefined;
}

export const G = 'db5b5fab-8f4d-4e27-9da1-494c73cf256d';

const columnName = fc.constantFrom(
  'id',
  'ID',
  ' id ',
  'deviceId',
  'displayName',
  'accountEnabled',
  'operatingSystem',
  'extensionAttribute1',
  'ExtensionAttribute15',
  'isCompliant',
  'deviceOwnership',
  '',
  'sep=;',
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
  { weight: 3, arbitrary: validHeader.map((names) => ({ names, valid: true })) },
  { weight: 1, arbitrary: fc.array(columnName, { minLength: 1, maxLength: 5 }).map((names) => ({ names, valid: false })) },
);

/** Cell text: keys with and without noise, hostile keys, booleans, clear tokens, delimiters, quotes, line breaks, formulas. */
export const cell = fc.oneof(
  fc.constantFrom(
    G,
    G.toUpperCase(),
    ` {${G}} `,
    `\u200b${G}`,
    `'${G}'`,
    '309d6b79-965e-4a32-9ae4-45508201e2bd',
    'not-a-guid',
    '',
    '../users/x',
    '%2e%2e',
    'x?$select=*',
    "a'b",
    '=1+2',
    '@SUM(A1)',
    '-3',
    'true',
    'no',
    '0',
    'maybe',
    '#clear',
    '#CLEAR',
    'Lab, Floor 2',
    '3,5',
    'a;b|c\td',
    'x"y',
    '"quoted"',
    'line\nbreak',
    'crlf\r\nbreak',
    'é🚀日本',
    '\u00a0',
    'x'.repeat(300),
  ),
  fc.string({ maxLength: 12 }),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('insertText' as const),
    at: fc.nat(),
    text: fc.constantFrom('"', '\n', '\r', ',', ';', '\t', '{', '}', '[', ']', '\\', '\0', 'sep=,\n', '\uFEFF'),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Applies byte-level mutations: insert bytes or text, delete a run, truncate. */
export function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
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

/** CSV manifests: any delimiter, quoted or not, `sep=` line, BOM (UTF-8 or UTF-16 LE), CRLF, mutations. */
export function csvManifest(maxMutations = 3): fc.Arbitrary<GeneratedManifest> {
  return fc
    .record({
      header,
      rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 6 }), { maxLength: 8 }),
      delimiter: fc.constantFrom(',', ';', '\t', '|'),
      quoted: fc.boolean(),
      sepLine: fc.boolean(),
      bom: fc.constantFrom('none', 'utf-8', 'utf-16le'),
      crlf: fc.boolean(),
      mutations: fc.array(mutation, { maxLength: maxMutations }),
    })
    .map((c) => {
      const text =
        (c.sepLine ? `sep=${c.delimiter}\n` : '') +
        stringify([c.header.names, ...c.rows], {
          delimiter: c.delimiter,
          quoted: c.quoted,
          // Quote any line break, as Excel does (csv-stringify alone quotes only the record delimiter).
          quoted_match: /[\r\n]/,
          record_delimiter: c.crlf ? '\r\n' : '\n',
        });
      const encoded =
        c.bom === 'utf-16le'
          ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
          : Buffer.from((c.bom === 'utf-8' ? '\uFEFF' : '') + text);
      // Well-formed: a valid header, no mutation, and a delimiter the reader can know (a sep= line, or a
      // header of two or more columns: a one-column header cannot show it, so "," is assumed).
      const wellFormed = c.header.valid && c.mutations.length === 0 && (c.sepLine || c.header.names.length > 1);
      // Rows whose cells are all blank are not data rows (a spreadsheet's empty lines).
      const dataRows = c.rows.filter((r) => r.some((v) => v.trim() !== '')).length;
      return { ext: 'csv' as const, bytes: mutate(encoded, c.mutations), expectedRows: wellFormed ? dataRows : undefined };
    });
}

const jsonValue = fc.oneof(
  cell,
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constant({ extensionAttribute2: 'x' }),
  fc.constant([1]),
);
/** A manifest row as a JSON object: mostly known keys, sometimes unknown, MDM-only or clashing ones. */
export const jsonObject = fc.oneof(
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

/** JSON Lines manifests: objects and junk lines, then mutations. */
export function jsonLinesManifest(maxMutations = 3): fc.Arbitrary<GeneratedManifest> {
  return fc
    .tuple(
      fc.array(
        fc.oneof(
          jsonObject.map((o) => JSON.stringify(o)),
          fc.constantFrom(
            '',
            '   ',
            '[1]',
            '"x"',
            '{',
            'null',
            `{"__proto__": {"id": "${G}"}, "displayName": "p"}`,
            `{"id": "${G}", "id": "${G}"}`,
          ),
          fc.string({ maxLength: 10 }),
        ),
        {
          maxLength: 8,
        },
      ),
      fc.array(mutation, { maxLength: maxMutations }),
    )
    .map(([lines, mutations]) => ({
      ext: 'jsonl' as const,
      bytes: mutate(Buffer.from(lines.join('\n')), mutations),
      expectedRows: mutations.length === 0 ? lines.filter((l) => l.trim() !== '').length : undefined,
    }));
}

/** JSON array manifests, compact or indented, then mutations. */
export function jsonManifest(maxMutations = 2): fc.Arbitrary<GeneratedManifest> {
  return fc
    .tuple(fc.array(jsonObject, { maxLength: 6 }), fc.constantFrom(undefined, 1, '\t'), fc.array(mutation, { maxLength: maxMutations }))
    .map(([objects, indent, mutations]) => ({
      ext: 'json' as const,
      bytes: mutate(Buffer.from(JSON.stringify(objects, null, indent)), mutations),
      expectedRows: mutations.length === 0 ? objects.length : undefined,
    }));
}

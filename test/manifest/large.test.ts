/**
 * A 200,000-row CSV is streamed through both passes and the validator (memory does not grow with
 * the manifest; asserted only by completing and counting, heap use is logged).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';
import { inspectManifest, readManifest } from '../../src/manifest/index.js';
import { createValidator, isInvalid } from '../../src/validate/index.js';
import { tempDir } from './helpers.js';

const ROWS = 200_000;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function guid(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `5e1f0000-0000-4000-8000-${hex}`;
}

it(`streams a ${ROWS.toLocaleString('en')}-row CSV through inspect, read and validate`, async () => {
  const file = `${tmp.dir}/large.csv`;
  const out = createWriteStream(file);
  out.write('\uFEFFid;displayName;extensionAttribute1\r\n');
  for (let i = 0; i < ROWS; i++) {
    const line = `${guid(i)};"PC ${i}; ""lab""";${i % 97 === 0 ? '#clear' : `wave-${i % 5}`}\r\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  const before = process.memoryUsage().heapUsed;
  const info = await inspectManifest(file);
  expect(info.rowCount).toBe(ROWS);
  expect(info.delimiter).toBe(';');

  const validate = createValidator({});
  let count = 0;
  let invalid = 0;
  let cleared = 0;
  let peak = 0;
  for await (const row of readManifest(info)) {
    const result = validate(row);
    count++;
    if (isInvalid(result)) invalid++;
    else if (result.body.extensionAttributes?.extensionAttribute1 === null) cleared++;
    if (count === 1) expect(result).toMatchObject({ row: 1, body: { displayName: 'PC 0; "lab"' } });
    if (count % 20_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  expect(count).toBe(ROWS);
  expect(invalid).toBe(0);
  expect(cleared).toBe(Math.ceil(ROWS / 97));
  console.log(`large manifest: heap before ${(before / 2 ** 20).toFixed(0)} MiB, peak sampled ${(peak / 2 ** 20).toFixed(0)} MiB`);
});

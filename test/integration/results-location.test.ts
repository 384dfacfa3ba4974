/**
 * Where the results go: a results path graph-bulk cannot write, or whose extension is not a results
 * format, is a clear one-line error and exit 3 before any request — never a spin (Node's recursive
 * mkdir never returns under /proc) and never CSV under a .json or .xlsx name.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFolder } from '../../src/report/make-folder.js';
import { runCli } from '../helpers/cli.js';
import { CASE_ID } from '../helpers/job.js';

const dir = mkdtempSync(join(tmpdir(), 'gb-results-location-'));
const manifest = join(dir, 'm.csv');
writeFileSync(manifest, `id,displayName\n${CASE_ID.pc0},A\n`);
writeFileSync(join(dir, 'a-file'), 'not a folder');

/** graph-bulk run against a loopback port nothing listens on: any request would fail, not hang. */
const run = (results: string) =>
  runCli(['run', '-m', manifest, '-o', results, '--graph-url', 'http://127.0.0.1:9', '--no-progress'], {
    env: { GRAPH_ACCESS_TOKEN: 'test-token' },
    timeoutMs: 30_000,
  });

describe('results location', () => {
  it.each([
    [
      'under /proc (Node would spin in mkdir)',
      '/proc/graph-bulk-nope/r.csv',
      /cannot write the results file \/proc\/graph-bulk-nope\/r\.csv: ENOENT/,
    ],
    ['under a file', join(dir, 'a-file', 'r.csv'), /cannot write the results file .*a-file\/r\.csv: ENOTDIR/],
    [
      'named .json',
      join(dir, 'r.json'),
      /"\.json" is not a results format graph-bulk writes: end it in \.csv \(opens in Excel\) or \.jsonl/,
    ],
    ['named .xlsx', join(dir, 'r.xlsx'), /"\.xlsx" is not a results format/],
  ])('%s: exit 3, one clear line, nothing sent', async (_what, results, message) => {
    const r = await run(results);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(3);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('graph-bulk: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(existsSync(results)).toBe(false);
  });

  it('makeFolder creates missing levels and refuses a file in the way', () => {
    const deep = join(dir, 'x', 'y', 'z');
    makeFolder(deep);
    expect(existsSync(deep)).toBe(true);
    makeFolder(deep); // already there: fine
    expect(() => makeFolder(join(dir, 'a-file', 'sub'))).toThrow(/ENOTDIR/);
    expect(() => makeFolder('/proc/graph-bulk-nope/deeper')).toThrow(/ENOENT/);
  });
});

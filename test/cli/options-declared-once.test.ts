/** The options are declared once (JOB_OPTIONS, EMULATOR_FLAGS): flags, job-file schema and docs all come from it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { jobFlags, jobOptionsBuilder, mergeRunOptions, type RunArgs } from '../../src/cli/job-flags.js';
import { GENERATED, renderDocument } from '../../src/cli/options-table.js';
import { EMULATOR_FLAGS } from '../../src/emulator/flags.js';
import { flagsOf, kebab, type OptionDeclaration } from '../../src/job/option-declaration.js';
import { JOB_OPTIONS, jobOptionsSchema, parseJobOptions } from '../../src/job/options.js';
import { repoRoot } from '../helpers/paths.js';

/** Parses a `run` command line the way graph-bulk does, returning the args its handler receives. */
async function parseRun(argv: string[]): Promise<RunArgs> {
  let captured: RunArgs | undefined;
  await yargs(['run', ...argv])
    .command({ command: 'run [job]', describe: 'run', builder: jobOptionsBuilder, handler: (a) => void (captured = a) })
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  if (!captured) throw new Error('handler not called');
  return captured;
}

describe('options declared once', () => {
  it.each(GENERATED.map((g) => [g.file, g] as const))('%s holds the tables the declaration renders (npm run docs:options)', (file, g) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    expect(renderDocument(text, g.tables), `${file} is stale: run npm run docs:options`).toBe(text);
  });

  it('every job-file field is in the schema, and every option but the job-file-only ones has a flag', () => {
    expect(Object.keys(jobOptionsSchema.shape)).toEqual(Object.keys(JOB_OPTIONS));
    for (const [name, d] of Object.entries(JOB_OPTIONS) as [string, OptionDeclaration][]) {
      if (d.cli === false) continue;
      expect(Object.keys(flagsOf(name, d)).length, name).toBeGreaterThan(0);
    }
    const names = Object.keys(jobFlags()).map(kebab);
    expect(new Set(names).size).toBe(names.length);
  });

  it('a flag derived from the schema reaches the job options typed (number, boolean, enum, negation)', async () => {
    const args = await parseRun([
      '-m',
      'm.csv',
      '--batch-size',
      '7',
      '--mode',
      'single',
      '--no-read-first',
      '--verify',
      '--max-errors',
      '5%',
    ]);
    const options = parseJobOptions(mergeRunOptions({}, args));
    expect(options).toMatchObject({ manifest: 'm.csv', batchSize: 7, mode: 'single', readFirst: false, verify: true, maxErrors: '5%' });
    // untyped flags leave the defaults (no yargs defaults sneak in)
    expect(options).toMatchObject({ concurrency: 'auto', maxRetries: 8, progress: true });
  });

  it('an enum flag refuses a value outside the schema, naming it', async () => {
    await expect(parseRun(['-m', 'm.csv', '--mode', 'turbo'])).rejects.toThrow(/mode.*turbo|turbo.*mode/is);
  });

  it('several flags merge into one option (budgets, emulator)', async () => {
    const args = await parseRun(['-m', 'm.csv', '--read-burst', '50', '--no-write-budget', '--emulator-devices', 'd.json']);
    const options = parseJobOptions(mergeRunOptions({ emulator: { seed: 3 } }, args));
    expect(options.readBudget).toEqual({ burst: 50, refillPerSecond: 350 });
    expect(options.writeBudget).toBe(false);
    expect(options.emulator).toEqual({ seed: 3, devices: 'd.json' });
  });

  it("the emulator's flags are yargs options of graph-bulk emulator, faults included", () => {
    expect(Object.keys(EMULATOR_FLAGS)).toEqual(
      expect.arrayContaining(['rate503', 'rateInner500', 'latencyMs', 'dropClear', 'port', 'entra']),
    );
  });
});

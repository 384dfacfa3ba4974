import { describe, expect, it } from 'vitest';
import { mergeRunOptions } from '../../src/cli/job-flags.js';
import { concurrencyCap, GRAPH_WRITE_BUDGET, maxErrorsExceeded, parseJobOptions } from '../../src/job/options.js';

describe('job options', () => {
  it('applies the documented defaults', () => {
    const o = parseJobOptions({ manifest: 'm.csv' });
    expect(o).toMatchObject({ mode: 'batch', batchSize: 20, maxRetries: 8, cloud: 'global', apiVersion: 'v1.0', clearToken: '#clear' });
    expect(o.writeBudget).toEqual(GRAPH_WRITE_BUDGET);
  });

  it('names every bad field', () => {
    expect(() => parseJobOptions({ manifest: 'm.csv', batchSize: 25, mode: 'turbo' }, 'jobs/x.json')).toThrow(
      /jobs\/x\.json: invalid job options: .*batchSize.*mode|jobs\/x\.json: invalid job options: .*mode.*batchSize/,
    );
    expect(() => parseJobOptions({ manifest: 'm.csv', shell: 'rm -rf /' })).toThrow(/shell|Unrecognized/);
  });

  it('maxErrors: a count or a percentage of rows attempted', () => {
    expect(maxErrorsExceeded(undefined, 1000, 1000)).toBe(false);
    expect(maxErrorsExceeded(10, 10, 100)).toBe(false);
    expect(maxErrorsExceeded(10, 11, 100)).toBe(true);
    expect(maxErrorsExceeded('5%', 6, 100)).toBe(true);
    expect(maxErrorsExceeded('5%', 5, 100)).toBe(false);
    expect(maxErrorsExceeded('5%', 3, 10)).toBe(false); // too few rows to judge
  });

  it('concurrency: auto by default (paced to the budget, at most 32; 8 without a budget), or a number that caps it', () => {
    expect(parseJobOptions({ manifest: 'm.csv' }).concurrency).toBe('auto');
    expect(concurrencyCap('auto')).toBe(32);
    expect(concurrencyCap('auto', false)).toBe(8); // no budget: no rate to aim at
    expect(concurrencyCap(12, false)).toBe(12);
    expect(concurrencyCap(parseJobOptions({ manifest: 'm.csv', concurrency: 40 }).concurrency)).toBe(40);
    expect(mergeRunOptions({ manifest: 'm.csv', concurrency: 4 }, { concurrency: 'auto' }).concurrency).toBe('auto');
    expect(mergeRunOptions({ manifest: 'm.csv' }, { concurrency: '12' }).concurrency).toBe(12);
    expect(() => parseJobOptions({ manifest: 'm.csv', concurrency: 'fast' })).toThrow(/concurrency/);
    expect(() => parseJobOptions({ manifest: 'm.csv', concurrency: 0 })).toThrow(/concurrency/);
  });

  it('flags override the job file; untyped flags leave it alone', () => {
    const merged = mergeRunOptions(
      { manifest: '/jobs/m.csv', mode: 'single', writeBudget: { burst: 100, refillPerSecond: 5 } },
      { writeRefill: 10, concurrency: '4' },
    );
    expect(merged).toMatchObject({
      manifest: '/jobs/m.csv',
      mode: 'single',
      concurrency: 4,
      writeBudget: { burst: 100, refillPerSecond: 10 },
    });
    expect(mergeRunOptions({ manifest: 'x' }, { writeBudget: false }).writeBudget).toBe(false);
  });
});

/**
 * One seed for every property test (fast-check), fixed by default so that every run tests the same
 * cases; GRAPH_BULK_TEST_SEED=<n> picks another (to explore, or to replay a run). vitest loads this
 * file before each test file (setupFiles); the seed is printed once at the start (test/helpers/seed-banner.ts),
 * and fast-check prints it again with any counterexample.
 */
import fc from 'fast-check';

/** The default seed of the property tests. */
export const DEFAULT_TEST_SEED = 20_261_201;

/** The seed of this run: GRAPH_BULK_TEST_SEED, else {@link DEFAULT_TEST_SEED}. */
export function testSeed(): number {
  const text = process.env.GRAPH_BULK_TEST_SEED;
  if (text === undefined || text === '') return DEFAULT_TEST_SEED;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`GRAPH_BULK_TEST_SEED must be an integer, got "${text}"`);
  return n;
}

fc.configureGlobal({ seed: testSeed() });

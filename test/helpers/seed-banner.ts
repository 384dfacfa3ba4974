/** vitest globalSetup: prints the property tests' seed once per run (see test/helpers/seed.ts). */
import { DEFAULT_TEST_SEED, testSeed } from './seed.js';

export default function setup(): void {
  const seed = testSeed();
  process.stdout.write(
    `property tests: seed ${seed}${seed === DEFAULT_TEST_SEED ? ' (the default; GRAPH_BULK_TEST_SEED=<n> for another)' : ' (GRAPH_BULK_TEST_SEED)'}\n`,
  );
}

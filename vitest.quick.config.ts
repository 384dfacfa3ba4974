/**
 * `npm run test:quick`: the inner loop — unit tests and the fast integration tests, well under a
 * minute on a laptop. Left out (they run in `npm test`, the whole suite): the soak, kill -9 and
 * interruption runs, the package/global-install test, Redis and multi-process budgets, real sign-in
 * (MSAL against the local Entra), real proxies, the many-process CLI runs, and the timing-heavy pacing and
 * fault runs.
 */
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/** Test files that take minutes, need Redis, or measure time: `npm test` only. */
export const SLOW_TESTS = [
  'test/integration/soak.test.ts',
  'test/integration/kill.test.ts',
  'test/integration/interrupt.test.ts',
  'test/integration/package.test.ts',
  'test/integration/shared-budget.test.ts',
  'test/integration/pacing.test.ts',
  'test/integration/faults.test.ts',
  'test/integration/resume.test.ts',
  'test/integration/throttling-auth-cases.test.ts',
  'test/auth/sign-in.test.ts',
  'test/auth/token-renewal.test.ts',
  'test/schedule/shared-budget.test.ts',
  'test/schedule/write-budget-process.test.ts',
  'test/job/budget-choice.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/results-unwritable.test.ts',
  'test/send/proxy-transport.test.ts',
  'test/manifest/large.test.ts',
  'test/security/hosts-and-job-files.test.ts',
  'test/integration/json-logs.test.ts',
  'test/integration/results-location.test.ts',
];

export default mergeConfig(base, defineConfig({ test: { exclude: [...configDefaults.exclude, ...SLOW_TESTS] } }));

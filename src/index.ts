/**
 * graph-bulk as a library: run a job from code, with the same options as the CLI.
 *
 * ```ts
 * import { runJob } from 'graph-bulk';
 * const summary = await runJob({ manifest: 'devices.csv' });
 * ```
 */
export { runJob, planJob, type RunContext, type JobSummary } from './job/run-job.js';
export { parseJobOptions, type JobOptions, type JobOptionsInput } from './job/options.js';
export { JobError } from './job/errors.js';
export { ExitCode } from './job/exit-codes.js';
export { staticTokenSource, credentialTokenSource, type TokenSource } from './auth/token-source.js';
export { signInTokenSource, type CredentialSettings } from './auth/credentials.js';
export { SignInError } from './auth/sign-in-error.js';
export { SignInSettingsError } from './auth/settings-error.js';
export { ManifestError } from './manifest/index.js';
export { OUTCOMES } from './types.js';
export type {
  DeviceState,
  DeviceUpdate,
  DevicePatchBody,
  InvalidRow,
  KeyType,
  ManifestRow,
  Outcome,
  PropertyValue,
  RowResult,
} from './types.js';

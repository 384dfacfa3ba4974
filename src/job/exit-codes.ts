/**
 * graph-bulk's process exit codes (DSBulk / Data Loader style: one meaning per code).
 *
 * | code | meaning |
 * |---|---|
 * | 0 | every row `updated` (or `planned` in a dry run) |
 * | 1 | finished, but some rows are `failed` or `invalid` |
 * | 2 | aborted by an error threshold (`maxErrors`, or the built-in auth/permission stop) |
 * | 3 | nothing sent: bad options, bad manifest header, sign-in failure, results file not writable |
 * | 4 | interrupted by SIGINT/SIGTERM |
 */
export const ExitCode = {
  Ok: 0,
  RowErrors: 1,
  Aborted: 2,
  NothingSent: 3,
  Interrupted: 4,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

import { ExitCode } from './exit-codes.js';

/**
 * An error that ends a job before (or instead of) sending rows, carrying the exit code the CLI
 * uses. Its message is meant for the admin: it says what is wrong and what to do, and never holds
 * a secret.
 */
export class JobError extends Error {
  /** @param exitCode the process exit code (see {@link ExitCode}); default 3, nothing sent. */
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.NothingSent,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

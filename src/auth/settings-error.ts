/**
 * A sign-in that cannot even be set up: a required setting missing (`AZURE_CLIENT_SECRET` for
 * `--auth client-secret`, …), or an authority host that is not https or not a Microsoft Entra host.
 * Nothing was sent. The job turns it into a `JobError` with the same message (exit 3). Its message
 * names the setting and never holds a secret.
 */
export class SignInSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInSettingsError';
  }
}

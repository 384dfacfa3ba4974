import {
  AzureCliCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { checkAuthorityHost, GraphConfigError } from '../graph/clouds.js';
import { rememberEnvironmentSecrets } from '../graph/errors.js';
import { JobError } from '../job/errors.js';

/** Which credential signs in. `default` is DefaultAzureCredential. */
export type AuthKind =
  | 'default'
  | 'environment'
  | 'client-secret'
  | 'client-certificate'
  | 'managed-identity'
  | 'workload-identity'
  | 'azure-cli';

/** Settings for {@link createCredential}; each falls back to the standard AZURE_* variable. */
export interface CredentialSettings {
  auth: AuthKind;
  tenantId?: string;
  clientId?: string;
  /** https authority host; a custom one turns off instance discovery. */
  authorityHost?: string;
  /** The cloud's default authority host. */
  defaultAuthorityHost: string;
  /** Accept an authority host that is neither a known Entra host nor loopback (a private authority). Default false. */
  allowUnknownHost?: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * Builds the @azure/identity credential for `settings.auth`. Secrets (client secret, certificate
 * password) come only from the environment (`AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PASSWORD`),
 * never from flags that would land in shell history or `ps`.
 * Source: learn.microsoft.com/javascript/api/@azure/identity; graph-facts.md §4.
 * @throws {JobError} (exit 3) naming the missing variable when a required setting is absent,
 *   or when the authority host is not https, or is neither a Microsoft Entra host nor loopback
 *   without `allowUnknownHost` (the secret would be sent there; see `checkAuthorityHost`).
 */
export function createCredential(settings: CredentialSettings): TokenCredential {
  const env = settings.env;
  // The secrets below (and those @azure/identity reads from process.env itself) are redacted from every output.
  rememberEnvironmentSecrets(env);
  rememberEnvironmentSecrets(process.env);
  const tenantId = settings.tenantId ?? env.AZURE_TENANT_ID;
  const clientId = settings.clientId ?? env.AZURE_CLIENT_ID;
  const authorityHost = settings.authorityHost ?? env.AZURE_AUTHORITY_HOST ?? settings.defaultAuthorityHost;
  try {
    checkAuthorityHost(authorityHost, { allowHost: settings.allowUnknownHost === true });
  } catch (err) {
    if (err instanceof GraphConfigError) throw new JobError(err.message);
    throw err;
  }
  const custom = authorityHost.replace(/\/+$/, '').toLowerCase() !== settings.defaultAuthorityHost.toLowerCase();
  const common = { authorityHost, ...(custom ? { disableInstanceDiscovery: true } : {}) };
  const need = (value: string | undefined, name: string): string => {
    if (!value) throw new JobError(`--auth ${settings.auth} needs ${name} (set it in the environment)`);
    return value;
  };
  switch (settings.auth) {
    case 'client-secret':
      return new ClientSecretCredential(
        need(tenantId, 'AZURE_TENANT_ID'),
        need(clientId, 'AZURE_CLIENT_ID'),
        need(env.AZURE_CLIENT_SECRET, 'AZURE_CLIENT_SECRET'),
        common,
      );
    case 'client-certificate':
      return new ClientCertificateCredential(
        need(tenantId, 'AZURE_TENANT_ID'),
        need(clientId, 'AZURE_CLIENT_ID'),
        {
          certificatePath: need(env.AZURE_CLIENT_CERTIFICATE_PATH, 'AZURE_CLIENT_CERTIFICATE_PATH'),
          ...(env.AZURE_CLIENT_CERTIFICATE_PASSWORD ? { certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD } : {}),
        },
        common,
      );
    case 'workload-identity':
      return new WorkloadIdentityCredential({
        tenantId: need(tenantId, 'AZURE_TENANT_ID'),
        clientId: need(clientId, 'AZURE_CLIENT_ID'),
        tokenFilePath: need(env.AZURE_FEDERATED_TOKEN_FILE, 'AZURE_FEDERATED_TOKEN_FILE'),
        ...common,
      });
    case 'managed-identity':
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case 'azure-cli':
      return new AzureCliCredential(tenantId ? { tenantId } : {});
    case 'environment':
      return new EnvironmentCredential(common);
    case 'default':
      return new DefaultAzureCredential({
        ...common,
        ...(tenantId ? { tenantId } : {}),
        ...(clientId ? { managedIdentityClientId: clientId, workloadIdentityClientId: clientId } : {}),
      });
  }
}

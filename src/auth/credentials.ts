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
import { ManagedIdentityApplication } from '@azure/msal-node';
import { checkAuthorityHost, GraphConfigError } from '../graph/clouds.js';
import { rememberEnvironmentSecrets } from '../secrets/redact.js';
import { SignInSettingsError } from './settings-error.js';
import type { Network } from '../send/network.js';
import { diagnoseAuthority, explainSignInError } from './sign-in-error.js';
import { credentialTokenSource, type TokenSource } from './token-source.js';

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
  /**
   * The way out for token requests (proxy, CAs): the same as Graph requests take. Its routing agent is
   * given to @azure/identity as the `agent` client option, which its pipeline uses in place of its own
   * proxy policy (whose agents would drop a `tlsOptions` CA). Default: @azure/identity's own handling
   * (it reads HTTPS_PROXY / NO_PROXY itself).
   */
  network?: Network;
}

/** The sign-in settings in force: flags / job-file fields first, then the AZURE_* variables. */
export interface ResolvedSignInSettings {
  tenantId: string | undefined;
  clientId: string | undefined;
  /** https origin, no trailing slash. */
  authorityHost: string;
  /** True when the authority host is not the cloud's own (instance discovery is then turned off). */
  custom: boolean;
}

/**
 * Resolves tenant, client and authority host (`settings` over `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
 * `AZURE_AUTHORITY_HOST`, over the cloud's authority host).
 * @throws {SignInSettingsError} when the authority host is not an https URL.
 */
export function resolveSignInSettings(settings: CredentialSettings): ResolvedSignInSettings {
  const env = settings.env;
  const authorityHost = (settings.authorityHost ?? env.AZURE_AUTHORITY_HOST ?? settings.defaultAuthorityHost).replace(/\/+$/, '');
  let url: URL | undefined;
  try {
    url = new URL(authorityHost);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new SignInSettingsError(
      `authority host ${authorityHost} must be an https URL such as https://login.microsoftonline.us (Entra sign-in is https only; no path)`,
    );
  }
  try {
    checkAuthorityHost(authorityHost, { allowHost: settings.allowUnknownHost === true });
  } catch (err) {
    if (err instanceof GraphConfigError) throw new SignInSettingsError(err.message);
    throw err;
  }
  return {
    tenantId: settings.tenantId ?? env.AZURE_TENANT_ID,
    clientId: settings.clientId ?? env.AZURE_CLIENT_ID,
    authorityHost,
    custom: authorityHost.toLowerCase() !== settings.defaultAuthorityHost.replace(/\/+$/, '').toLowerCase(),
  };
}

/**
 * Builds the @azure/identity credential for `settings.auth`. Secrets (client secret, certificate
 * password) come only from the environment (`AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PASSWORD`),
 * never from flags that would land in shell history or `ps`.
 * Source: learn.microsoft.com/javascript/api/@azure/identity; docs/graph-behaviour.md §4.
 * @throws {SignInSettingsError} naming the missing variable when a required setting is absent,
 *   or when the authority host is not https, or is neither a Microsoft Entra host nor loopback
 *   without `allowUnknownHost` (the secret would be sent there; see `checkAuthorityHost`).
 */
export function createCredential(settings: CredentialSettings): TokenCredential {
  const env = settings.env;
  // The secrets below (and those @azure/identity reads from process.env itself) are redacted from every output.
  rememberEnvironmentSecrets(env);
  rememberEnvironmentSecrets(process.env);
  const { tenantId, clientId, authorityHost, custom } = resolveSignInSettings(settings);
  const transport = settings.network ? { agent: settings.network.routingAgent } : {};
  const common = { authorityHost, ...(custom ? { disableInstanceDiscovery: true } : {}), ...transport };
  const need = (value: string | undefined, name: string): string => {
    if (!value) throw new SignInSettingsError(`--auth ${settings.auth} needs ${name} (set it in the environment)`);
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
      return clientId ? new ManagedIdentityCredential({ clientId, ...transport }) : new ManagedIdentityCredential(transport);
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

/** Managed-identity sources MSAL detects from environment variables (not the IMDS default). */
const SIGNALLED_MANAGED_IDENTITY = new Set(['AppService', 'AzureArc', 'CloudShell', 'MachineLearning', 'ServiceFabric']);

/**
 * Fetches a managed-identity token past MSAL's cache (`forceRefresh`), for `clientId`'s
 * user-assigned identity or the system-assigned one. The fresh token replaces the cached one in
 * MSAL's process-wide managed-identity cache, which ManagedIdentityCredential reads.
 * @throws MSAL's error when the managed-identity endpoint fails.
 */
export function managedIdentityCacheBypass(clientId: string | undefined): (scope: string) => Promise<string> {
  return async (scope) => {
    const app = new ManagedIdentityApplication(clientId ? { managedIdentityIdParams: { userAssignedClientId: clientId } } : {});
    const result = await app.acquireToken({ resource: scope, forceRefresh: true });
    return result.accessToken;
  };
}

/**
 * Where a run's tokens come from when it signs in with @azure/identity: the credential for
 * `settings.auth`, tokens for `settings.scope` (`{graph-root}/.default`), a forced refresh that
 * gets past caches (claims challenge; for managed identity MSAL's `forceRefresh`, see
 * {@link managedIdentityCacheBypass}), and failures explained with the Entra error code and what
 * to check ({@link explainSignInError}), never a secret.
 * @throws {SignInSettingsError} when a required setting is missing or the authority host is not https.
 */
export function signInTokenSource(settings: CredentialSettings & { scope: string }): TokenSource {
  const resolved = resolveSignInSettings(settings);
  const credential = createCredential(settings);
  const env = settings.env;
  const context = {
    auth: settings.auth,
    tenantId: resolved.tenantId,
    clientId: resolved.clientId,
    authorityHost: resolved.authorityHost,
    secrets: [env.AZURE_CLIENT_SECRET, env.AZURE_CLIENT_CERTIFICATE_PASSWORD].filter((s): s is string => !!s),
    scope: settings.scope,
  };
  const viaManagedIdentity =
    settings.auth === 'managed-identity' ||
    (settings.auth === 'default' && SIGNALLED_MANAGED_IDENTITY.has(new ManagedIdentityApplication().getManagedIdentitySource()));
  return credentialTokenSource(credential, settings.scope, `@azure/identity ${settings.auth}`, {
    ...(viaManagedIdentity ? { bypassCache: managedIdentityCacheBypass(resolved.clientId) } : {}),
    explain: async (err) => {
      const unresolved = /endpoints_resolution_error/.test(String((err as Error)?.message ?? err)) && resolved.tenantId;
      const diagnosis = unresolved
        ? await diagnoseAuthority(resolved.authorityHost, resolved.tenantId!, 10_000, settings.network)
        : undefined;
      return explainSignInError(err, context, diagnosis);
    },
  });
}

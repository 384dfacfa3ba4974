/**
 * A local Microsoft Entra ID for the emulator: the token endpoint, OpenID discovery and an App
 * Service managed-identity endpoint over https on loopback, issuing JWT-shaped access tokens that
 * the emulator's Graph routes accept until they expire (or are revoked). See ./server.ts for the
 * routes and ./directory.ts for the rules.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TokenStore } from '../auth.js';
import type { AppRegistration, Directory, FederatedCredential, ManagedIdentityRegistration } from './directory.js';
import { TOKEN_EXCHANGE_AUDIENCE } from './directory.js';
import { signHs256 } from './jwt.js';
import { DEFAULT_ENTRA_TOKEN_LIFETIME_MS, MANAGED_IDENTITY_PATH, createEntraServer, type EntraRequest } from './server.js';

export type { AppRegistration, FederatedCredential, ManagedIdentityRegistration } from './directory.js';
export { DEFAULT_ROLES, TOKEN_EXCHANGE_AUDIENCE } from './directory.js';
export type { EntraRequest } from './server.js';
export { DEFAULT_ENTRA_TOKEN_LIFETIME_MS } from './server.js';

/** Client id of the default system-assigned managed identity. */
export const DEFAULT_MANAGED_IDENTITY_CLIENT_ID = '5b1f6a7e-0c2d-4e8f-9a1b-3c4d5e6f7a8b';
/** Subject of the default app's federated identity credential (a Kubernetes service account). */
export const DEFAULT_FEDERATED_SUBJECT = 'system:serviceaccount:graph-bulk:graph-bulk';

/** Options of the emulated Entra (`startEmulator({ entra: … })`). All optional. */
export interface EntraOptions {
  /** TCP port of the https listener; 0 (default) picks a free one. */
  port?: number;
  /** App registrations. Default: one app (the emulator's `appId`) with {@link Entra.clientSecret},
   * a federated credential for {@link DEFAULT_FEDERATED_SUBJECT}, and `Device.ReadWrite.All`. */
  apps?: AppRegistration[];
  /** Managed identities of the emulated App Service. Default: one system-assigned identity
   * ({@link DEFAULT_MANAGED_IDENTITY_CLIENT_ID}) with `Device.ReadWrite.All`. */
  managedIdentities?: ManagedIdentityRegistration[];
  /** Client secret of the default app; generated when absent. */
  clientSecret?: string;
  /** Resources tokens may be asked for besides the emulator's Graph URL and https://graph.microsoft.com. */
  resources?: string[];
  /** `IDENTITY_HEADER` of the emulated App Service; generated when absent. */
  identityHeader?: string;
}

/** The running emulated Entra. */
export interface Entra {
  /** Authority host, e.g. `https://127.0.0.1:53125` (for `AZURE_AUTHORITY_HOST` / `--authority-host`). */
  readonly url: string;
  readonly tenantId: string;
  /** Client id of the default app. */
  readonly clientId: string;
  /** Client secret of the default app. */
  readonly clientSecret: string;
  /** `IDENTITY_ENDPOINT` of the emulated App Service managed identity. */
  readonly identityEndpoint: string;
  /** `IDENTITY_HEADER` of the emulated App Service managed identity. */
  readonly identityHeader: string;
  /** Issuer of the federated tokens {@link federatedToken} makes (a cluster's OIDC issuer). */
  readonly federatedIssuer: string;
  /**
   * A federated token as a Kubernetes projected service-account token would be: HS256-signed by
   * {@link federatedIssuer}, `aud` `api://AzureADTokenExchange`, `sub` {@link DEFAULT_FEDERATED_SUBJECT}
   * unless given, valid for `lifetimeMs` (default 1 hour).
   */
  federatedToken(options?: { subject?: string; audience?: string; lifetimeMs?: number }): string;
  /** Adds an app registration, or replaces the one with the same client id. */
  registerApp(app: AppRegistration): void;
  /** Every request seen, in arrival order (copies; never secrets or tokens). */
  requests(): EntraRequest[];
  /** Stops the listener. */
  stop(): Promise<void>;
}

/** What the emulator hands its Entra. */
export interface EntraHost {
  tokens: TokenStore;
  tenantId: string;
  appId: string;
  graphUrl: string;
  host: string;
  tls: { key: string; cert: string };
}

/**
 * Starts the emulated Entra on `host` (https).
 * @throws Error when the port cannot be bound.
 */
export async function startEntra(options: EntraOptions, env: EntraHost): Promise<Entra> {
  const federatedKey = randomBytes(32);
  const clientSecret = options.clientSecret ?? `emu~${randomBytes(24).toString('base64url')}`;
  const identityHeader = options.identityHeader ?? randomUUID();
  const log: EntraRequest[] = [];
  const directory: Directory = {
    tenantId: env.tenantId,
    apps: [],
    managedIdentities: options.managedIdentities ?? [{ clientId: DEFAULT_MANAGED_IDENTITY_CLIENT_ID, systemAssigned: true }],
    resources: [env.graphUrl, 'https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000', ...(options.resources ?? [])],
    federatedIssuer: '',
    federatedKey,
  };
  const server = createEntraServer({
    directory,
    tokens: env.tokens,
    lifetimeMs: () => env.tokens.defaultLifetimeMs ?? DEFAULT_ENTRA_TOKEN_LIFETIME_MS,
    signingKey: randomBytes(32),
    identityHeader,
    log,
    tls: env.tls,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, env.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `https://${env.host.includes(':') ? `[${env.host}]` : env.host}:${port}`;
  directory.federatedIssuer = `${url}/kubernetes-oidc`;
  const defaultFederated: FederatedCredential = { issuer: directory.federatedIssuer, subject: DEFAULT_FEDERATED_SUBJECT };
  directory.apps = options.apps ?? [{ clientId: env.appId, secrets: [clientSecret], federatedCredentials: [defaultFederated] }];

  let stopped: Promise<void> | undefined;
  return {
    url,
    tenantId: env.tenantId,
    clientId: directory.apps[0]?.clientId ?? env.appId,
    clientSecret,
    identityEndpoint: `${url}${MANAGED_IDENTITY_PATH}`,
    identityHeader,
    federatedIssuer: directory.federatedIssuer,
    federatedToken: (o = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return signHs256(
        { typ: 'JWT', kid: 'kubernetes-oidc' },
        {
          iss: directory.federatedIssuer,
          sub: o.subject ?? DEFAULT_FEDERATED_SUBJECT,
          aud: [o.audience ?? TOKEN_EXCHANGE_AUDIENCE],
          iat: now,
          nbf: now,
          exp: now + Math.round((o.lifetimeMs ?? 3_600_000) / 1000),
        },
        federatedKey,
      );
    },
    registerApp: (app) => {
      directory.apps = [...directory.apps.filter((a) => a.clientId.toLowerCase() !== app.clientId.toLowerCase()), app];
    },
    requests: () => log.map((r) => ({ ...r })),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/**
 * The emulated tenant: app registrations (client secrets, certificates, federated identity
 * credentials, application permissions), managed identities and the resources tokens may be asked
 * for; and the pure decisions of the token endpoint and the managed-identity endpoint.
 *
 * Entra behaviour followed (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant,
 * …/certificate-credentials, learn.microsoft.com/entra/workload-id/workload-identity-federation,
 * learn.microsoft.com/azure/app-service/overview-managed-identity "REST endpoint reference"):
 * - client credentials grant; `scope` must be one `{resource}/.default` for a known resource;
 * - client authentication by `client_secret`, or `client_assertion` with
 *   `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`: a JWT signed with
 *   a registered certificate's key (header `x5t` = SHA-1 or `x5t#S256` = SHA-256 thumbprint,
 *   `iss` = `sub` = client id, `aud` = the token endpoint), or a federated token whose `iss`/`sub`/`aud`
 *   match a federated identity credential of the app (audience `api://AzureADTokenExchange`);
 * - assertions are checked for their time range (5 minutes of clock skew allowed).
 */
import { X509Certificate, constants, createHash, verify } from 'node:crypto';
import { EntraErrors, type EntraErrorSpec } from './errors.js';
import { decodeJwt, verifyHs256, type DecodedJwt } from './jwt.js';

/** `client_assertion_type` for JWT client assertions (RFC 7523). */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The audience Entra expects in a federated (workload identity) token. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Application permission graph-bulk needs (docs/graph-behaviour.md §1). */
export const DEFAULT_ROLES: readonly string[] = ['Device.ReadWrite.All'];
/** Clock skew allowed on assertion `nbf`/`exp`, in seconds. */
export const ASSERTION_SKEW_S = 300;

/** A federated identity credential on an app registration. */
export interface FederatedCredential {
  /** Issuer of the external token, e.g. the cluster's OIDC issuer URL. */
  issuer: string;
  /** Subject, e.g. `system:serviceaccount:<namespace>:<service account>` (case-sensitive). */
  subject: string;
  /** Accepted audiences; default [`api://AzureADTokenExchange`]. */
  audiences?: string[];
}

/** An app registration of the emulated tenant. */
export interface AppRegistration {
  /** Application (client) id. */
  clientId: string;
  /** Client secret values accepted. */
  secrets?: string[];
  /** Certificates (PEM) whose keys may sign client assertions. An expired one is refused. */
  certificates?: string[];
  /** Federated identity credentials (workload identity). */
  federatedCredentials?: FederatedCredential[];
  /** Application permissions granted with admin consent, put in the token's `roles`. Default
   * [`Device.ReadWrite.All`]. */
  roles?: string[];
}

/** A managed identity attached to the emulated App Service. */
export interface ManagedIdentityRegistration {
  /** Client id of the identity (user-assigned, or the system-assigned one's). */
  clientId: string;
  /** True for the system-assigned identity (used when the request names none). */
  systemAssigned?: boolean;
  /** Application permissions in the token's `roles`. Default [`Device.ReadWrite.All`]. */
  roles?: string[];
}

/** What the emulated Entra knows. */
export interface Directory {
  tenantId: string;
  apps: AppRegistration[];
  managedIdentities: ManagedIdentityRegistration[];
  /** Resources tokens may be issued for (compared without trailing slash, case-insensitive). */
  resources: string[];
  /** Issuer whose HS256-signed tokens the emulator accepts as federated tokens. */
  federatedIssuer: string;
  /** Key of {@link federatedIssuer}. */
  federatedKey: Buffer;
}

/** How a client proved who it is. */
export type ClientAuth = 'secret' | 'certificate' | 'federated' | 'managed-identity';

/** A successful sign-in: to whom the token goes and what it says. */
export interface Grant {
  clientId: string;
  auth: ClientAuth;
  resource: string;
  roles: string[];
}

export type Decision = { ok: true; grant: Grant } | { ok: false; error: EntraErrorSpec };

const fail = (error: EntraErrorSpec): Decision => ({ ok: false, error });
const norm = (s: string) => s.replace(/\/+$/, '').toLowerCase();

/** True when `tenant` (from the URL path) is the emulated tenant (case-insensitive). */
export function isKnownTenant(dir: Directory, tenant: string): boolean {
  return tenant.toLowerCase() === dir.tenantId.toLowerCase();
}

function resourceOf(dir: Directory, resource: string): string | undefined {
  return dir.resources.find((r) => norm(r) === norm(resource));
}

/**
 * Decides a token endpoint request (`POST /{tenant}/oauth2/v2.0/token`, form fields in `form`).
 * @param tokenEndpoint the URL the request was sent to (a certificate assertion's `aud`)
 * @param nowMs ms since the epoch
 */
export function decideTokenRequest(dir: Directory, tenant: string, form: URLSearchParams, tokenEndpoint: string, nowMs: number): Decision {
  if (!isKnownTenant(dir, tenant)) return fail(EntraErrors.tenantNotFound(tenant));
  const grantType = form.get('grant_type');
  if (!grantType) return fail(EntraErrors.missingParameter('grant_type'));
  if (grantType !== 'client_credentials') return fail(EntraErrors.unsupportedGrant());
  const clientId = form.get('client_id');
  if (!clientId) return fail(EntraErrors.missingParameter('client_id'));
  const scope = form.get('scope');
  if (!scope) return fail(EntraErrors.missingParameter('scope'));
  const claims = form.get('claims');
  if (claims !== null && !isJsonObject(claims)) return fail(EntraErrors.invalidParameter('claims'));
  const app = dir.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
  if (!app) return fail(EntraErrors.appNotFound(clientId, tenant));

  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  let auth: ClientAuth;
  if (secret !== null) {
    if (!(app.secrets ?? []).includes(secret)) return fail(EntraErrors.invalidSecret(app.clientId));
    auth = 'secret';
  } else if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER) return fail(EntraErrors.unsupportedAssertionType());
    const jwt = decodeJwt(assertion);
    if (!jwt) return fail(EntraErrors.assertionMalformed('The client assertion is not a JWT.'));
    const isCertificate = jwt.header['x5t'] !== undefined || jwt.header['x5t#S256'] !== undefined;
    const error = isCertificate ? checkCertificateAssertion(app, jwt, tokenEndpoint, nowMs) : checkFederatedAssertion(dir, app, jwt, nowMs);
    if (error) return fail(error);
    auth = isCertificate ? 'certificate' : 'federated';
  } else {
    return fail(EntraErrors.noCredential());
  }

  const scopes = scope.trim().split(/\s+/);
  if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default')) return fail(EntraErrors.scopeNotDefault(scope));
  const wanted = scopes[0]!.slice(0, -'/.default'.length);
  const resource = resourceOf(dir, wanted);
  if (!resource) return fail(EntraErrors.resourceNotFound(wanted, tenant));
  return { ok: true, grant: { clientId: app.clientId, auth, resource, roles: [...(app.roles ?? DEFAULT_ROLES)] } };
}

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function timeError(jwt: DecodedJwt, nowMs: number): EntraErrorSpec | undefined {
  const nowS = Math.floor(nowMs / 1000);
  const { nbf, exp } = jwt.payload;
  if (typeof exp !== 'number' || exp + ASSERTION_SKEW_S < nowS || (typeof nbf === 'number' && nbf - ASSERTION_SKEW_S > nowS)) {
    return EntraErrors.assertionTime(nowS, nbf, exp);
  }
  return undefined;
}

/** Checks a client assertion signed with a certificate's private key. */
function checkCertificateAssertion(
  app: AppRegistration,
  jwt: DecodedJwt,
  tokenEndpoint: string,
  nowMs: number,
): EntraErrorSpec | undefined {
  const { header, payload } = jwt;
  const sha256 = typeof header['x5t#S256'] === 'string';
  const presented = Buffer.from(String(sha256 ? header['x5t#S256'] : header['x5t']), 'base64url')
    .toString('hex')
    .toUpperCase();
  const match = (app.certificates ?? [])
    .map((pem) => new X509Certificate(pem))
    .find(
      (c) =>
        createHash(sha256 ? 'sha256' : 'sha1')
          .update(c.raw)
          .digest('hex')
          .toUpperCase() === presented,
    );
  if (!match) return EntraErrors.certificateNotRegistered(app.clientId, presented);
  if (Date.parse(match.validTo) < nowMs || Date.parse(match.validFrom) > nowMs) {
    return EntraErrors.certificateNotRegistered(app.clientId, presented, 'The key used is expired.');
  }
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') return EntraErrors.badSignature();
  const ok = verify(
    'sha256',
    Buffer.from(jwt.signingInput),
    alg === 'PS256'
      ? { key: match.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : match.publicKey,
    jwt.signature,
  );
  if (!ok) return EntraErrors.badSignature();
  if (payload.iss !== app.clientId || payload.sub !== app.clientId) {
    return EntraErrors.assertionMalformed("The client assertion's iss and sub must be the client id.");
  }
  if (typeof payload.aud !== 'string' || norm(payload.aud) !== norm(tokenEndpoint)) {
    return EntraErrors.assertionMalformed(`The client assertion's audience must be ${tokenEndpoint}.`);
  }
  return timeError(jwt, nowMs);
}

/** Checks a federated token (workload identity) against the app's federated identity credentials. */
function checkFederatedAssertion(dir: Directory, app: AppRegistration, jwt: DecodedJwt, nowMs: number): EntraErrorSpec | undefined {
  const { iss, sub, aud } = jwt.payload;
  const audiences = Array.isArray(aud) ? aud.map(String) : [String(aud)];
  const record = (app.federatedCredentials ?? []).find(
    (f) => f.issuer === iss && f.subject === sub && audiences.some((a) => (f.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]).includes(a)),
  );
  if (!record) return EntraErrors.noFederatedRecord(iss, sub, aud);
  if (iss === dir.federatedIssuer && !verifyHs256(jwt, dir.federatedKey)) return EntraErrors.badSignature();
  return timeError(jwt, nowMs);
}

/** An App Service managed-identity request (`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…`). */
export interface ManagedIdentityRequest {
  apiVersion: string | null;
  resource: string | null;
  clientId: string | null;
  /** `X-IDENTITY-HEADER` as sent. */
  identityHeader: string | undefined;
}

/** Result of a managed-identity request: a grant, or an HTTP status and message (App Service's shape). */
export type ManagedIdentityDecision = { ok: true; grant: Grant } | { ok: false; status: number; message: string };

/**
 * Decides an App Service managed-identity token request.
 * @param expectedHeader the `IDENTITY_HEADER` value of the emulated App Service
 */
export function decideManagedIdentityRequest(dir: Directory, req: ManagedIdentityRequest, expectedHeader: string): ManagedIdentityDecision {
  if (req.identityHeader !== expectedHeader)
    return { ok: false, status: 401, message: 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.' };
  if (req.apiVersion !== '2019-08-01')
    return { ok: false, status: 400, message: `Unsupported api-version '${req.apiVersion ?? ''}': use 2019-08-01.` };
  if (!req.resource) return { ok: false, status: 400, message: "The 'resource' query parameter is required." };
  const identity = req.clientId
    ? dir.managedIdentities.find((m) => m.clientId.toLowerCase() === req.clientId!.toLowerCase())
    : (dir.managedIdentities.find((m) => m.systemAssigned) ?? undefined);
  if (!identity) return { ok: false, status: 400, message: 'No managed identity found for specified ClientId/ResourceId/PrincipalId.' };
  const resource = resourceOf(dir, req.resource.replace(/\/\.default$/, ''));
  if (!resource) {
    const e = EntraErrors.resourceNotFound(req.resource, dir.tenantId);
    return { ok: false, status: 400, message: `AADSTS${e.code}: ${e.message}` };
  }
  return {
    ok: true,
    grant: { clientId: identity.clientId, auth: 'managed-identity', resource, roles: [...(identity.roles ?? DEFAULT_ROLES)] },
  };
}

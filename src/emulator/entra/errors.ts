/**
 * Microsoft Entra ID error bodies, in the shape the v2.0 token endpoint answers with:
 * `{"error":"invalid_client","error_description":"AADSTS7000215: …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …",
 *   "error_codes":[7000215],"timestamp":"…","trace_id":"…","correlation_id":"…","error_uri":"…/error?code=7000215"}`.
 * Source: learn.microsoft.com/entra/identity-platform/reference-error-codes (the AADSTS codes and
 * their HTTP status / `error` value); wording follows what Entra answers in public reports.
 */
import { randomUUID } from 'node:crypto';

/** One Entra failure before it is rendered: HTTP status, OAuth `error`, AADSTS number and text. */
export interface EntraErrorSpec {
  status: number;
  /** OAuth 2.0 error: `invalid_client`, `invalid_request`, `unauthorized_client`, … */
  error: string;
  /** The AADSTS number, e.g. 7000215. */
  code: number;
  /** Text after `AADSTS<code>: `. */
  message: string;
}

/** The JSON body Entra sends for `spec` at `now` (ms since the epoch). */
export function entraErrorBody(spec: EntraErrorSpec, now: number, authorityHost: string): Record<string, unknown> {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date(now)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error: spec.error,
    error_description: `AADSTS${spec.code}: ${spec.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [spec.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${authorityHost}/error?code=${spec.code}`,
  };
}

const spec = (status: number, error: string, code: number, message: string): EntraErrorSpec => ({ status, error, code, message });

/** The Entra failures the emulator produces. */
export const EntraErrors = {
  tenantNotFound: (tenant: string, error = 'invalid_request') =>
    spec(
      400,
      error,
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  appNotFound: (clientId: string, tenant: string) =>
    spec(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  invalidSecret: (clientId: string) =>
    spec(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  noCredential: () =>
    spec(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  certificateNotRegistered: (clientId: string, thumbprint: string, reason = 'The key was not found.') =>
    spec(
      401,
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - ${reason}, Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
    ),
  badSignature: () => spec(401, 'invalid_client', 700027, 'Client assertion failed signature validation.'),
  assertionMalformed: (why: string) => spec(400, 'invalid_request', 50027, `JWT token is invalid or malformed. ${why}`),
  assertionTime: (nowS: number, nbf: unknown, exp: unknown) =>
    spec(
      400,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(nowS * 1000).toISOString()}, assertion valid from ${typeof nbf === 'number' ? new Date(nbf * 1000).toISOString() : 'unknown'}, expiry time of assertion ${typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'unknown'}.`,
    ),
  assertionAudience: (aud: unknown) =>
    spec(401, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${String(aud)}'.`),
  noFederatedRecord: (iss: unknown, sub: unknown, aud: unknown) =>
    spec(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(iss)}'. Assertion Subject: '${String(sub)}'. Assertion Audience: '${String(aud)}'.`,
    ),
  missingParameter: (name: string) =>
    spec(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrant: () => spec(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'),
  unsupportedAssertionType: () => spec(400, 'invalid_request', 700025, 'Client assertion type is not supported.'),
  scopeNotDefault: (scope: string) =>
    spec(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  resourceNotFound: (resource: string, tenant: string) =>
    spec(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  invalidParameter: (name: string) => spec(400, 'invalid_request', 90100, `${name} parameter is empty or not valid.`),
} as const;

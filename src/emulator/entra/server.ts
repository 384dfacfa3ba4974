/**
 * The emulated Entra's https front: OpenID discovery, the v2.0 token endpoint, the keys document,
 * instance discovery, and an App Service managed-identity endpoint. Every request is logged (no
 * secrets, no assertions, no tokens). Decisions are in directory.ts; this file does I/O.
 *
 * Routes:
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` — what MSAL fetches for the authority
 *   (with `disableInstanceDiscovery`, the only metadata call); unknown tenant → 400 AADSTS90002.
 * - `GET /common/discovery/instance` — instance discovery, for clients that do not disable it.
 * - `GET /{tenant}/discovery/v2.0/keys` — `{"keys":[]}` (issued tokens are HMAC-signed).
 * - `POST /{tenant}/oauth2/v2.0/token` — client credentials grant.
 * - `GET /msi/token` — App Service managed identity (`X-IDENTITY-HEADER`, `api-version=2019-08-01`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TokenStore } from '../auth.js';
import { decideManagedIdentityRequest, decideTokenRequest, isKnownTenant, type Directory, type Grant } from './directory.js';
import { EntraErrors, entraErrorBody, type EntraErrorSpec } from './errors.js';
import { accessTokenPayload, signHs256 } from './jwt.js';

/** Path of the managed-identity endpoint on the Entra listener. */
export const MANAGED_IDENTITY_PATH = '/msi/token';
/** Lifetime of issued tokens when the emulator sets none (Entra's usual `expires_in` 3599 s). */
export const DEFAULT_ENTRA_TOKEN_LIFETIME_MS = 3_599_000;

/** One request the emulated Entra saw. Never holds a secret, an assertion or a token. */
export interface EntraRequest {
  seq: number;
  /** ms since the epoch. */
  at: number;
  method: string;
  /** Path without the query. */
  path: string;
  endpoint: 'openid-configuration' | 'instance-discovery' | 'keys' | 'token' | 'managed-identity' | 'unknown';
  tenant?: string;
  clientId?: string;
  /** How the client authenticated (on success, or as far as it was told). */
  auth?: Grant['auth'];
  /** Whether a `claims` parameter was sent (a claims challenge: MSAL skips its cache for it). */
  claims?: boolean;
  resource?: string;
  status: number;
  /** AADSTS number of an error answer. */
  errorCode?: number;
  /** The issued token's `uti` (token id), to match against Graph requests. */
  tokenId?: string;
}

/** Everything the Entra server works with. */
export interface EntraServerState {
  directory: Directory;
  tokens: TokenStore;
  /** Lifetime in ms for the next token (read per token, so `configure()` takes effect at once). */
  lifetimeMs: () => number;
  /** Key the issued access tokens are HMAC-signed with. */
  signingKey: Buffer;
  /** `IDENTITY_HEADER` of the emulated App Service. */
  identityHeader: string;
  log: EntraRequest[];
  tls: { key: string; cert: string };
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' };

/** Creates (does not start) the https server of the emulated Entra. */
export function createEntraServer(state: EntraServerState): Server {
  let seq = 0;
  return createServer({ key: state.tls.key, cert: state.tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const host = `https://${req.headers.host ?? 'localhost'}`;
    const url = new URL(req.url ?? '/', host);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    const entry: EntraRequest = { seq: ++seq, at, method, path: url.pathname, endpoint: 'unknown', status: 0 };
    state.log.push(entry);
    const answer = (status: number, json: unknown) => {
      entry.status = status;
      send(res, status, json);
    };
    const error = (spec: EntraErrorSpec) => {
      entry.errorCode = spec.code;
      answer(spec.status, entraErrorBody(spec, Date.now(), host));
    };
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const tenant = segments[0] ?? '';

    if (
      method === 'GET' &&
      segments.length === 4 &&
      segments[1] === 'v2.0' &&
      segments[2] === '.well-known' &&
      segments[3] === 'openid-configuration'
    ) {
      entry.endpoint = 'openid-configuration';
      entry.tenant = tenant;
      if (!isKnownTenant(state.directory, tenant)) return error(EntraErrors.tenantNotFound(tenant, 'invalid_tenant'));
      return answer(200, openIdConfiguration(host, tenant, state.directory.tenantId));
    }
    if (method === 'GET' && url.pathname === '/common/discovery/instance') {
      entry.endpoint = 'instance-discovery';
      const authority = new URL(url.searchParams.get('authorization_endpoint') ?? host);
      return answer(200, {
        tenant_discovery_endpoint: `${host}/${state.directory.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: authority.host, preferred_cache: authority.host, aliases: [authority.host] }],
      });
    }
    if (method === 'GET' && segments.length === 4 && segments[1] === 'discovery' && segments[2] === 'v2.0' && segments[3] === 'keys') {
      entry.endpoint = 'keys';
      return answer(200, { keys: [] });
    }
    if (segments.length === 4 && segments[1] === 'oauth2' && segments[2] === 'v2.0' && segments[3] === 'token') {
      entry.endpoint = 'token';
      entry.tenant = tenant;
      if (method !== 'POST') return error(EntraErrors.missingParameter('grant_type'));
      const form = new URLSearchParams(body);
      entry.clientId = form.get('client_id') ?? undefined;
      entry.claims = form.has('claims');
      const decision = decideTokenRequest(state.directory, tenant, form, `${host}${url.pathname}`, Date.now());
      if (!decision.ok) return error(decision.error);
      const issued = issue(decision.grant, entry);
      return answer(200, {
        token_type: 'Bearer',
        expires_in: issued.expiresInS,
        ext_expires_in: issued.expiresInS,
        access_token: issued.token,
      });
    }
    if (method === 'GET' && url.pathname === MANAGED_IDENTITY_PATH) {
      entry.endpoint = 'managed-identity';
      const q = url.searchParams;
      entry.clientId = q.get('client_id') ?? undefined;
      const identityHeader = req.headers['x-identity-header'];
      const decision = decideManagedIdentityRequest(
        state.directory,
        {
          apiVersion: q.get('api-version'),
          resource: q.get('resource'),
          clientId: q.get('client_id'),
          identityHeader: Array.isArray(identityHeader) ? identityHeader[0] : identityHeader,
        },
        state.identityHeader,
      );
      if (!decision.ok)
        return answer(decision.status, { statusCode: decision.status, message: decision.message, correlationId: randomUUID() });
      const issued = issue(decision.grant, entry);
      return answer(200, {
        access_token: issued.token,
        expires_on: String(issued.expiresOnS),
        resource: decision.grant.resource,
        token_type: 'Bearer',
        client_id: decision.grant.clientId,
      });
    }
    return answer(404, { error: 'not_found', error_description: `No such Entra endpoint: ${method} ${url.pathname}` });
  }

  /** Issues a JWT-shaped access token for `grant`, accepted by the Graph routes until it expires. */
  function issue(grant: Grant, entry: EntraRequest): { token: string; expiresInS: number; expiresOnS: number } {
    const now = Date.now();
    const lifetimeMs = state.lifetimeMs();
    const uti = randomUUID();
    const payload = accessTokenPayload({
      tenantId: state.directory.tenantId,
      clientId: grant.clientId,
      resource: grant.resource,
      caller: { roles: grant.roles },
      nowMs: now,
      lifetimeMs,
      appidacr: grant.auth === 'secret' ? '1' : '2',
      tokenId: uti,
    });
    const token = signHs256({ typ: 'JWT', kid: 'graph-bulk-emulator' }, payload, state.signingKey);
    state.tokens.issue(now, lifetimeMs, token, grant.roles);
    entry.auth = grant.auth;
    entry.resource = grant.resource;
    entry.tokenId = uti;
    return { token, expiresInS: Math.max(1, Math.round(lifetimeMs / 1000)), expiresOnS: Math.floor((now + lifetimeMs) / 1000) };
  }
}

function openIdConfiguration(host: string, tenantInPath: string, tenantId: string): Record<string, unknown> {
  const base = `${host}/${tenantInPath}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${host}/${tenantId}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${host}/${tenantId}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    tenant_region_scope: null,
    cloud_instance_name: new URL(host).host,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1_000_000) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, JSON_HEADERS);
  res.end(JSON.stringify(json));
}

/**
 * Sign-in failures explained: the Entra error code (`AADSTS…`), Entra's own sentence, and what to
 * check — never a secret. Pure except {@link diagnoseAuthority}, which fetches the authority's
 * OpenID configuration once to learn why MSAL could not resolve it.
 *
 * Codes: learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
import { redactSecrets } from '../secrets/redact.js';
import { sendHttp } from '../send/http.js';
import type { Network } from '../send/network.js';

/** What was being signed in with, to word the advice. */
export interface SignInContext {
  /** The `--auth` kind, e.g. `client-secret`. */
  auth: string;
  tenantId?: string;
  clientId?: string;
  /** https authority host in use. */
  authorityHost: string;
  /** Secret values that must never appear in a message (client secret, certificate password). */
  secrets: readonly string[];
  /** The scope tokens are asked for (`{graph-root}/.default`), for the advice. */
  scope?: string;
}

/** A sign-in failure with its message already made safe and helpful. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  /**
   * @param message one or two lines: Entra's code and sentence, then `check: …`
   * @param code the Entra error code, e.g. `AADSTS7000215`, when one was found
   */
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** What to check, per AADSTS number. */
const ADVICE: ReadonlyArray<[RegExp, (c: SignInContext) => string]> = [
  [
    /^(7000215|7000222|7000216)$/,
    (c) =>
      `AZURE_CLIENT_SECRET must be the current secret's Value (not its Secret ID) of app ${c.clientId ?? 'AZURE_CLIENT_ID'}, not expired (Certificates & secrets)`,
  ],
  [
    /^700016$/,
    (c) =>
      `AZURE_CLIENT_ID (${c.clientId ?? 'unset'}) must be an app registered in tenant ${c.tenantId ?? 'AZURE_TENANT_ID'}; check both ids and the cloud (--cloud / --authority-host)`,
  ],
  [
    /^(90002|90023)$/,
    (c) =>
      `AZURE_TENANT_ID (${c.tenantId ?? 'unset'}) must be your directory (tenant) id, and --cloud / --authority-host (${c.authorityHost}) the cloud it lives in`,
  ],
  [
    /^(700027|50027|7000274)$/,
    () =>
      'the certificate in AZURE_CLIENT_CERTIFICATE_PATH must be registered on the app (Certificates & secrets, the public part) and not expired; the PEM file must hold the certificate and its private key',
  ],
  [
    /^700024$/,
    () =>
      "the client assertion or federated token is outside its validity time: check this machine's clock, and that AZURE_FEDERATED_TOKEN_FILE is a fresh projected token",
  ],
  [
    /^(70021|700211|700212|700213|7002137|7002138)$/,
    () =>
      'the app (or user-assigned identity) needs a federated identity credential whose issuer, subject (system:serviceaccount:<namespace>:<service account>) and audience (api://AzureADTokenExchange) match the token in AZURE_FEDERATED_TOKEN_FILE',
  ],
  [
    /^(1002012|500011|70011)$/,
    (c) => `the token scope is ${c.scope ?? 'the Graph root followed by /.default'}: check --graph-url and --cloud`,
  ],
  [/^(7000112|7000113)$/, () => 'the app is disabled in the tenant: ask an administrator to enable it (Enterprise applications)'],
  [/^65001$/, () => 'grant admin consent for the application permission Device.ReadWrite.All'],
];

/** Advice by credential kind when there is no AADSTS code. */
function kindAdvice(c: SignInContext, text: string): string {
  if (/managedidentity|managed identity|IDENTITY_ENDPOINT|IMDS/i.test(text) || c.auth === 'managed-identity') {
    return 'run where a managed identity is assigned (Azure VM, App Service, Container Apps, Functions); for a user-assigned identity set AZURE_CLIENT_ID to its client id; give it the Graph application permission Device.ReadWrite.All';
  }
  if (c.auth === 'workload-identity')
    return 'AZURE_FEDERATED_TOKEN_FILE must be readable (the projected service-account token), AZURE_CLIENT_ID and AZURE_TENANT_ID set (the workload identity webhook injects all three)';
  if (c.auth === 'client-certificate')
    return 'AZURE_CLIENT_CERTIFICATE_PATH must be a PEM file with the certificate and its private key (AZURE_CLIENT_CERTIFICATE_PASSWORD if the key is encrypted)';
  if (c.auth === 'azure-cli') return 'run `az login` (for a tenant: `az login --tenant <id>`) as the user this job runs as';
  if (c.auth === 'default' || c.auth === 'environment') {
    return 'set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE), or run where a managed identity is assigned; choose one with --auth';
  }
  return `check AZURE_TENANT_ID, AZURE_CLIENT_ID and the authority host ${c.authorityHost}`;
}

/** Removes every known secret value, then anything secret-looking ({@link redactSecrets}). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('<redacted>');
  return redactSecrets(out);
}

/**
 * The first `AADSTS<digits>: …` sentence in `text` (up to the end of its line or " Trace ID"),
 * or undefined.
 */
export function entraSentence(text: string): { code: string; sentence: string } | undefined {
  const m = /AADSTS(\d+):?\s*([^\r\n]*)/.exec(text);
  if (!m) return undefined;
  const sentence = m[2]!.replace(/\s*(Trace ID|Correlation ID|Timestamp):.*$/i, '').trim();
  return { code: `AADSTS${m[1]}`, sentence };
}

/**
 * Explains a credential's getToken failure.
 * @param err what @azure/identity threw (AuthenticationError, CredentialUnavailableError, …)
 * @param diagnosis Entra's answer for the authority, when MSAL could not resolve it (see {@link diagnoseAuthority})
 * @returns a {@link SignInError} whose message holds the AADSTS code and sentence when there is one,
 *   then "check: …"; secrets removed.
 */
export function explainSignInError(err: unknown, context: SignInContext, diagnosis?: string): SignInError {
  const raw = err instanceof Error ? `${err.message}` : String(err);
  const found = entraSentence(raw) ?? (diagnosis ? entraSentence(diagnosis) : undefined);
  let message: string;
  let advice: string;
  if (found) {
    const num = found.code.slice('AADSTS'.length);
    advice = ADVICE.find(([re]) => re.test(num))?.[1](context) ?? kindAdvice(context, raw);
    message = `${found.code}: ${found.sentence}`;
  } else {
    const firstLine = raw.split(/\r?\n/)[0]!.trim();
    message = diagnosis ? `${firstLine} (${diagnosis})` : firstLine;
    const unreachable = diagnosis?.startsWith(UNREACHABLE);
    if (unreachable) message = `cannot reach the sign-in authority ${context.authorityHost}: ${diagnosis!.slice(UNREACHABLE.length)}`;
    advice = unreachable
      ? 'token requests take the same way out as Graph requests: HTTPS_PROXY / HTTP_PROXY or --proxy (NO_PROXY hosts go direct), NODE_EXTRA_CA_CERTS or --ca-file (see docs/company-network.md)'
      : /endpoints_resolution_error/.test(raw)
        ? `the authority ${context.authorityHost}/${context.tenantId ?? '<tenant>'} could not be resolved: check AZURE_TENANT_ID, --cloud / --authority-host, and that the host is reachable over https`
        : kindAdvice(context, raw);
  }
  return new SignInError(scrubSecrets(`${message}\n  check: ${advice}`, context.secrets), found?.code);
}

/** How {@link diagnoseAuthority} starts a diagnosis that is a network failure (no answer from Entra). */
const UNREACHABLE = 'unreachable: ';

/**
 * Fetches `{authorityHost}/{tenant}/v2.0/.well-known/openid-configuration` once, the way token
 * requests go (`network`: proxy, CAs), to learn why MSAL reported `endpoints_resolution_error` (Entra
 * answers an unknown tenant with AADSTS90002 there; a proxy, a certificate or a dead path gives no
 * answer at all, which MSAL reports the same way).
 * @returns Entra's error text, a network failure's text (naming host and problem, see
 *   `classifyNetworkFault`), or undefined when the document loads. Never throws.
 */
export async function diagnoseAuthority(
  authorityHost: string,
  tenantId: string,
  timeoutMs = 10_000,
  network?: Network,
): Promise<string | undefined> {
  const url = `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
  const res = await sendHttp({ method: 'GET', url, headers: { Accept: 'application/json' }, timeoutMs, network });
  if (!res.ok) return `${UNREACHABLE}${res.message}`;
  if (res.status >= 200 && res.status < 300) return undefined;
  const body = res.json as { error_description?: unknown } | undefined;
  return typeof body?.error_description === 'string' ? body.error_description : `HTTP ${res.status} from ${url}`;
}

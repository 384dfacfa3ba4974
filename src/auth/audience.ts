/**
 * Is a token for the Graph root in use? The `aud` claim of an access token names the API it was issued
 * for: a token for another API (the Azure management API, Key Vault, an app's own `api://…`) or for
 * another cloud's Graph is refused by Graph with 401 on every request, so it is refused before any.
 *
 * Graph's audiences (learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference,
 * `aud`: "the intended audience of the token … the Application ID URI or GUID of the API"): the cloud's
 * Graph root (`https://graph.microsoft.com`, also with a trailing slash; `https://graph.microsoft.us`,
 * `https://dod-graph.microsoft.us`, `https://microsoftgraph.chinacloudapi.cn`) or Microsoft Graph's
 * application id `00000003-0000-0000-c000-000000000000` (v2.0 tokens). docs/graph-behaviour.md §4.
 */
import { CLOUDS } from '../graph/clouds.js';

/** Microsoft Graph's application (client) id, the `aud` of v2.0 tokens for Graph. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const KNOWN_ROOTS: readonly string[] = Object.values(CLOUDS).map((c) => c.graphRoot.toLowerCase());

const norm = (s: string) => s.trim().replace(/\/+$/, '').toLowerCase();

/**
 * Why the token (its decoded claims) is not for `graphRoot`, as one sentence with what to do; or
 * undefined when it is, or when it cannot be told (no claims, no `aud`). A `graphRoot` that is not a
 * cloud's Graph root (the loopback emulator, an allowed unknown host) also accepts any cloud's Graph
 * audience. Pure.
 * @param claims the token's payload (`decodeTokenClaims`), or undefined for an opaque token.
 * @param graphRoot the Graph root requests go to, e.g. `https://graph.microsoft.com`.
 */
export function audienceProblem(claims: Record<string, unknown> | undefined, graphRoot: string): string | undefined {
  const raw = claims?.aud;
  const audiences = (Array.isArray(raw) ? raw : [raw]).filter((a): a is string => typeof a === 'string' && a.trim() !== '');
  if (audiences.length === 0) return undefined;
  const root = norm(graphRoot);
  const known = KNOWN_ROOTS.includes(root);
  const accepted = (aud: string) => {
    const a = norm(aud);
    return a === root || a === GRAPH_APP_ID || (!known && KNOWN_ROOTS.includes(a));
  };
  if (audiences.some(accepted)) return undefined;
  const root0 = graphRoot.replace(/\/+$/, '');
  return (
    `the token is for ${audiences.join(', ')} (its aud claim), not Microsoft Graph at ${root0}: ` +
    `get a token for the scope ${root0}/.default (e.g. az account get-access-token --resource ${root0}), ` +
    'or check --cloud / --graph-url'
  );
}

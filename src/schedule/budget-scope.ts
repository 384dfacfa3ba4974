/**
 * Whose write budget a job spends. Graph's write budget belongs to an application in a tenant
 * (3,000 writes per 150 s per app per tenant; docs/graph-behaviour.md §3, learn.microsoft.com/en-us/graph/throttling-limits),
 * so every job of that app in that tenant must draw from one shared budget, whatever manifest it runs.
 */
export interface BudgetScope {
  /** Limiter id: the same for every process of one app in one tenant against one Graph root. */
  id: string;
  /** Where the tenant and app ids came from: the access token's claims, the job options (or
   * AZURE_TENANT_ID / AZURE_CLIENT_ID), or nowhere (the Graph root alone names the budget). */
  source: 'token' | 'options' | 'graph-root';
  tenantId?: string;
  appId?: string;
}

/** Inputs of {@link budgetScope}. */
export interface BudgetScopeInput {
  /** Graph root, scheme and host, e.g. `https://graph.microsoft.com`. */
  graphRoot: string;
  /** The tenant and app the access token names (its `tid` / `appid` claims, read by the caller with
   * `readTokenIdentity`), when it is a JWT that names them. */
  claims?: { tenantId?: string; appId?: string };
  /** Tenant id from the job options or AZURE_TENANT_ID. */
  tenantId?: string;
  /** App (client) id from the job options or AZURE_CLIENT_ID. */
  clientId?: string;
}

/**
 * Derives the shared-budget id from the Graph root, the tenant id and the app id: taken from the
 * token's claims when it is a JWT (each claim wins over the option), else from the options / environment, else the Graph
 * root alone (then every job against that root shares one budget: safe, and right for one app).
 * Pure. Ids are lower-cased so `ABC…` and `abc…` name the same budget.
 */
export function budgetScope(input: BudgetScopeInput): BudgetScope {
  const root = input.graphRoot.replace(/\/+$/, '').toLowerCase();
  const clean = (v: string | undefined) => (v && v.trim() ? v.trim().toLowerCase() : undefined);
  const claims = input.claims && { tenantId: clean(input.claims.tenantId), appId: clean(input.claims.appId) };
  // The token's claims are what Graph charges the writes to, so they win over the options.
  const tenantId = claims?.tenantId ?? clean(input.tenantId);
  const appId = claims?.appId ?? clean(input.clientId);
  const source: BudgetScope['source'] =
    !tenantId && !appId ? 'graph-root' : tenantId === claims?.tenantId && appId === claims?.appId ? 'token' : 'options';
  return { id: `graph-bulk|${root}|${tenantId ?? '*'}|${appId ?? '*'}`, source, tenantId, appId };
}

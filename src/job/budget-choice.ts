import { decodeTokenClaims } from '../auth/token-claims.js';
import { rememberSecret } from '../secrets/redact.js';
import { tokenPermissions } from '../graph/permissions.js';
import type { Logger } from '../report/log.js';
import type { PacingBudget } from '../schedule/budget.js';
import { budgetScope, type BudgetScope } from '../schedule/budget-scope.js';
import { readTokenIdentity } from '../auth/token-claims.js';
import type { PauseGate } from '../schedule/pause-gate.js';
import { describeRedisUrl, SharedBudget, type SharedBudgetEvent } from '../schedule/shared-budget.js';
import { LayeredBudget, type BudgetLevel } from '../schedule/layered-budget.js';
import { NestedSharedBudget, nestedLevelKey, type NestedLevel } from '../schedule/nested-budget.js';
import { WriteBudget } from '../schedule/write-budget.js';
import { GRAPH_USER_WRITE_BUDGET, type WriteBudgetSettings } from './options.js';

/** Inputs of {@link chooseBudget}. */
export interface BudgetChoiceInput {
  /** The job's write budget (its app in its tenant); `false` = no pacing. */
  writeBudget: WriteBudgetSettings | false;
  /** The per-user budget of a delegated run: undefined = Graph's when the token is delegated; `false` = off. */
  userWriteBudget?: WriteBudgetSettings | false;
  /** A tenant-wide budget to pace to as well; undefined / `false` = none. */
  tenantWriteBudget?: WriteBudgetSettings | false;
  /** An application-wide budget to pace to as well; undefined / `false` = none. */
  appWriteBudget?: WriteBudgetSettings | false;
  /** Redis URL (`redis` option, else REDIS_URL); absent = a budget of this process alone. */
  redisUrl?: string;
  /** Graph root the job writes to. */
  graphRoot: string;
  /** The access token in use (its `tid` / `appid` claims name the budget). */
  token?: string;
  /** Tenant id from the options or AZURE_TENANT_ID. */
  tenantId?: string;
  /** App (client) id from the options or AZURE_CLIENT_ID. */
  clientId?: string;
  /** Processes known to run together (the shard count), if any. */
  knownPeers?: number;
  log: Logger;
}

/** The budget and pause gate a job uses. */
export interface BudgetChoice {
  /** The write budget: one level, or a {@link LayeredBudget} of the levels that apply (user, app+tenant, tenant, app). */
  budget: PacingBudget | undefined;
  /** The scopes paced, narrowest first (e.g. `['Tenant_User', 'Tenant_Application']` for a delegated run). */
  scopes: BudgetLevel['scope'][];
  /** A gate shared with the other processes, when the budget is; else undefined (keep the local gate). */
  gate: PauseGate | undefined;
  /** Set when the budget is shared through Redis. */
  shared?: { budget: SharedBudget; scope: BudgetScope };
}

const SCOPE_SOURCES: Record<BudgetScope['source'], string> = {
  token: "the access token's tid/appid claims",
  options: 'tenantId/clientId (or AZURE_TENANT_ID/AZURE_CLIENT_ID)',
  'graph-root': 'the Graph root alone (no tenant or app id known: every job against this Graph root shares it)',
};

/**
 * Picks the job's write budget: its own {@link WriteBudget}, or — with a Redis URL — the
 * {@link SharedBudget} of its app and tenant, logging which budget id it joined and why, and every
 * fall-back to a local share and return to Redis. Beside it, the levels that apply
 * ({@link budgetLevels}): a delegated token's per-user budget (said in the log), and any tenant- or
 * application-wide budget set; with more than one level the budget is a {@link LayeredBudget}.
 */
export async function chooseBudget(input: BudgetChoiceInput): Promise<BudgetChoice> {
  const { writeBudget, redisUrl, log } = input;
  if (!writeBudget) {
    if (redisUrl) log.warn('redis ignored: writeBudget is off, so there is no budget to share');
    return { budget: undefined, gate: undefined, scopes: [] };
  }
  const levels = budgetLevels(input);
  if (levels.user) {
    log.info(
      levels.userSource === 'delegated'
        ? `delegated token (scp): writes also paced to the per-user budget, burst ${levels.user.burst} and ${round(levels.user.refillPerSecond)} writes/s (Graph: 25 writes per 10 s per user per tenant; --user-write-budget to change, --no-user-write-budget to turn off)`
        : `writes also paced to the per-user budget set, burst ${levels.user.burst} and ${round(levels.user.refillPerSecond)} writes/s`,
    );
  } else if (levels.userSource === 'app-only') {
    log.info('userWriteBudget ignored: the token is app-only, and Graph counts per-user writes only for delegated tokens');
  }
  const wrap = (appTenant: PacingBudget): PacingBudget => {
    const list: BudgetLevel[] = [];
    if (levels.user) list.push({ scope: 'Tenant_User', budget: new WriteBudget(levels.user) });
    list.push({ scope: 'Tenant_Application', budget: appTenant });
    if (levels.tenant) list.push({ scope: 'Tenant', budget: new WriteBudget(levels.tenant) });
    if (levels.app) list.push({ scope: 'Application', budget: new WriteBudget(levels.app) });
    return list.length === 1 ? appTenant : new LayeredBudget(list);
  };
  const scopes: BudgetLevel['scope'][] = [
    ...(levels.user ? (['Tenant_User'] as const) : []),
    'Tenant_Application',
    ...(levels.tenant ? (['Tenant'] as const) : []),
    ...(levels.app ? (['Application'] as const) : []),
  ];
  if (!redisUrl) return { budget: wrap(new WriteBudget(writeBudget)), gate: undefined, scopes };
  rememberRedisPassword(redisUrl);
  const { graphRoot, tenantId, clientId, token } = input;
  const scope = budgetScope({ graphRoot, tenantId, clientId, ...(token ? { claims: readTokenIdentity(token) } : {}) });
  const where = describeRedisUrl(redisUrl);
  if (scopes.length > 1) {
    // Several levels: nested in Redis, one grant from all of them at once (src/schedule/nested-budget.ts).
    const claims = input.token ? decodeTokenClaims(input.token) : undefined;
    const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
    const ids = { tenantId: scope.tenantId, appId: scope.appId, userId: text(claims?.oid) ?? text(claims?.upn) };
    const settings = { Tenant_User: levels.user, Tenant_Application: writeBudget, Tenant: levels.tenant, Application: levels.app };
    const nested: NestedLevel[] = scopes.map((s) => ({
      scope: s,
      key: nestedLevelKey(input.graphRoot, s, ids),
      burst: settings[s]!.burst,
      refillPerSecond: settings[s]!.refillPerSecond,
    }));
    log.info(`write budgets nested in Redis ${where}: ${scopes.join(', ')}; each grant takes from every level at once`, {
      budgetKeys: nested.map((l) => l.key),
      budgetIdFrom: SCOPE_SOURCES[scope.source],
    });
    return { budget: new NestedSharedBudget(redisUrl, nested), gate: undefined, scopes };
  }
  const onEvent = (e: SharedBudgetEvent) => {
    if (e.kind === 'shared') {
      log.info(`write budget shared through Redis ${where}`, {
        budgetId: scope.id,
        budgetIdFrom: SCOPE_SOURCES[scope.source],
        processes: e.peers,
      });
    } else if (e.kind === 'degraded') {
      log.warn(
        `Redis unreachable (${e.reason}): going on with a local 1/${e.peers} share of the write budget ` +
          `(burst ${e.burst}, ${round(e.refillPerSecond)} writes/s), starting empty, until Redis is back`,
        { budgetId: scope.id },
      );
    } else {
      log.info(`Redis reachable again after ${(e.outageMs / 1000).toFixed(1)} s: back on the shared write budget`, {
        budgetId: scope.id,
        processes: e.peers,
      });
    }
  };
  const budget = await SharedBudget.start({
    redisUrl,
    id: scope.id,
    burst: writeBudget.burst,
    refillPerSecond: writeBudget.refillPerSecond,
    knownPeers: input.knownPeers,
    onEvent,
  });
  return { budget: wrap(budget), gate: budget.gate, shared: { budget, scope }, scopes };
}

/** The budget levels beside the app+tenant one, and why the per-user one is (or is not) there. */
export interface BudgetLevelsChoice {
  user?: WriteBudgetSettings;
  /** `delegated`: Graph's default for a delegated token (or the one set); `set`: set for an unknown
   * (opaque) token; `app-only`: set but ignored; `none`. */
  userSource: 'delegated' | 'set' | 'app-only' | 'none';
  tenant?: WriteBudgetSettings;
  app?: WriteBudgetSettings;
}

/**
 * Which levels apply, pure: from the token, app-only → the app+tenant budget alone; delegated (`scp`,
 * no `roles`) → also the per-user budget, Graph's (burst 25, 2.5 writes/s: docs/graph-behaviour.md §3)
 * unless `userWriteBudget` sets another or `false`. A token that cannot be read (opaque) gets the
 * per-user budget only when it is set. Tenant- and application-wide budgets only when set.
 */
export function budgetLevels(
  input: Pick<BudgetChoiceInput, 'token' | 'userWriteBudget' | 'tenantWriteBudget' | 'appWriteBudget'>,
): BudgetLevelsChoice {
  const kind = input.token ? tokenPermissions(decodeTokenClaims(input.token)).kind : 'unknown';
  const out: BudgetLevelsChoice = { userSource: 'none' };
  const set = input.userWriteBudget;
  if (set !== false) {
    if (kind === 'delegated') {
      out.user = set ?? GRAPH_USER_WRITE_BUDGET;
      out.userSource = 'delegated';
    } else if (set && kind === 'unknown') {
      out.user = set;
      out.userSource = 'set';
    } else if (set) out.userSource = 'app-only';
  }
  if (input.tenantWriteBudget) out.tenant = input.tenantWriteBudget;
  if (input.appWriteBudget) out.app = input.appWriteBudget;
  return out;
}

/** The password of a Redis URL is a secret: no log line, result or error may carry it. */
function rememberRedisPassword(url: string): void {
  try {
    const password = new URL(url).password;
    if (password) rememberSecret(password, decodeURIComponent(password));
  } catch {
    /* not a URL: SharedBudget.start refuses it */
  }
}

function round(n: number): string {
  return String(Number(n.toFixed(2)));
}

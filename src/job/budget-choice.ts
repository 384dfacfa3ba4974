import { rememberSecret } from '../graph/errors.js';
import type { Logger } from '../report/log.js';
import type { PacingBudget } from '../schedule/budget.js';
import { budgetScope, type BudgetScope } from '../schedule/budget-scope.js';
import type { PauseGate } from '../schedule/pause-gate.js';
import { describeRedisUrl, SharedBudget, type SharedBudgetEvent } from '../schedule/shared-budget.js';
import { WriteBudget } from '../schedule/write-budget.js';
import type { WriteBudgetSettings } from './options.js';

/** Inputs of {@link chooseBudget}. */
export interface BudgetChoiceInput {
  /** The job's write budget; `false` = no pacing. */
  writeBudget: WriteBudgetSettings | false;
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
  budget: PacingBudget | undefined;
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
 * fall-back to a local share and return to Redis.
 */
export async function chooseBudget(input: BudgetChoiceInput): Promise<BudgetChoice> {
  const { writeBudget, redisUrl, log } = input;
  if (!writeBudget) {
    if (redisUrl) log.warn('redis ignored: writeBudget is off, so there is no budget to share');
    return { budget: undefined, gate: undefined };
  }
  if (!redisUrl) return { budget: new WriteBudget(writeBudget), gate: undefined };
  rememberRedisPassword(redisUrl);
  const scope = budgetScope(input);
  const where = describeRedisUrl(redisUrl);
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
  return { budget, gate: budget.gate, shared: { budget, scope } };
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
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

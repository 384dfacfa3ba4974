/**
 * Applies the budgets to requests and renders Graph's throttling response (docs/graph-behaviour.md
 * §3): 429 `TooManyRequests` with a fractional `Retry-After`, `x-ms-throttle-scope` shaped
 * `<Scope>/<Limit>/<ApplicationId>/<ResourceId>` (e.g. `Tenant_Application/Write/<appId>/<tenantId>`,
 * `Tenant_User/Write/<appId>/<userId>`), `x-ms-throttle-information`; and
 * `x-ms-throttle-limit-percentage` (0.8–1.8) on regular responses only, never on a 429.
 *
 * Graph is not kinder than its documentation: with `rate429BelowLimit` a write is refused now and
 * then although every budget has room ("429s can happen below the limits"), and with `rateRepeat429`
 * a retry made after the full `Retry-After` is refused once more with the same wait ("if the request
 * fails again with 429, continue to use the recommended Retry-After delay").
 */
import type { Caller, ThrottleScopeName } from './budget-levels.js';
import { errorResult, type EmulatorContext, type GraphResult } from './context.js';
import { formatLimitPercentage, formatRetryAfter } from './token-bucket.js';

/** Outcome of a budget check: `headers` to add to the eventual response, or a 429 result. */
export type ThrottleOutcome = { allowed: true; headers: Record<string, string> } | { allowed: false; result: GraphResult };

/** Shortest and longest `Retry-After` (ms) of a 429 below the limits (seeded, uniform). */
export const BELOW_LIMIT_RETRY_AFTER_MS = { min: 100, max: 2000 } as const;

/**
 * Takes one write (PATCH) or read (GET) token for `target` (the device's object id, or the address
 * when the device is unknown) from every budget of `caller`. Counts early and repeated retries and
 * 429s per scope. Always allowed when that kind of budget is off.
 */
export function checkBudget(ctx: EmulatorContext, kind: 'write' | 'read', target: string, caller: Caller): ThrottleOutcome {
  const levels = kind === 'write' ? ctx.writeLevels : ctx.readLevels;
  if (!levels) return { allowed: true, headers: {} };
  const s = ctx.settings;
  if (kind === 'write' && (s.rate429BelowLimit ?? 0) > 0 && ctx.prng.chance(s.rate429BelowLimit!)) {
    const span = BELOW_LIMIT_RETRY_AFTER_MS.max - BELOW_LIMIT_RETRY_AFTER_MS.min;
    ctx.stats.throttledBelowLimit += 1;
    return refuse(ctx, kind, caller, 'Tenant_Application', caller.tenantId, BELOW_LIMIT_RETRY_AFTER_MS.min + ctx.prng.next() * span);
  }
  const repeat = () => kind === 'write' && (s.rateRepeat429 ?? 0) > 0 && ctx.prng.chance(s.rateRepeat429!);
  const outcome = levels.take(ctx.monoNow(), target, caller, repeat);
  if (outcome.allowed) {
    const pct = formatLimitPercentage(outcome.usage);
    return { allowed: true, headers: pct === undefined ? {} : { 'x-ms-throttle-limit-percentage': pct } };
  }
  if (outcome.early && kind === 'write') ctx.stats.earlyRetries += 1;
  if (outcome.repeated) ctx.stats.repeated429 += 1;
  return refuse(ctx, kind, caller, outcome.scope, outcome.resourceId, outcome.retryAfterMs);
}

function refuse(
  ctx: EmulatorContext,
  kind: 'write' | 'read',
  caller: Caller,
  scope: ThrottleScopeName,
  resourceId: string,
  waitMs: number,
): { allowed: false; result: GraphResult } {
  ctx.stats.throttledScope(`${scope}/${kind === 'write' ? 'Write' : 'Read'}`);
  const information = kind === 'write' ? 'WriteLimitExceeded' : 'ResourceUnitLimitExceeded';
  const { appId, tenantId } = caller;
  const identifier =
    scope === 'Tenant_User'
      ? `${appId}+${tenantId}+${resourceId}`
      : scope === 'Tenant'
        ? tenantId
        : scope === 'Application'
          ? appId
          : `${appId}+${tenantId}`;
  return {
    allowed: false,
    result: errorResult(
      {
        status: 429,
        code: 'TooManyRequests',
        message: `Too many requests from Identifier:${identifier} under category:throttle.aad.ags.msgraph.rest.devices.${kind}. Please try again later.`,
      },
      {
        'Retry-After': formatRetryAfter(waitMs),
        'x-ms-throttle-scope': `${scope}/${kind === 'write' ? 'Write' : 'Read'}/${appId}/${resourceId}`,
        'x-ms-throttle-information': information,
      },
    ),
  };
}

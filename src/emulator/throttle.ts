/**
 * Applies the token buckets to requests and renders Graph's throttling response
 * (docs/graph-behaviour.md §3: 429 `TooManyRequests`, fractional `Retry-After`, `x-ms-throttle-scope`,
 * `x-ms-throttle-information`, `x-ms-throttle-limit-percentage` between 0.8 and 1.8).
 */
import { errorResult, type EmulatorContext, type GraphResult } from './context.js';
import { formatLimitPercentage, formatRetryAfter } from './token-bucket.js';

/** Outcome of a budget check: `headers` to add to the eventual response, or a 429 result. */
export type ThrottleOutcome = { allowed: true; headers: Record<string, string> } | { allowed: false; result: GraphResult };

/**
 * Takes one write (PATCH) or read (GET) token for `target` (the device's object id, or the
 * address when the device is unknown). Counts early retries. Always allowed when that budget
 * is off.
 */
export function checkBudget(ctx: EmulatorContext, kind: 'write' | 'read', target: string): ThrottleOutcome {
  const bucket = kind === 'write' ? ctx.writeBucket : ctx.readBucket;
  if (!bucket) return { allowed: true, headers: {} };
  const outcome = bucket.take(ctx.monoNow(), target);
  const headers: Record<string, string> = {};
  const pct = formatLimitPercentage(outcome.usage);
  if (pct !== undefined) headers['x-ms-throttle-limit-percentage'] = pct;
  if (outcome.allowed) return { allowed: true, headers };
  if (outcome.early && kind === 'write') ctx.stats.earlyRetries += 1;
  const limit = kind === 'write' ? 'WriteLimitExceeded' : 'ResourceUnitLimitExceeded';
  const { appId, tenantId } = ctx.settings;
  headers['Retry-After'] = formatRetryAfter(outcome.retryAfterMs);
  headers['x-ms-throttle-scope'] = `Application_Tenant/${limit}/${appId}/Tenant`;
  headers['x-ms-throttle-information'] = limit;
  return {
    allowed: false,
    result: errorResult(
      {
        status: 429,
        code: 'TooManyRequests',
        message: `Too many requests from Identifier:${appId}+${tenantId} under category:throttle.aad.ags.msgraph.rest.devices.${kind}. Please try again later.`,
      },
      headers,
    ),
  };
}

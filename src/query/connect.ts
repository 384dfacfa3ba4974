/**
 * Connecting a device query to Graph: the job's own connection (src/job/connect.ts) — the Graph root
 * check, the built-in emulator when asked for, the way out (proxy, CA files), sign-in and the first
 * token, the preflight of the token's claims, the sender and the read budget (resource units,
 * docs/graph-behaviour.md §3) — set up for reading (no write budget: a query writes nothing).
 */
import { isAbsolute, resolve } from 'node:path';
import type { TokenManager, TokenSource } from '../auth/token-source.js';
import { connect } from '../job/connect.js';
import { JobError } from '../job/errors.js';
import { parseJobOptions } from '../job/options.js';
import type { Logger } from '../report/log.js';
import type { WriteBudget } from '../schedule/write-budget.js';
import type { GraphSender } from '../send/graph-sender.js';

/** The job options a query's connection takes (same names, defaults and meaning). */
const CONNECTION_OPTIONS = [
  'graphUrl',
  'cloud',
  'apiVersion',
  'allowUnknownHost',
  'auth',
  'tenantId',
  'clientId',
  'authorityHost',
  'timeoutMs',
  'maxRetries',
  'retryBaseDelayMs',
  'readBudget',
  'throttlePriority',
  'logFormat',
  'emulator',
  'proxy',
  'caFile',
] as const;

/** A connection: close it when done (stops the read budget, the way out and the emulator). */
export interface QueryConnection {
  sender: GraphSender;
  tokens: TokenManager;
  readBudget: WriteBudget | undefined;
  graphRoot: string;
  close(): Promise<void>;
}

/**
 * Connects, and takes one token so that sign-in problems stop here.
 * @param o the query's options; those of {@link CONNECTION_OPTIONS} are used, the rest ignored.
 * @throws {JobError} (exit 3) for a Graph host that is not allowed, a proxy or CA file that cannot be
 *   used, sign-in setup or sign-in failure.
 */
export async function connectQuery(
  o: Record<string, unknown>,
  context: { env: NodeJS.ProcessEnv; tokenSource?: TokenSource; log: Logger; signal?: AbortSignal; baseDir?: string },
): Promise<QueryConnection> {
  const picked: Record<string, unknown> = { manifest: '(query)', writeBudget: false };
  for (const k of CONNECTION_OPTIONS) if (o[k] !== undefined) picked[k] = o[k];
  let options: ReturnType<typeof parseJobOptions>;
  try {
    options = parseJobOptions(picked, 'query options');
  } catch (err) {
    throw new JobError((err as Error).message);
  }
  const connection = await connect({
    options,
    env: context.env,
    log: context.log,
    path: (p) => (isAbsolute(p) ? p : resolve(context.baseDir ?? process.cwd(), p)),
    ...(context.tokenSource ? { tokenSource: context.tokenSource } : {}),
    plan: true, // reads only: a token without a write permission is a warning here, not a stop
    abandon: context.signal ?? new AbortController().signal,
  });
  return {
    sender: connection.sender,
    tokens: connection.tokens,
    readBudget: connection.readBudget,
    graphRoot: connection.graphRoot,
    close: async () => {
      await connection.readBudget?.stop();
      await connection.stop();
    },
  };
}

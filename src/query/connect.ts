/**
 * Connecting a device query to Graph with the product's own pieces: the Graph root check
 * (`resolveGraphRoot`), sign-in (GRAPH_ACCESS_TOKEN or `@azure/identity`, `TokenManager`), the
 * `GraphSender`, and the read budget (`WriteBudget` in resource units, docs/graph-behaviour.md §3).
 * The built-in emulator, when asked for, is started here.
 */
import { staticTokenSource, TokenManager, type TokenSource } from '../auth/token-source.js';
import { CLOUDS, resolveGraphRoot, tokenScope } from '../graph/clouds.js';
import { redactSecrets } from '../secrets/redact.js';
import { SignInSettingsError } from '../auth/settings-error.js';
import type { ApiVersion } from '../graph/urls.js';
import { JobError } from '../job/errors.js';
import type { authKinds, WriteBudgetSettings } from '../job/options.js';
import type { Logger } from '../report/log.js';
import { WriteBudget } from '../schedule/write-budget.js';
import { GraphSender } from '../send/graph-sender.js';

/** What a query needs to reach Graph (a subset of the job options, same names and meaning). */
export interface QueryConnectionOptions {
  graphUrl?: string;
  cloud: keyof typeof CLOUDS;
  apiVersion: ApiVersion;
  allowUnknownHost: boolean;
  auth: (typeof authKinds)[number];
  tenantId?: string;
  clientId?: string;
  authorityHost?: string;
  timeoutMs: number;
  throttlePriority: 'Low' | 'Normal' | 'High';
  readBudget: WriteBudgetSettings | false;
  /** Start the built-in emulator with this inventory file (or its default one) and query it. */
  emulator?: { devices?: string; seed?: number; readBudget?: WriteBudgetSettings | false };
}

/** A connection: close it when done (stops the emulator and the budget). */
export interface QueryConnection {
  sender: GraphSender;
  tokens: TokenManager;
  readBudget: WriteBudget | undefined;
  graphRoot: string;
  close(): Promise<void>;
}

/**
 * Connects, and takes one token so that sign-in problems stop here.
 * @throws {JobError} (exit 3) for a Graph host that is not allowed, sign-in setup or sign-in failure.
 */
export async function connectQuery(
  o: QueryConnectionOptions,
  context: { env: NodeJS.ProcessEnv; tokenSource?: TokenSource; log: Logger; signal?: AbortSignal },
): Promise<QueryConnection> {
  let graphUrl = o.graphUrl;
  let tokenSource = context.tokenSource;
  let stopEmulator: (() => Promise<void>) | undefined;
  if (o.emulator) {
    const { startEmulator } = await import('../emulator/index.js');
    const emu = await startEmulator({ devices: o.emulator.devices, seed: o.emulator.seed, readBudget: o.emulator.readBudget });
    graphUrl = emu.url;
    tokenSource ??= staticTokenSource(emu.token, 'built-in emulator token');
    stopEmulator = () => emu.stop();
    context.log.info(`querying the built-in Graph emulator at ${emu.url}`);
  }
  const fail = async (err: unknown, prefix = ''): Promise<never> => {
    await stopEmulator?.();
    if (err instanceof JobError) throw err;
    if (err instanceof SignInSettingsError) throw new JobError(err.message);
    throw new JobError(`${prefix}${redactSecrets((err as Error).message)}`);
  };
  let graphRoot = '';
  try {
    graphRoot = resolveGraphRoot({ graphUrl, cloud: o.cloud, allowHost: o.allowUnknownHost });
  } catch (err) {
    await fail(err);
  }
  if (!tokenSource) {
    const envToken = context.env.GRAPH_ACCESS_TOKEN;
    if (envToken) tokenSource = staticTokenSource(envToken.trim());
    else {
      try {
        const { signInTokenSource } = await import('../auth/credentials.js');
        tokenSource = signInTokenSource({
          auth: o.auth,
          tenantId: o.tenantId,
          clientId: o.clientId,
          authorityHost: o.authorityHost,
          defaultAuthorityHost: CLOUDS[o.cloud].authorityHost,
          allowUnknownHost: o.allowUnknownHost,
          env: context.env,
          scope: tokenScope(graphRoot),
        });
      } catch (err) {
        await fail(err, 'sign-in setup failed: ');
      }
    }
  }
  const source = tokenSource as TokenSource;
  const tokens = new TokenManager(source);
  try {
    await tokens.current();
  } catch (err) {
    await fail(err, `sign-in failed (${source.description}): `);
  }
  const sender = new GraphSender({
    graphRoot,
    apiVersion: o.apiVersion,
    tokens,
    timeoutMs: o.timeoutMs,
    throttlePriority: o.throttlePriority,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const readBudget = o.readBudget ? new WriteBudget(o.readBudget) : undefined;
  return {
    sender,
    tokens,
    readBudget,
    graphRoot,
    close: async () => {
      await readBudget?.stop();
      await stopEmulator?.();
    },
  };
}

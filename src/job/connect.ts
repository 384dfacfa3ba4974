/**
 * Connecting a job to Graph before any row is sent: the Graph root (a known cloud or loopback), the
 * built-in emulator when asked for, the token source (given, GRAPH_ACCESS_TOKEN or @azure/identity),
 * one token taken up front so sign-in problems stop here, the preflight of the token's claims, the
 * sender, the write budget (local or shared through Redis) and the device reader.
 *
 * Every failure throws a {@link JobError} (exit 3) after stopping the emulator it started: one place.
 */
import { audienceProblem } from '../auth/audience.js';
import { staticTokenSource, TokenManager, type TokenSource } from '../auth/token-source.js';
import { SignInSettingsError } from '../auth/settings-error.js';
import { decodeTokenClaims, readTokenIdentity } from '../auth/token-claims.js';
import type { GraphIdentity } from '../report/results-meta.js';
import { CLOUDS, resolveGraphRoot, tokenScope } from '../graph/clouds.js';
import { redactSecrets } from '../secrets/redact.js';
import { describePermissions, missingPermission, tokenPermissions } from '../graph/permissions.js';
import { defaultRetryStrategies, type RetryStrategy } from '../graph/retry.js';
import type { Logger } from '../report/log.js';
import type { PacingBudget } from '../schedule/budget.js';
import { PauseGate } from '../schedule/pause-gate.js';
import { WriteBudget } from '../schedule/write-budget.js';
import { GraphSender, type GraphSenderOptions } from '../send/graph-sender.js';
import { createNetwork, type Network, NetworkConfigError } from '../send/network.js';
import { DeviceReader } from '../state/reader.js';
import { chooseBudget, type BudgetChoice } from './budget-choice.js';
import { JobError } from './errors.js';
import { concurrencyCap, type JobOptions } from './options.js';

/** What {@link connect} needs beside the options. */
export interface ConnectInput {
  options: JobOptions;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Resolves a path of the options against the job's folder. */
  path: (p: string) => string;
  /** Tokens from here instead of GRAPH_ACCESS_TOKEN / @azure/identity. */
  tokenSource?: TokenSource;
  /** A plan: reads always, and a missing write permission is a warning, not a stop. */
  plan: boolean;
  /** Aborting it abandons every request in flight. */
  abandon: AbortSignal;
  /** Processes known to run together (the shard count), for a shared budget. */
  knownPeers?: number;
  /** Told of every exchange with Graph, reads and writes (the connectivity stop rules). */
  observe?: GraphSenderOptions['observe'];
  /** Called when Graph asks to wait longer than `maxRetryAfterMs` (the job stops, resumable). */
  onRetryAfterBeyondMax?: (reason: string) => void;
}

/** A job connected to Graph. `stop()` stops the built-in emulator, if one was started (else nothing). */
export interface Connection {
  graphRoot: string;
  /** The Graph this run sends to: root, and the tenant and app of its token (else the sign-in settings). */
  identity: GraphIdentity;
  tokens: TokenManager;
  sender: GraphSender;
  /** The write budget, or undefined for no client-side pacing. */
  budget: PacingBudget | undefined;
  /** Set when the budget is shared through Redis. */
  shared: BudgetChoice['shared'];
  /** The gate every request waits at, reads and writes alike: shared with the other processes when
   * the budget is, else this run's own. */
  gate: PauseGate;
  /** The device reader, when rows are read before writing, read back (`verify`) or planned. */
  reader: DeviceReader | undefined;
  /** The reader's budget (`readBudget`), if any. */
  readBudget: WriteBudget | undefined;
  /** Whether the token is app-only (true), delegated (false) or unknown (an opaque token). */
  appOnly: boolean | undefined;
  /** Retry strategies shared by reads and writes (`retryBaseDelayMs`). */
  strategies: readonly RetryStrategy[];
  /** Bearer tokens Graph accepted at least once, shared by reads and writes: a later 401 for one of
   * them is an expiry (docs/graph-behaviour.md §4). */
  tokensThatWorked: Set<string>;
  /** The way out (proxy, CAs) Graph and token requests take. */
  network: Network;
  stop(): Promise<void>;
}

/**
 * The Graph root for `graphUrl` (see `resolveGraphRoot`: a known cloud's root or loopback unless
 * `allowUnknownHost`).
 * @throws {JobError} (exit 3) otherwise.
 */
export function checkGraphUrl(graphUrl: string | undefined, o: Pick<JobOptions, 'cloud' | 'allowUnknownHost'>): string {
  try {
    return resolveGraphRoot({ graphUrl, cloud: o.cloud, allowHost: o.allowUnknownHost });
  } catch (err) {
    throw new JobError((err as Error).message);
  }
}

/**
 * Before any request: what the token can do (its claims, not its signature). A token whose `aud` is
 * not the Graph root in use (`graphRoot`; see `audienceProblem`) stops the run (exit 3). App-only or delegated
 * is logged; a token without a permission that allows device writes stops the run (exit 3) with what
 * to grant — for a plan, which writes nothing, it is a warning. An opaque token is a warning.
 * @returns true for app-only, false for delegated, undefined for an opaque token.
 * @throws {JobError} (exit 3) for a token for another audience, or a missing permission (not for a plan).
 */
export function preflight(token: string, plan: boolean, log: Logger, graphRoot?: string): boolean | undefined {
  const claims = decodeTokenClaims(token);
  // A token for another API (or another cloud's Graph) is refused by Graph on every request: none is sent.
  const wrongAudience = graphRoot ? audienceProblem(claims, graphRoot) : undefined;
  if (wrongAudience) throw new JobError(`wrong token, nothing sent: ${wrongAudience}`);
  const permissions = tokenPermissions(claims);
  if (permissions.kind === 'unknown') {
    log.warn(
      'the token is not a readable JWT: its permissions cannot be checked before sending, and Graph alone will refuse changes it does not allow (app-only callers: only extension attributes on devices that are not Windows)',
    );
    return undefined;
  }
  log.info(`signed in: ${describePermissions(permissions)}`);
  const missing = missingPermission(permissions);
  if (missing) {
    if (plan) log.warn(`a run with this token would stop before writing: ${missing}`);
    else throw new JobError(`permission missing, nothing sent: ${missing}`);
  }
  return permissions.kind === 'app-only';
}

/**
 * Connects: starts the emulator (option `emulator`), checks the Graph root, signs in and takes one
 * token, runs the {@link preflight}, and sets up the sender, the write budget and the reader.
 * @throws {JobError} (exit 3) for an unknown Graph host, a sign-in that fails, a missing permission or
 *   a budget that cannot be set up; the emulator it started is stopped first. Messages carry no secret.
 */
export async function connect(input: ConnectInput): Promise<Connection> {
  const o = input.options;
  let graphUrl = o.graphUrl;
  let tokenSource = input.tokenSource;
  let stopEmulator: () => Promise<void> = async () => undefined;
  if (o.emulator) {
    const { startEmulator } = await import('../emulator/index.js');
    const emu = await startEmulator({
      devices: o.emulator.devices ? input.path(o.emulator.devices) : undefined,
      writeBudget: o.emulator.writeBudget,
      readBudget: o.emulator.readBudget,
      latencyMs: o.emulator.latencyMs,
      seed: o.emulator.seed,
      appOnly: o.emulator.appOnly,
    });
    graphUrl = emu.url;
    tokenSource ??= staticTokenSource(emu.token, 'built-in emulator token');
    stopEmulator = () => emu.stop();
    input.log.info(`running against the built-in Graph emulator at ${emu.url}`);
  }
  try {
    const network = openNetwork(input);
    logNetwork(input, network, graphUrl, tokenSource !== undefined);
    try {
      const connected = await connectTo(input, graphUrl, tokenSource, network);
      return {
        ...connected,
        network,
        stop: async () => {
          network.destroy();
          await stopEmulator();
        },
      };
    } catch (err) {
      network.destroy();
      throw err;
    }
  } catch (err) {
    await stopEmulator();
    throw err;
  }
}

/**
 * The way out for this run: `proxy` / `caFile` over the environment's proxy variables and
 * `NODE_EXTRA_CA_CERTS` (see `createNetwork`; docs/company-network.md).
 * @throws {JobError} (exit 3) for a proxy URL or a CA file that cannot be used.
 */
function openNetwork(input: ConnectInput): Network {
  try {
    return createNetwork({
      proxy: input.options.proxy,
      caFile: input.options.caFile ? input.path(input.options.caFile) : undefined,
      env: input.env,
    });
  } catch (err) {
    if (err instanceof NetworkConfigError) throw new JobError(err.message);
    throw err;
  }
}

/** Says which proxy Graph and sign-in requests take and which extra CAs are trusted, when any. */
function logNetwork(input: ConnectInput, network: Network, graphUrl: string | undefined, tokensGiven: boolean): void {
  const o = input.options;
  const targets: Array<[string, string | undefined]> = [
    ['Graph', graphUrl ?? CLOUDS[o.cloud].graphRoot],
    [
      'sign-in',
      tokensGiven || input.env.GRAPH_ACCESS_TOKEN
        ? undefined
        : (o.authorityHost ?? input.env.AZURE_AUTHORITY_HOST ?? CLOUDS[o.cloud].authorityHost),
    ],
  ];
  for (const [what, url] of targets) {
    if (!url) continue;
    let proxy: ReturnType<Network['proxyFor']>;
    try {
      proxy = network.proxyFor(new URL(url));
    } catch {
      continue; // a bad URL is reported where it is checked
    }
    if (proxy) input.log.info(`${what} requests go through proxy ${proxy.display} (${proxy.source})`);
  }
  if (network.extraCaCount > 0) input.log.info(`trusting ${network.extraCaCount} more CA certificate(s) from --ca-file ${o.caFile}`);
}

async function connectTo(
  input: ConnectInput,
  graphUrl: string | undefined,
  given: TokenSource | undefined,
  network: Network,
): Promise<Omit<Connection, 'stop' | 'network'>> {
  const o = input.options;
  const graphRoot = checkGraphUrl(graphUrl, o);
  const tokenSource = given ?? (await signIn(input, graphRoot, network));
  const tokens = new TokenManager(tokenSource);
  let token: string;
  try {
    token = await tokens.current();
  } catch (err) {
    throw new JobError(`sign-in failed (${tokenSource.description}): ${redactSecrets((err as Error).message)}`);
  }
  const appOnly = preflight(token, input.plan, input.log, graphRoot);
  const strategies = defaultRetryStrategies(undefined, { baseDelayMs: o.retryBaseDelayMs });
  const tokensThatWorked = new Set<string>();
  const sender = new GraphSender({
    graphRoot,
    apiVersion: o.apiVersion,
    tokens,
    timeoutMs: o.timeoutMs,
    throttlePriority: o.throttlePriority,
    signal: input.abandon,
    network,
    ...(input.observe ? { observe: input.observe } : {}),
    maxResponseBytes: o.maxResponseBytes,
    maxRetryAfterMs: o.maxRetryAfterMs,
    onRetryAfterBeyondMax: input.onRetryAfterBeyondMax,
  });
  let choice: BudgetChoice;
  try {
    choice = await chooseBudget({
      writeBudget: o.writeBudget,
      userWriteBudget: o.userWriteBudget,
      tenantWriteBudget: o.tenantWriteBudget,
      appWriteBudget: o.appWriteBudget,
      redisUrl: o.redis ?? (input.env.REDIS_URL?.trim() || undefined),
      graphRoot,
      token,
      tenantId: o.tenantId ?? input.env.AZURE_TENANT_ID,
      clientId: o.clientId ?? input.env.AZURE_CLIENT_ID,
      knownPeers: input.knownPeers,
      log: input.log,
    });
  } catch (err) {
    throw new JobError(redactSecrets((err as Error).message));
  }
  const gate = choice.gate ?? new PauseGate();
  let reader: DeviceReader | undefined;
  let readBudget: WriteBudget | undefined;
  if (o.readFirst || o.verify || input.plan) {
    // Reads have a budget of their own (resource units), apart from the write budget (docs/graph-behaviour.md §3).
    if (o.readBudget) readBudget = new WriteBudget(o.readBudget);
    reader = new DeviceReader({
      sender,
      tokens,
      tokensThatWorked,
      budget: readBudget,
      concurrency: concurrencyCap(o.concurrency, readBudget !== undefined),
      maxRetries: o.maxRetries,
      strategies,
      // a batch larger than the budget's burst could never be paid for at once
      batchSize: Math.min(20, readBudget?.burst ?? 20),
      gate,
    });
  }
  const budget = choice.budget;
  const claimed = readTokenIdentity(token);
  const lower = (v: string | undefined) => (v?.trim() ? v.trim().toLowerCase() : undefined);
  const tenantId = claimed?.tenantId ?? lower(o.tenantId ?? input.env.AZURE_TENANT_ID);
  const appId = claimed?.appId ?? lower(o.clientId ?? input.env.AZURE_CLIENT_ID);
  return {
    graphRoot,
    identity: { root: graphRoot, ...(tenantId ? { tenantId } : {}), ...(appId ? { appId } : {}) },
    tokens,
    sender,
    budget,
    shared: choice.shared,
    gate,
    reader,
    readBudget,
    appOnly,
    strategies,
    tokensThatWorked,
  };
}

/** GRAPH_ACCESS_TOKEN, else a sign-in through @azure/identity (loaded only now: it is slow to load). */
async function signIn(input: ConnectInput, graphRoot: string, network: Network): Promise<TokenSource> {
  const o = input.options;
  const envToken = input.env.GRAPH_ACCESS_TOKEN;
  if (envToken) return staticTokenSource(envToken.trim());
  try {
    const { signInTokenSource } = await import('../auth/credentials.js');
    return signInTokenSource({
      auth: o.auth,
      tenantId: o.tenantId,
      clientId: o.clientId,
      authorityHost: o.authorityHost,
      defaultAuthorityHost: CLOUDS[o.cloud].authorityHost,
      allowUnknownHost: o.allowUnknownHost,
      env: input.env,
      scope: tokenScope(graphRoot),
      network,
    });
  } catch (err) {
    if (err instanceof JobError) throw err;
    if (err instanceof SignInSettingsError) throw new JobError(err.message);
    throw new JobError(`sign-in setup failed: ${redactSecrets((err as Error).message)}`);
  }
}

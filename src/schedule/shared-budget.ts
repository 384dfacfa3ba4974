import Bottleneck from 'bottleneck';
import { Redis, type RedisOptions } from 'ioredis';
import type { PacingBudget } from './budget.js';
import { redisPauseStore, SharedPauseGate } from './shared-pause.js';
import { WriteBudget } from './write-budget.js';

/**
 * One write budget for every process and machine that writes as the same app in the same tenant,
 * kept in Redis by bottleneck's clustering mode (an existing distributed limiter: its Lua scripts
 * take writes from one reservoir atomically). Graph's budget is per app per tenant (3,000 writes
 * per 150 s; docs/graph-behaviour.md §3, learn.microsoft.com/en-us/graph/throttling-limits), not per process:
 * two overlapping cron jobs or n pods that each believed they owned it would together provoke 429 storms.
 *
 * - **Refill**: bottleneck's own `reservoirIncreaseAmount / Interval / Maximum`, computed in Redis
 *   from elapsed time (a per-process refill timer would multiply the refill by the number of
 *   processes). Bottleneck applies it only when a script runs (a request, or a heartbeat), so the
 *   heartbeat runs every `heartbeatMs` (default 50 ms) to keep the refill smooth.
 * - **429s**: {@link gate} is a pause gate shared through a Redis key whose expiry is the pause: a
 *   `Retry-After` seen by any process pauses all of them.
 * - **Redis unreachable** (at start or mid-run): the process goes on with a local budget that
 *   assumes the worst: it starts empty and refills at `refill / N`, with N = max(2, live processes
 *   last seen, `knownPeers`) — or max(4, `knownPeers`) for a process that never reached Redis — so
 *   the processes that were sharing cannot together pass Graph's rate. The live count is taken every
 *   second and at once whenever a process joins (it announces itself on the limiter's channel). It keeps reconnecting; once
 *   Redis is back it returns to the shared budget, first holding that budget below zero for
 *   {@link RESTORE_HOLD_MS} of refill so that peers not yet back on it cannot overshoot with it.
 *
 * Every clock involved is the local one (bottleneck passes `Date.now()` into its scripts): machines
 * sharing a budget need synchronised clocks (NTP), as Kubernetes nodes have.
 */
export class SharedBudget implements PacingBudget {
  /** The pause gate to use with this budget: pauses reach every process of the budget. */
  readonly gate: SharedPauseGate;
  readonly #o: Required<Omit<SharedBudgetOptions, 'knownPeers' | 'onEvent'>> & Pick<SharedBudgetOptions, 'knownPeers' | 'onEvent'>;
  readonly #monitor: Redis;
  readonly #timer: NodeJS.Timeout;
  #mode: 'starting' | 'shared' | 'degraded' | 'stopped' = 'starting';
  #cluster: Cluster | undefined;
  #local: WriteBudget | undefined;
  #changed!: Promise<void>;
  #signalChange!: () => void;
  #rateFactor = 1;
  #appliedFactor = 1;
  #appliedAt = 0;
  #peersSeen: number | undefined;
  #outages = 0;
  #outageStart = 0;
  #degradedMs = 0;
  #restoring = false;
  #spent = 0;
  readonly #reserve: number;

  /**
   * Connects to Redis and joins (or creates) the budget `options.id`. Resolves also when Redis
   * cannot be reached within `connectTimeoutMs`: the budget then starts on its local fallback and
   * keeps trying to reconnect (an `onEvent` of kind `degraded` says so).
   * @throws {Error} when `redisUrl` is not a `redis://` or `rediss://` URL.
   */
  static async start(options: SharedBudgetOptions): Promise<SharedBudget> {
    if (!/^rediss?:\/\//i.test(options.redisUrl))
      throw new Error(`not a Redis URL (redis:// or rediss://): ${describeRedisUrl(options.redisUrl)}`);
    const budget = new SharedBudget(options);
    await budget.#begin();
    return budget;
  }

  private constructor(options: SharedBudgetOptions) {
    this.#o = {
      heartbeatMs: 50,
      connectTimeoutMs: 5000,
      ...options,
    };
    this.#reserve = jitterReserve(options.burst, options.refillPerSecond);
    this.#newChangeSignal();
    this.#monitor = new Redis(options.redisUrl, clientOptions(MONITOR_COMMAND_TIMEOUT_MS));
    this.#monitor.on('error', () => undefined); // reported through 'close' and degraded mode
    this.#monitor.on('close', () => {
      if (this.#mode === 'shared') this.#degrade('the connection to Redis was lost');
    });
    this.#monitor.on('ready', () => void this.#restore());
    this.gate = new SharedPauseGate(redisPauseStore(this.#monitor, `${options.id}|pause`));
    this.#timer = setInterval(() => this.#maintain(), MAINTAIN_MS);
    this.#timer.unref();
  }

  /** The largest weight one request may carry: the shared bucket's size less its {@link jitterReserve}. */
  get burst(): number {
    return this.#o.burst - this.#reserve;
  }

  /** The configured refill of the whole shared budget, writes per second. */
  get refillPerSecond(): number {
    return this.#o.refillPerSecond;
  }

  get rateFactor(): number {
    return this.#rateFactor;
  }

  /** Scales the refill of the shared budget (for every process: the last one to set it wins) and of the local fallback. */
  set rateFactor(f: number) {
    this.#rateFactor = Math.min(1, Math.max(0.05, f));
    if (this.#local) this.#local.rateFactor = this.#rateFactor;
    this.#applyRate();
  }

  /** Where the budget is now, how many processes share it, and the Redis outages so far (ms). */
  get status(): SharedBudgetStatus {
    const ongoing = this.#mode === 'degraded' ? Date.now() - this.#outageStart : 0;
    return {
      mode: this.#mode,
      peers: this.#peersSeen,
      outages: this.#outages,
      degradedMs: this.#degradedMs + ongoing,
      spentUnused: this.#spent,
    };
  }

  /**
   * Runs `fn` once `weight` writes are granted. Unlike a local budget, it first waits out any shared
   * pause (so that grants are not held through a pause and then spent all at once), and a grant is
   * used only at once: one that reaches `fn` more than {@link JITTER_ALLOWANCE_MS} late (a stalled
   * process), or after a pause began, counts as spent and the request waits for a new one.
   */
  async schedule<T>(weight: number, fn: () => Promise<T>): Promise<T> {
    const w = Math.min(weight, this.burst);
    for (;;) {
      await this.gate.wait();
      const grantedAt = await this.#grant(w);
      if (Date.now() - grantedAt <= JITTER_ALLOWANCE_MS && !this.gate.closed) break;
      this.#spent += w;
    }
    return fn();
  }

  async drain(): Promise<void> {
    const cluster = this.#cluster;
    if (this.#mode === 'shared' && cluster) {
      try {
        const current = (await cluster.limiter.currentReservoir()) ?? 0;
        if (current > -this.#reserve) await cluster.limiter.incrementReservoir(-(current + this.#reserve));
      } catch {
        /* Redis trouble is handled by the degraded mode */
      }
      return;
    }
    await this.#local?.drain();
  }

  async available(): Promise<number> {
    const cluster = this.#cluster;
    if (this.#mode === 'shared' && cluster) return (await cluster.limiter.currentReservoir().catch(() => 0)) ?? 0;
    return (await this.#local?.available()) ?? 0;
  }

  async stop(): Promise<void> {
    if (this.#mode === 'stopped') return;
    if (this.#mode === 'degraded') this.#degradedMs += Date.now() - this.#outageStart;
    this.#mode = 'stopped';
    clearInterval(this.#timer);
    this.gate.release();
    this.#signal();
    const cluster = this.#cluster;
    this.#cluster = undefined;
    if (cluster) closeCluster(cluster);
    await this.#local?.stop();
    this.#monitor.disconnect();
  }

  async #begin(): Promise<void> {
    const ready = await waitReady(this.#monitor, this.#o.connectTimeoutMs);
    if (ready) {
      try {
        this.#cluster = await this.#openCluster(true);
        this.#mode = 'shared';
        await this.#refreshPeers();
        this.#o.onEvent?.({ kind: 'shared', peers: this.#peersSeen ?? 1 });
        return;
      } catch (err) {
        this.#degrade(`Redis did not answer: ${(err as Error).message}`);
        return;
      }
    }
    this.#degrade(`cannot reach Redis at ${describeRedisUrl(this.#o.redisUrl)} within ${this.#o.connectTimeoutMs} ms`);
  }

  /** Creates a bottleneck limiter on its own Redis connection, joined to the shared reservoir. */
  async #openCluster(firstJoin: boolean): Promise<Cluster> {
    const o = this.#o;
    const client = new Redis(o.redisUrl, clientOptions(CLUSTER_COMMAND_TIMEOUT_MS));
    client.on('error', () => undefined);
    const connection = new Bottleneck.IORedisConnection({ client, Redis });
    recogniseRedis7Errors(connection);
    const refill = reservoirIncrease(o.refillPerSecond, this.#rateFactor);
    const limiter = new Bottleneck({
      id: o.id,
      datastore: 'ioredis',
      connection,
      // Used only when this process creates the shared state: a first join assumes a full bucket
      // (as the local budget does), a rejoin after an outage an empty one.
      reservoir: firstJoin ? this.burst : 0,
      reservoirIncreaseAmount: refill.amount,
      reservoirIncreaseInterval: refill.intervalMs,
      reservoirIncreaseMaximum: this.burst,
      heartbeatInterval: o.heartbeatMs,
      clientTimeout: clientTimeoutMs(o.heartbeatMs),
      timeout: keyTtlMs(o.burst, o.refillPerSecond),
    } as Bottleneck.ConstructorOptions);
    const cluster: Cluster = { limiter, connection };
    limiter.on('error', (err: Error) => {
      if (this.#cluster === cluster && this.#mode === 'shared') this.#degrade(`Redis error: ${err?.message ?? String(err)}`);
    });
    // A process that joins says so, and every other one counts again at once: the count decides
    // the share each takes should Redis go away, so it must not lag behind a newcomer.
    limiter.on('message', (message: string) => {
      if (message === JOINED_MESSAGE && this.#cluster === cluster) void this.#refreshPeers();
    });
    try {
      await withTimeout(limiter.ready(), o.connectTimeoutMs, 'joining the shared budget');
      // The state may have been created by a job with other settings: this job's refill applies from now
      // on (the level itself is left alone).
      await limiter.updateSettings({
        reservoirIncreaseAmount: refill.amount,
        reservoirIncreaseInterval: refill.intervalMs,
        reservoirIncreaseMaximum: this.burst,
      });
      const level = (await limiter.currentReservoir()) ?? 0;
      if (level > this.burst) await limiter.incrementReservoir(this.burst - level);
      await limiter.publish(JOINED_MESSAGE);
    } catch (err) {
      closeCluster(cluster);
      throw err;
    }
    this.#appliedFactor = this.#rateFactor;
    this.#appliedAt = Date.now();
    return cluster;
  }

  /**
   * Takes `weight` writes from whichever budget is current, moving to the other one when the mode changes.
   * @returns when the writes were granted, epoch ms.
   */
  async #grant(weight: number): Promise<number> {
    for (;;) {
      if (this.#mode === 'stopped') throw new Error('the shared write budget was stopped');
      const changed = this.#changed;
      const cluster = this.#mode === 'shared' ? this.#cluster : undefined;
      const local = cluster ? undefined : this.#local;
      const attempt: Promise<number> = cluster
        ? cluster.limiter.schedule({ weight }, async () => Date.now())
        : local!.schedule(weight, async () => Date.now());
      // An attempt abandoned on a mode change may still be granted later: its writes are then spent
      // for nothing, which errs on the safe side.
      const result = await Promise.race([
        attempt.then(
          (at) => ({ at }),
          (err: unknown) => ({ err }),
        ),
        changed.then(() => 'changed' as const),
      ]);
      if (result === 'changed') continue;
      if ('at' in result) return result.at;
      if (cluster && this.#cluster === cluster && this.#mode === 'shared') {
        this.#degrade(`Redis error: ${(result.err as Error)?.message ?? String(result.err)}`);
      } else if (local && this.#local === local && this.#mode === 'degraded') {
        throw result.err;
      }
    }
  }

  #degrade(reason: string): void {
    if (this.#mode !== 'shared' && this.#mode !== 'starting') return;
    const cluster = this.#cluster;
    this.#cluster = undefined;
    if (cluster) closeCluster(cluster);
    const peers = assumedPeers(this.#peersSeen, this.#o.knownPeers);
    const fallback = fallbackBudget(this.#o, peers);
    this.#local = new WriteBudget({ ...fallback, initial: 0 });
    this.#local.rateFactor = this.#rateFactor;
    this.#mode = 'degraded';
    this.#outages++;
    this.#outageStart = Date.now();
    this.#signal();
    this.#o.onEvent?.({ kind: 'degraded', reason, peers, burst: fallback.burst, refillPerSecond: fallback.refillPerSecond });
  }

  async #restore(): Promise<void> {
    if (this.#mode !== 'degraded' || this.#restoring || this.#monitor.status !== 'ready') return;
    this.#restoring = true;
    try {
      const cluster = await this.#openCluster(false);
      if (this.#mode !== 'degraded') {
        closeCluster(cluster);
        return;
      }
      // Peers still on their local share keep sending until they are back too: start the shared
      // budget RESTORE_HOLD_MS of refill below zero so that both together stay within Graph's rate.
      const hold = Math.ceil((this.#o.refillPerSecond * RESTORE_HOLD_MS) / 1000);
      const level = (await cluster.limiter.currentReservoir()) ?? 0;
      await cluster.limiter.incrementReservoir(-(level + hold + this.#reserve));
      const outageMs = Date.now() - this.#outageStart;
      this.#degradedMs += outageMs;
      const local = this.#local;
      this.#local = undefined;
      this.#cluster = cluster;
      this.#mode = 'shared';
      this.#signal();
      await local?.stop();
      await this.#refreshPeers();
      this.#o.onEvent?.({ kind: 'restored', outageMs, peers: this.#peersSeen ?? 1 });
    } catch {
      /* still unreachable: the maintenance timer tries again */
    } finally {
      this.#restoring = false;
    }
  }

  #maintain(): void {
    if (this.#mode === 'degraded') void this.#restore();
    if (this.#mode === 'shared') {
      void this.#refreshPeers();
      this.#applyRate();
    }
  }

  /** Counts the processes whose limiter was seen in the last client timeout (bottleneck's `client_last_seen` set). */
  async #refreshPeers(): Promise<void> {
    try {
      const since = Date.now() - clientTimeoutMs(this.#o.heartbeatMs);
      const n = await this.#monitor.zcount(`b_${this.#o.id}_client_last_seen`, since, '+inf');
      this.#peersSeen = Math.max(1, n);
    } catch {
      /* keep the last count */
    }
  }

  /** Pushes a changed rate factor to the shared refill, at most every RATE_UPDATE_MS and only for a change of 5 % or more. */
  #applyRate(): void {
    const cluster = this.#cluster;
    if (this.#mode !== 'shared' || !cluster) return;
    if (Math.abs(this.#rateFactor - this.#appliedFactor) < 0.05 || Date.now() - this.#appliedAt < RATE_UPDATE_MS) return;
    this.#appliedFactor = this.#rateFactor;
    this.#appliedAt = Date.now();
    const refill = reservoirIncrease(this.#o.refillPerSecond, this.#rateFactor);
    // bottleneck's typings say updateSettings returns the limiter; it returns a promise of it.
    Promise.resolve(
      cluster.limiter.updateSettings({ reservoirIncreaseAmount: refill.amount, reservoirIncreaseInterval: refill.intervalMs }),
    ).catch(() => undefined);
  }

  #newChangeSignal(): void {
    this.#changed = new Promise<void>((resolve) => (this.#signalChange = resolve));
  }

  #signal(): void {
    const wake = this.#signalChange;
    this.#newChangeSignal();
    wake();
  }
}

/** Options of {@link SharedBudget.start}. */
export interface SharedBudgetOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  redisUrl: string;
  /** Limiter id: one budget per id (see `budgetScope`). */
  id: string;
  /** Writes that may go at once from a full budget (the token bucket's size). */
  burst: number;
  /** Writes per second added back, for all processes together. */
  refillPerSecond: number;
  /** How often each process runs bottleneck's heartbeat (which applies the refill), in ms. Default 50. */
  heartbeatMs?: number;
  /** How long to wait for Redis at start before going on with the local fallback, in ms. Default 5,000. */
  connectTimeoutMs?: number;
  /** Processes known to run together (e.g. the n of `--shard i/n`): the fallback share is at most 1/n. */
  knownPeers?: number;
  /** Called when the budget joins Redis, falls back to a local share, or returns to Redis. */
  onEvent?: (event: SharedBudgetEvent) => void;
}

/** What {@link SharedBudgetOptions.onEvent} reports. */
export type SharedBudgetEvent =
  | { kind: 'shared'; peers: number }
  | { kind: 'degraded'; reason: string; peers: number; burst: number; refillPerSecond: number }
  | { kind: 'restored'; outageMs: number; peers: number };

/** {@link SharedBudget.status}. */
export interface SharedBudgetStatus {
  mode: 'starting' | 'shared' | 'degraded' | 'stopped';
  /** Processes seen sharing the budget at the last count (this one included); undefined before Redis was reached. */
  peers: number | undefined;
  /** Times Redis became unreachable (including at start). */
  outages: number;
  /** Time spent on the local fallback, ms. */
  degradedMs: number;
  /** Writes granted but given up unsent (granted too late to use, or a pause began meanwhile). */
  spentUnused: number;
}

interface Cluster {
  limiter: Bottleneck;
  connection: Bottleneck.IORedisConnection;
}

/** After Redis returns, the shared budget starts this many ms of refill below zero (see {@link SharedBudget}). */
export const RESTORE_HOLD_MS = 1000;
/** Delay between reconnection attempts, ms. Short and fixed, so that all processes return at about the same time. */
export const RECONNECT_MS = 200;
const MAINTAIN_MS = 1000;
const JOINED_MESSAGE = 'graph-bulk:joined';
const RATE_UPDATE_MS = 500;
const MONITOR_COMMAND_TIMEOUT_MS = 500;
const CLUSTER_COMMAND_TIMEOUT_MS = 2000;

/**
 * The refill as bottleneck's reservoir increase: a whole number of writes (its Lua `hincrby` needs
 * integers) every `intervalMs`, about every `targetMs`. Pure.
 * @param refillPerSecond writes per second (> 0); @param rateFactor multiplier in (0, 1].
 * @returns `amount` writes every `intervalMs` ms (fractional ms allowed), i.e. `refillPerSecond × rateFactor` per second.
 */
export function reservoirIncrease(refillPerSecond: number, rateFactor = 1, targetMs = 50): { amount: number; intervalMs: number } {
  const amount = Math.max(1, Math.round((refillPerSecond * targetMs) / 1000));
  return { amount, intervalMs: (amount * 1000) / (refillPerSecond * rateFactor) };
}

/**
 * Writes the shared bucket is kept below Graph's (its maximum is `burst − reserve`, and a drain after a
 * 429 takes it to `−reserve`): processes on several machines send a granted request after varying
 * delays (scheduling, network), so requests granted evenly can reach Graph bunched; this margin
 * absorbs {@link JITTER_ALLOWANCE_MS} of such bunching. It is `refillPerSecond × 0.25 s`, at most half
 * the burst: 5 writes for Graph's 3,000 / 20 per s. Pure.
 */
export function jitterReserve(burst: number, refillPerSecond: number): number {
  return Math.min(Math.floor(burst / 2), Math.ceil((refillPerSecond * JITTER_ALLOWANCE_MS) / 1000));
}

/** Bunching (ms of refill) the shared budget's {@link jitterReserve} absorbs. */
export const JITTER_ALLOWANCE_MS = 250;

/**
 * How many processes a process on its local fallback assumes it shares the budget with. Pure.
 * @param lastSeen live processes counted in Redis before it became unreachable; undefined when Redis was never reached.
 * @param knownPeers processes known to run together (e.g. the shard count), if any.
 * @returns at least 2 (another job may start meanwhile), or at least 4 for a process that never reached Redis.
 */
export function assumedPeers(lastSeen: number | undefined, knownPeers = 0): number {
  if (lastSeen === undefined) return Math.max(4, knownPeers);
  return Math.max(2, lastSeen, knownPeers);
}

/**
 * The local budget of one process on its fallback: a 1/`peers` share of the burst and of the refill
 * (it also starts empty, see {@link SharedBudget}). Pure.
 */
export function fallbackBudget(
  budget: { burst: number; refillPerSecond: number },
  peers: number,
): { burst: number; refillPerSecond: number } {
  return { burst: Math.max(1, Math.floor(budget.burst / peers)), refillPerSecond: budget.refillPerSecond / peers };
}

/** A Redis URL for logs: the password replaced by `<redacted>`. Never throws. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    const auth = u.username || u.password ? `${u.username}${u.password ? ':<redacted>' : ''}@` : '';
    return `${u.protocol}//${auth}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Processes not seen for this long (ms) are not counted, and bottleneck skips them when sharing out capacity. */
function clientTimeoutMs(heartbeatMs: number): number {
  return Math.max(5000, 50 * heartbeatMs);
}

/**
 * Redis keys of a budget expire after this much inactivity (ms): at least twice the time the bucket
 * takes to refill from empty, so an expired budget is one that would be full anyway.
 */
function keyTtlMs(burst: number, refillPerSecond: number): number {
  return Math.max(15 * 60_000, Math.ceil((2 * burst * 1000) / refillPerSecond));
}

function clientOptions(commandTimeoutMs: number): RedisOptions {
  return {
    // Fail at once while disconnected (the local fallback takes over) instead of queueing commands.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: () => RECONNECT_MS,
  };
}

/**
 * Redis 7 prefixes `ERR ` to a Lua `redis.error_reply` without an error code, so bottleneck 2.19.5
 * no longer recognises its own `SETTINGS_KEY_NOT_FOUND` / `UNKNOWN_CLIENT` replies and skips its
 * recovery (re-creating expired state, re-registering a process it had dropped as unresponsive):
 * github.com/SGrondin/bottleneck issues 205 and 212. This strips the prefix from those two replies,
 * through the connection's script hook (bottleneck is pinned to 2.19.5, whose hook this is).
 */
function recogniseRedis7Errors(connection: Bottleneck.IORedisConnection): void {
  type ScriptFn = (...args: unknown[]) => unknown;
  const hooked = connection as unknown as { __scriptFn__?: (name: string) => ScriptFn };
  const original = hooked.__scriptFn__?.bind(connection);
  if (!original) return;
  hooked.__scriptFn__ = (name: string) => {
    const run = original(name);
    return (...args: unknown[]) => {
      const callback = args.pop() as (err: Error | null, replies: unknown) => void;
      return run(...args, (err: Error | null, replies: unknown) => {
        if (err && /^ERR (SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT)$/.test(err.message)) err.message = err.message.slice(4);
        callback(err, replies);
      });
    };
  };
}

function closeCluster(cluster: Cluster): void {
  cluster.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  cluster.connection.disconnect(false).catch(() => undefined);
}

function waitReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

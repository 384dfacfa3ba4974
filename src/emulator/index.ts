/**
 * The Microsoft Graph emulator of graph-bulk: a loopback HTTP server that behaves like Graph's
 * device endpoints as described in docs/graph-behaviour.md — device PATCH/GET,
 * `$batch`, bearer tokens, the write throttle, Graph's error shapes — plus seeded fault injection,
 * counters and a request log for tests and benchmarks.
 *
 * It is apart from the product code: nothing here imports from src/graph, src/send, etc.
 *
 * @example
 * const emu = await startEmulator({ devices: 'fixtures/devices-5000.json', writeBudget: { burst: 20, refillPerSecond: 20 } });
 * await fetch(`${emu.url}/v1.0/devices/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' }, body: '{"displayName":"x"}' });
 * await emu.stop();
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { TokenStore } from './auth.js';
import { DEFAULT_ROLES, startEntra, type Entra, type EntraOptions } from './entra/index.js';
import { accessTokenPayload, signHs256, type CallerClaims } from './entra/jwt.js';
import { DEVICE_WRITE_SCOPE } from './handlers/patch.js';
import type { TlsMaterial } from './entra/tls.js';
import type { BudgetOptions, EmulatorContext, RuntimeSettings } from './context.js';
import type { Device } from './device-model.js';
import { FAULT_KEYS, type FaultOptions } from './faults.js';
import { DEFAULT_INVENTORY_SEED, DEFAULT_INVENTORY_SIZE, generateInventory } from './inventory.js';
import { createPrng } from './prng.js';
import { createGraphServer } from './server.js';
import { RequestLog, StatsCollector, type EmulatorStats, type LoggedRequest } from './stats.js';
import { DeviceStore, loadDevicesFile } from './store.js';
import { BudgetLevels, type LevelBudgets } from './budget-levels.js';

export type { Device, ExtensionAttributes } from './device-model.js';
export type { EmulatorStats, LoggedRequest } from './stats.js';
export type { FaultOptions, Latency } from './faults.js';
export type { BudgetOptions } from './context.js';
export type { Caller, LevelSnapshot, ThrottleScopeName } from './budget-levels.js';
export type { CallerClaims } from './entra/jwt.js';
export type {
  Entra,
  EntraOptions,
  EntraRequest,
  AppRegistration,
  FederatedCredential,
  ManagedIdentityRegistration,
} from './entra/index.js';
export {
  DEFAULT_ROLES,
  DEFAULT_FEDERATED_SUBJECT,
  DEFAULT_MANAGED_IDENTITY_CLIENT_ID,
  DEFAULT_ENTRA_TOKEN_LIFETIME_MS,
  TOKEN_EXCHANGE_AUDIENCE,
} from './entra/index.js';
export {
  generateInventory,
  inventoryJson,
  DEFAULT_INVENTORY_SEED,
  DEFAULT_INVENTORY_SIZE,
  INVENTORY_REFERENCE_MS,
  type InventoryOptions,
} from './inventory.js';

/** Graph's documented write budget per app per tenant: 3,000 writes per 150 s (docs/graph-behaviour.md §3). */
export const GRAPH_WRITE_BUDGET: BudgetOptions = { burst: 3000, refillPerSecond: 20 };
/**
 * Graph's resource-unit budget per app per tenant for the smallest tenants (under 50 users): 3,500
 * units per 10 s, as a token bucket a burst of 3,500 and 350 units/s (docs/graph-behaviour.md §3; 5,000 and
 * 8,000 per 10 s for 50–500 and over 500 users). A GET of one device or of a page costs 1 unit
 * (learn.microsoft.com/en-us/graph/throttling-limits: base 1 for paths not listed, `$select` −1, never below 1).
 */
export const GRAPH_READ_BUDGET: BudgetOptions = { burst: 3500, refillPerSecond: 350 };
/** Graph's device write budget per user per tenant (delegated callers): 25 writes per 10 s = burst 25, 2.5 writes/s (docs/graph-behaviour.md §3). */
export const GRAPH_USER_WRITE_BUDGET: BudgetOptions = { burst: 25, refillPerSecond: 2.5 };
/** Graph's write budget per tenant, all applications together: 18,000 writes per 5 min = burst 18,000, 60 writes/s (docs/graph-behaviour.md §3). */
export const GRAPH_TENANT_WRITE_BUDGET: BudgetOptions = { burst: 18_000, refillPerSecond: 60 };
/** Graph's write budget per application, all tenants together: 35,000 writes per 5 min = burst 35,000, 116.7 writes/s (docs/graph-behaviour.md §3). */
export const GRAPH_APP_WRITE_BUDGET: BudgetOptions = { burst: 35_000, refillPerSecond: 35_000 / 300 };
/** Default app (client) id shown in throttle headers/messages. */
export const DEFAULT_APP_ID = '3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d';
/** Default tenant id shown in throttle messages. */
export const DEFAULT_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** Options changeable at run time with `Emulator.configure()`. */
export interface EmulatorConfig extends FaultOptions {
  /** App-only caller (default true): non-Windows devices accept only extensionAttributes (§1). */
  appOnly?: boolean;
  /** Caller is an approved MDM app (default false): may set isCompliant/isManaged on Windows devices. */
  mdmApp?: boolean;
  /** Write budget per app+tenant, one token per PATCH (single or in a batch). Default
   * {@link GRAPH_WRITE_BUDGET}; `false` disables write throttling. Changing it refills the bucket. */
  writeBudget?: BudgetOptions | false;
  /** Write budget per user per tenant, charged by delegated callers only (tokens with `scp`; keyed by
   * the token's `oid`, else `upn`). Default {@link GRAPH_USER_WRITE_BUDGET}, or off when `writeBudget`
   * is `false`; `false` = off. 429 scope `Tenant_User/Write/<appId>/<userId>`. */
  userWriteBudget?: BudgetOptions | false;
  /** Write budget per tenant, all applications together. Default {@link GRAPH_TENANT_WRITE_BUDGET},
   * or off when `writeBudget` is `false`. 429 scope `Tenant/Write/<appId>/<tenantId>`. */
  tenantWriteBudget?: BudgetOptions | false;
  /** Write budget per application, all tenants together. Default {@link GRAPH_APP_WRITE_BUDGET}, or
   * off when `writeBudget` is `false`. 429 scope `Application/Write/<appId>/<tenantId>`. */
  appWriteBudget?: BudgetOptions | false;
  /** Optional resource-unit budget for reads, one unit per GET (outer or inside a `$batch`), apart
   * from the write budget; {@link GRAPH_READ_BUDGET} is Graph's for small tenants. A refused GET gets
   * 429 with `x-ms-throttle-information: ResourceUnitLimitExceeded`. PATCHes are charged to the write
   * budget only (in Graph each also costs 1 unit: at most 20 units/s at Graph's write rate).
   * Default `false` (reads unlimited). */
  readBudget?: BudgetOptions | false;
  /** Lifetime (ms) of tokens issued from now on without an explicit lifetime; `undefined` = never
   * expire (tokens from the emulated Entra then live {@link DEFAULT_ENTRA_TOKEN_LIFETIME_MS}). */
  tokenLifetimeMs?: number;
  /** Graph rejects every token this many ms after it was issued, whatever its `exp` says — a token
   * revoked early (401 "Lifetime validation failed, the token is expired."). `undefined` = never. */
  revokeTokensAfterMs?: number;
  /** Seed for faults and batch response order; setting it restarts the sequence. */
  seed?: number | string;
  /** App id of the emulator's own tokens (and of opaque tokens) in throttle headers and messages. */
  appId?: string;
  /** Tenant id of the emulator's own tokens (and of opaque tokens). Tokens naming another `tid`
   * ({@link Emulator.issueToken} with `claims.tenantId`) are served too, each tenant with budgets of its own. */
  tenantId?: string;
  /** ms a throttled device's reserved token stays held after its Retry-After time. Default 2,000. */
  reservationGraceMs?: number;
  /** ms before its Retry-After time a retry is still on time (timer jitter). Default 20. */
  retryToleranceMs?: number;
}

/** Options of {@link startEmulator}. All optional. */
export interface EmulatorOptions extends EmulatorConfig {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address; default `127.0.0.1`. */
  host?: string;
  /** Devices: an array of Graph device objects, a path to a JSON file (`{"value":[…]}` or an
   * array), or undefined for a generated inventory of 5,000 devices (seeded by `seed`, default
   * 1 — identical to fixtures/devices-5000.json). */
  devices?: readonly unknown[] | string;
  /** The default accepted bearer token, as given (opaque: Graph checks no permission for it);
   * generated when absent, JWT-shaped with {@link tokenClaims}. */
  token?: string;
  /** What the generated tokens (the default one and {@link Emulator.issueToken}'s) say about their
   * caller, and what Graph then checks on PATCH: application `roles` (app-only; one of
   * `Device.ReadWrite.All` / `Directory.ReadWrite.All` needed) or delegated `scp` (space-separated;
   * `Directory.AccessAsUser.All` needed, and the caller is not app-only). Default
   * `{ roles: ['Device.ReadWrite.All'] }`, or `{ scp: 'Directory.AccessAsUser.All' }` when `appOnly` is false.
   * Tokens are unsigned for practical purposes (HMAC under a random key nobody checks). */
  tokenClaims?: CallerClaims;
  /** Max request log entries kept (oldest dropped). Default 250,000. */
  maxLogEntries?: number;
  /** The emulated tenant's wall clock, epoch ms (default `Date.now`): what {@link Emulator.signIn}
   * stamps. Tests of time-based jobs (the stale-device lifecycle) move it by hand. */
  clock?: () => number;
  /** BitLocker recovery keys escrowed in Entra: deviceId → how many (served by
   * `GET /informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '…'`, which needs the
   * application permission `BitlockerKey.ReadBasic.All` or `BitlockerKey.Read.All`; docs/graph-behaviour.md §5).
   * A device's keys go with it when it is deleted. */
  recoveryKeys?: Record<string, number>;
  /** Serve Graph over https (certificate from a CA generated at start; see {@link Emulator.caPath}). */
  https?: boolean;
  /** Also serve a local Entra ID over https (token endpoint, discovery, managed identity);
   * `true` for the defaults. Its tokens are JWT-shaped, carry `roles`, and Graph accepts them. */
  entra?: EntraOptions | boolean;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:53124` (`https://` with the `https` option) — no trailing
   * slash, no `/v1.0`. */
  readonly url: string;
  /** PEM file of the CA that signed the https certificates (for `NODE_EXTRA_CA_CERTS`), when
   * `https` or `entra` is on; deleted by stop(). */
  readonly caPath: string | undefined;
  /** The local Entra ID, when the `entra` option is on. */
  readonly entra: Entra | undefined;
  /** The default accepted bearer token (send `Authorization: Bearer <token>`). */
  readonly token: string;
  /** Stops listening, closes open connections, cancels pending delays. */
  stop(): Promise<void>;
  /** Counters (same JSON as `GET /_emulator/stats`). */
  stats(): EmulatorStats;
  /** Every Graph request seen, in arrival order, inner batch requests flattened (deep copies). */
  requests(): LoggedRequest[];
  /** Clears the request log (not the counters). */
  resetLog(): void;
  /** Changes run-time options; a key present with value `undefined` resets it (e.g. `forceError`). */
  configure(partial: EmulatorConfig): void;
  /** Issues another accepted token, valid for `lifetimeMs` (default `tokenLifetimeMs`, else forever),
   * JWT-shaped with `claims` (default the emulator's `tokenClaims`). */
  issueToken(lifetimeMs?: number, claims?: CallerClaims): string;
  /** Every token issued so far (including `token`) is rejected from now on with 401
   * `InvalidAuthenticationToken` "Lifetime validation failed, the token is expired."; tokens
   * issued afterwards are accepted. */
  revokeTokens(): void;
  /** A deep copy of a device by object id or deviceId (case-insensitive), or undefined. */
  getDevice(idOrDeviceId: string): Device | undefined;
  /** Deep copies of all devices, in list order. */
  devices(): Device[];
  /**
   * A device signs in: its `approximateLastSignInDateTime` becomes the emulator's clock (`clock`
   * option), to the second. A disabled device (`accountEnabled: false`) cannot sign in.
   * @returns false when the device is unknown or disabled.
   */
  signIn(idOrDeviceId: string): boolean;
}

const monoNow = (): number => performance.now();

/** The write budgets as configured: `writeBudget: false` turns the others' defaults off too. */
interface WriteBudgets {
  writeBudget: BudgetOptions | false;
  userWriteBudget: BudgetOptions | false | undefined;
  tenantWriteBudget: BudgetOptions | false | undefined;
  appWriteBudget: BudgetOptions | false | undefined;
}

function makeLevels(levels: LevelBudgets, settings: RuntimeSettings): BudgetLevels | undefined {
  if (Object.values(levels).length === 0) return undefined;
  return new BudgetLevels(levels, { graceMs: settings.reservationGraceMs, toleranceMs: settings.retryToleranceMs });
}

function writeLevels(w: WriteBudgets, settings: RuntimeSettings): BudgetLevels | undefined {
  const pick = (b: BudgetOptions | false | undefined, graph: BudgetOptions) =>
    b === undefined ? (w.writeBudget === false ? false : graph) : b;
  const levels: LevelBudgets = {};
  const user = pick(w.userWriteBudget, GRAPH_USER_WRITE_BUDGET);
  const tenant = pick(w.tenantWriteBudget, GRAPH_TENANT_WRITE_BUDGET);
  const app = pick(w.appWriteBudget, GRAPH_APP_WRITE_BUDGET);
  if (user) levels.Tenant_User = user;
  if (w.writeBudget) levels.Tenant_Application = w.writeBudget;
  if (tenant) levels.Tenant = tenant;
  if (app) levels.Application = app;
  return makeLevels(levels, settings);
}

/**
 * Starts an emulator on loopback.
 * @throws Error when the devices file cannot be read or holds invalid/duplicate devices, when a
 *   budget is invalid (burst < 1, refill ≤ 0), or when the port cannot be bound.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = options.seed ?? DEFAULT_INVENTORY_SEED;
  const rawDevices =
    typeof options.devices === 'string'
      ? loadDevicesFile(options.devices)
      : (options.devices ?? generateInventory(DEFAULT_INVENTORY_SIZE, seed));
  const settings: RuntimeSettings = {
    appOnly: options.appOnly ?? true,
    mdmApp: options.mdmApp ?? false,
    appId: options.appId ?? DEFAULT_APP_ID,
    tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
    reservationGraceMs: options.reservationGraceMs ?? 2000,
    retryToleranceMs: options.retryToleranceMs ?? 20,
  };
  for (const key of FAULT_KEYS) if (options[key] !== undefined) Object.assign(settings, { [key]: options[key] });

  const budgets: WriteBudgets = {
    writeBudget: options.writeBudget ?? GRAPH_WRITE_BUDGET,
    userWriteBudget: options.userWriteBudget,
    tenantWriteBudget: options.tenantWriteBudget,
    appWriteBudget: options.appWriteBudget,
  };
  let readBudget: BudgetOptions | false = options.readBudget ?? false;
  const tokens = new TokenStore(options.tokenLifetimeMs);
  const defaultClaims: CallerClaims = options.tokenClaims ?? (settings.appOnly ? { roles: DEFAULT_ROLES } : { scp: DEVICE_WRITE_SCOPE });
  const tokenKey = randomBytes(32);
  /** Accepts a token with `claims` (a JWT made here unless `given`) for `lifetimeMs`. */
  const issue = (lifetimeMs: number | undefined, claims: CallerClaims | undefined, given?: string): string => {
    const now = Date.now();
    const jwt =
      given ??
      signHs256(
        { typ: 'JWT', kid: 'graph-bulk-emulator' },
        accessTokenPayload({
          tenantId: settings.tenantId,
          clientId: settings.appId,
          resource: 'https://graph.microsoft.com',
          caller: claims ?? defaultClaims,
          nowMs: now,
          lifetimeMs: lifetimeMs ?? 365 * 86_400_000,
          tokenId: randomUUID(),
        }),
        tokenKey,
      );
    const c = given !== undefined ? claims : (claims ?? defaultClaims);
    const scopes = c?.scp?.split(' ').filter(Boolean);
    return tokens.issue(now, lifetimeMs, jwt, scopes ? undefined : c?.roles, scopes);
  };
  const token = issue(options.tokenLifetimeMs, options.tokenClaims, options.token);
  const ctx: EmulatorContext = {
    store: new DeviceStore(rawDevices),
    tokens,
    writeLevels: writeLevels(budgets, settings),
    readLevels: readBudget ? makeLevels({ Tenant_Application: readBudget }, settings) : undefined,
    prng: createPrng(`emulator:${String(seed)}`),
    stats: new StatsCollector(),
    log: new RequestLog(options.maxLogEntries ?? 250_000),
    settings,
    monoNow,
    clock: options.clock ?? Date.now,
    recoveryKeys: new Map(Object.entries(options.recoveryKeys ?? {}).map(([k, n]) => [k.toLowerCase(), n])),
  };
  /** Counters, with the app+tenant write bucket of the emulator's own app and tenant as `writeBudget`. */
  const statsSnapshot = (): EmulatorStats => {
    const now = monoNow();
    const wb = budgets.writeBudget;
    const bucket = ctx.writeLevels?.bucket('Tenant_Application', `${settings.appId}/${settings.tenantId}`);
    const writeBudget: EmulatorStats['writeBudget'] = wb
      ? {
          burst: wb.burst,
          refillPerSecond: wb.refillPerSecond,
          tokens: bucket ? bucket.levelAt(now) : wb.burst,
          usage: bucket ? bucket.usageAt(now) : 0,
          reservations: bucket ? bucket.pendingReservations(now) : 0,
        }
      : null;
    return ctx.stats.snapshot(writeBudget, ctx.writeLevels?.snapshot(now) ?? []);
  };

  tokens.revokeAfterMs = options.revokeTokensAfterMs;
  // Loaded only for https: the certificate library takes a good part of a second to load, and every
  // graph-bulk command loads this module (the CLI registers the emulator command).
  const tls: TlsMaterial | undefined =
    options.https || options.entra ? await (await import('./entra/tls.js')).generateTlsMaterial() : undefined;
  const { server, cancelDelays } = createGraphServer(ctx, statsSnapshot, options.https ? tls : undefined);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      tls?.dispose();
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `port ${options.port} on ${host} is already in use (another emulator?): choose another --port, or --port 0 for any free port`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(new Error(`may not listen on port ${options.port} on ${host} (ports below 1024 need privileges): choose another --port`));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new Error(`cannot listen on ${host}: not an address of this machine (--host)`));
      } else reject(err);
    };
    server.once('error', failed);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `${options.https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const entra = options.entra
    ? await startEntra(options.entra === true ? {} : options.entra, {
        tokens,
        tenantId: settings.tenantId,
        appId: settings.appId,
        graphUrl: url,
        host,
        tls: tls!,
      }).catch((err: unknown) => {
        server.close();
        tls?.dispose();
        throw err;
      })
    : undefined;

  let stopped: Promise<void> | undefined;
  return {
    url,
    token,
    caPath: tls?.caPath,
    entra,
    stop: () =>
      (stopped ??= Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
          cancelDelays();
        }),
        entra?.stop(),
      ]).then(() => tls?.dispose())),
    stats: statsSnapshot,
    requests: () => ctx.log.list(),
    resetLog: () => ctx.log.clear(),
    configure: (partial) => {
      const has = (k: keyof EmulatorConfig) => Object.hasOwn(partial, k);
      for (const key of FAULT_KEYS) if (has(key)) Object.assign(settings, { [key]: partial[key] });
      if (partial.appOnly !== undefined) settings.appOnly = partial.appOnly;
      if (partial.mdmApp !== undefined) settings.mdmApp = partial.mdmApp;
      if (partial.appId !== undefined) settings.appId = partial.appId;
      if (partial.tenantId !== undefined) settings.tenantId = partial.tenantId;
      if (partial.reservationGraceMs !== undefined) settings.reservationGraceMs = partial.reservationGraceMs;
      if (partial.retryToleranceMs !== undefined) settings.retryToleranceMs = partial.retryToleranceMs;
      if (has('tokenLifetimeMs')) tokens.defaultLifetimeMs = partial.tokenLifetimeMs;
      if (has('revokeTokensAfterMs')) tokens.revokeAfterMs = partial.revokeTokensAfterMs;
      if (partial.seed !== undefined) ctx.prng = createPrng(`emulator:${String(partial.seed)}`);
      const bucketSettingsChanged = partial.reservationGraceMs !== undefined || partial.retryToleranceMs !== undefined;
      const writeKeys = ['writeBudget', 'userWriteBudget', 'tenantWriteBudget', 'appWriteBudget'] as const;
      if (writeKeys.some((k) => partial[k] !== undefined) || bucketSettingsChanged) {
        for (const k of writeKeys) if (partial[k] !== undefined) Object.assign(budgets, { [k]: partial[k] });
        ctx.writeLevels = writeLevels(budgets, settings);
      }
      if (partial.readBudget !== undefined || bucketSettingsChanged) {
        if (partial.readBudget !== undefined) readBudget = partial.readBudget;
        ctx.readLevels = readBudget ? makeLevels({ Tenant_Application: readBudget }, settings) : undefined;
      }
    },
    issueToken: (lifetimeMs, claims) => issue(lifetimeMs ?? tokens.defaultLifetimeMs, claims),
    revokeTokens: () => tokens.revokeAll(),
    getDevice: (key) => ctx.store.find(key),
    devices: () => structuredClone([...ctx.store.all()]),
    signIn: (key) => {
      const found = ctx.store.find(key);
      if (!found || found.accountEnabled === false) return false;
      found.approximateLastSignInDateTime = new Date(ctx.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      ctx.store.replace(found);
      return true;
    },
  };
}

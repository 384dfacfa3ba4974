/**
 * `graph-bulk emulator`: serves the Graph emulator until SIGINT/SIGTERM, printing its base URL
 * and the bearer token it accepts (and, with `--entra`, the sign-in variables for its local Entra).
 */
import type { Argv, CommandModule } from 'yargs';
import {
  DEFAULT_APP_ID,
  DEFAULT_ENTRA_TOKEN_LIFETIME_MS,
  DEFAULT_FEDERATED_SUBJECT,
  DEFAULT_MANAGED_IDENTITY_CLIENT_ID,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from './index.js';
import type { Latency } from './faults.js';
import { ExitCode } from '../job/exit-codes.js';
import { generateInventory } from './inventory.js';

/** Flags of `graph-bulk emulator`, as yargs parses them (kebab-case flags arrive camelCased). */
export interface EmulatorArgs {
  port?: number;
  host?: string;
  devices?: string;
  count?: number;
  token?: string;
  tokenLifetimeMs?: number;
  writeBurst?: number;
  writeRefill?: number;
  throttle?: boolean;
  latencyMs?: string;
  appOnly?: boolean;
  mdmApp?: boolean;
  rate503?: number;
  rate504?: number;
  rateDrop?: number;
  rateSlow?: number;
  slowMs?: number;
  rateInner500?: number;
  dropClear?: boolean;
  seed?: string;
  appId?: string;
  tenantId?: string;
  reservationGraceMs?: number;
  https?: boolean;
  entra?: boolean;
  entraPort?: number;
  clientSecret?: string;
  roles?: string;
  revokeTokensAfterMs?: number;
}

/**
 * Parses `--latency-ms`: `50` (fixed) or `20-80` (uniform range), in ms.
 * @throws Error on anything else.
 */
export function parseLatency(text: string): Latency {
  const range = /^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text)) return Number(text);
  throw new Error(`--latency-ms: expected <ms> or <min>-<max>, got "${text}"`);
}

/** Maps parsed flags to {@link EmulatorOptions}. Pure.
 * @throws Error on an invalid --latency-ms or a rate outside 0..1. */
export function emulatorOptionsFromArgs(args: EmulatorArgs): EmulatorOptions {
  const options: EmulatorOptions = {
    port: args.port ?? 0,
    host: args.host ?? '127.0.0.1',
    appOnly: args.appOnly ?? true,
    mdmApp: args.mdmApp ?? false,
  };
  if (args.seed !== undefined) options.seed = /^\d+$/.test(args.seed) ? Number(args.seed) : args.seed;
  if (args.devices !== undefined) options.devices = args.devices;
  else if (args.count !== undefined) options.devices = generateInventory(args.count, options.seed);
  if (args.token !== undefined) options.token = args.token;
  if (args.tokenLifetimeMs !== undefined) options.tokenLifetimeMs = args.tokenLifetimeMs;
  if (args.throttle === false) options.writeBudget = false;
  else if (args.writeBurst !== undefined || args.writeRefill !== undefined) {
    options.writeBudget = { burst: args.writeBurst ?? 3000, refillPerSecond: args.writeRefill ?? 20 };
  }
  if (args.latencyMs !== undefined) options.latencyMs = parseLatency(String(args.latencyMs));
  for (const key of ['rate503', 'rate504', 'rateDrop', 'rateSlow', 'rateInner500'] as const) {
    const v = args[key];
    if (v === undefined) continue;
    if (!(v >= 0 && v <= 1))
      throw new Error(
        `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/(\D)(\d)/, '$1-$2')}: expected a rate between 0 and 1, got ${v}`,
      );
    options[key] = v;
  }
  if (args.slowMs !== undefined) options.slowMs = args.slowMs;
  if (args.dropClear !== undefined) options.dropClear = args.dropClear;
  if (args.appId !== undefined) options.appId = args.appId;
  if (args.tenantId !== undefined) options.tenantId = args.tenantId;
  if (args.reservationGraceMs !== undefined) options.reservationGraceMs = args.reservationGraceMs;
  if (args.https) options.https = true;
  if (args.revokeTokensAfterMs !== undefined) options.revokeTokensAfterMs = args.revokeTokensAfterMs;
  if (args.entra || args.entraPort !== undefined || args.clientSecret !== undefined || args.roles !== undefined) {
    const roles = args.roles
      ?.split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    const clientSecret = args.clientSecret;
    options.entra = {
      ...(args.entraPort !== undefined ? { port: args.entraPort } : {}),
      ...(clientSecret !== undefined ? { clientSecret } : {}),
      ...(roles
        ? {
            apps: [{ clientId: options.appId ?? DEFAULT_APP_ID, secrets: clientSecret !== undefined ? [clientSecret] : [], roles }],
            managedIdentities: [{ clientId: DEFAULT_MANAGED_IDENTITY_CLIENT_ID, systemAssigned: true, roles }],
          }
        : {}),
    };
  }
  return options;
}

/** The banner printed once the emulator listens. */
export function describeEmulator(emu: Emulator, options: EmulatorOptions): string {
  const budget = options.writeBudget ?? { burst: 3000, refillPerSecond: 20 };
  const devices = typeof options.devices === 'string' ? `from ${options.devices}` : 'generated';
  return [
    `graph-bulk emulator listening on ${emu.url}`,
    `  --graph-url    : ${emu.url}   (the root graph-bulk run --graph-url takes; API at ${emu.url}/v1.0 and /beta)`,
    `  Bearer token   : ${emu.token}`,
    `  Devices        : ${emu.devices().length} (${devices})`,
    `  Write budget   : ${budget === false ? 'off' : `burst ${budget.burst}, refill ${budget.refillPerSecond}/s`}`,
    `  Caller         : ${options.appOnly === false ? 'delegated' : 'app-only'}${options.mdmApp ? ', MDM app' : ''}`,
    `  Stats          : ${emu.url}/_emulator/stats   Requests: ${emu.url}/_emulator/requests`,
    ...(emu.caPath ? [`  CA certificate : ${emu.caPath}   (export NODE_EXTRA_CA_CERTS=${emu.caPath})`] : []),
    ...(emu.entra
      ? [
          `  Entra (https)  : AZURE_AUTHORITY_HOST=${emu.entra.url}`,
          `                   AZURE_TENANT_ID=${emu.entra.tenantId}  AZURE_CLIENT_ID=${emu.entra.clientId}`,
          `                   AZURE_CLIENT_SECRET=${emu.entra.clientSecret}`,
          `                   managed identity: IDENTITY_ENDPOINT=${emu.entra.identityEndpoint}  IDENTITY_HEADER=${emu.entra.identityHeader}`,
          `                   federated tokens from issuer ${emu.entra.federatedIssuer} (subject ${DEFAULT_FEDERATED_SUBJECT})`,
          `                   tokens live ${Math.round((options.tokenLifetimeMs ?? DEFAULT_ENTRA_TOKEN_LIFETIME_MS) / 1000)} s${options.revokeTokensAfterMs !== undefined ? `, Graph rejects them ${options.revokeTokensAfterMs} ms after issue` : ''}`,
        ]
      : []),
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/**
 * Starts an emulator, prints the banner to `out`, and stops it when `until` resolves.
 * @returns the emulator's stats at shutdown.
 */
export async function serveEmulator(
  options: EmulatorOptions,
  io: { out: (text: string) => void; until: (emu: Emulator) => Promise<void> },
): Promise<ReturnType<Emulator['stats']>> {
  const emu = await startEmulator(options);
  io.out(describeEmulator(emu, options));
  await io.until(emu);
  const stats = emu.stats();
  await emu.stop();
  io.out(
    `graph-bulk emulator stopped after ${stats.requests.total} requests (${stats.writesApplied} writes applied, ${stats.throttled.total} throttled).\n`,
  );
  return stats;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** `graph-bulk emulator`: a Microsoft Graph emulator on loopback, for tests, demos and benchmarks. */
export const emulatorCommand: CommandModule<object, EmulatorArgs> = {
  command: 'emulator',
  describe: 'Serve a local Microsoft Graph emulator (devices, $batch, throttling, faults) until Ctrl+C',
  builder: (y: Argv<object>) =>
    y
      .option('port', { type: 'number', describe: 'TCP port (0 = any free port)', default: 0 })
      .option('host', { type: 'string', describe: 'Bind address', default: '127.0.0.1' })
      .option('devices', { type: 'string', describe: 'Devices JSON file ({"value":[…]} or an array); default: 5,000 generated devices' })
      .option('count', { type: 'number', describe: 'Size of the generated inventory when --devices is not given' })
      .option('token', { type: 'string', describe: 'Bearer token to accept (default: generated, printed)' })
      .option('token-lifetime-ms', { type: 'number', describe: 'Tokens expire after this many ms (default: never)' })
      .option('write-burst', { type: 'number', describe: 'Write budget capacity in writes (Graph: 3000)' })
      .option('write-refill', { type: 'number', describe: 'Write budget refill in writes per second (Graph: 20)' })
      .option('throttle', { type: 'boolean', describe: 'Apply the write budget (--no-throttle disables it)', default: true })
      .option('latency-ms', { type: 'string', describe: 'Added latency per request: <ms> or <min>-<max>' })
      .option('app-only', {
        type: 'boolean',
        describe: 'App-only caller: non-Windows devices accept only extensionAttributes',
        default: true,
      })
      .option('mdm-app', {
        type: 'boolean',
        describe: 'Caller is an approved MDM app (may set isCompliant/isManaged on Windows)',
        default: false,
      })
      .option('rate-503', { type: 'number', describe: 'Fraction of requests answered 503' })
      .option('rate-504', { type: 'number', describe: 'Fraction of requests answered 504 (work done or not, 50/50)' })
      .option('rate-drop', { type: 'number', describe: 'Fraction of requests whose socket is destroyed unanswered' })
      .option('rate-slow', { type: 'number', describe: 'Fraction of requests held --slow-ms before handling' })
      .option('slow-ms', { type: 'number', describe: 'Delay of a slow request in ms (default 5000)' })
      .option('rate-inner-500', { type: 'number', describe: 'Fraction of inner batch requests answered 500' })
      .option('drop-clear', { type: 'boolean', describe: 'Acknowledge extension attribute clears (null) without applying them' })
      .option('seed', { type: 'string', describe: 'Seed for the generated inventory, faults and batch order (default 1)' })
      .option('app-id', { type: 'string', describe: 'App id shown in throttle headers' })
      .option('tenant-id', { type: 'string', describe: 'Tenant id shown in throttle messages' })
      .option('reservation-grace-ms', {
        type: 'number',
        describe: 'How long a throttled device keeps its reserved write after Retry-After (ms)',
      })
      .option('https', {
        type: 'boolean',
        describe: 'Serve Graph over https (a CA is generated at start; its path is printed for NODE_EXTRA_CA_CERTS)',
      })
      .option('entra', {
        type: 'boolean',
        describe: 'Also serve a local Entra ID over https: token endpoint, OpenID discovery, App Service managed identity',
      })
      .option('entra-port', { type: 'number', describe: 'TCP port of the local Entra (default: any free port)' })
      .option('client-secret', { type: 'string', describe: "Client secret of the local Entra's app (default: generated, printed)" })
      .option('roles', {
        type: 'string',
        describe: 'Application permissions put in issued tokens, comma-separated (default Device.ReadWrite.All)',
      })
      .option('revoke-tokens-after-ms', {
        type: 'number',
        describe: 'Graph rejects every token this many ms after issue, whatever its lifetime (early revocation)',
      }) as unknown as Argv<EmulatorArgs>,
  handler: async (args) => {
    try {
      await serveEmulator(emulatorOptionsFromArgs(args), {
        out: (text) => process.stdout.write(text),
        until: () => untilSignal(),
      });
    } catch (err) {
      // A bad --devices file, a port in use, a bad flag value: one line, no stack trace.
      process.stderr.write(`graph-bulk emulator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = ExitCode.NothingSent;
    }
  },
};

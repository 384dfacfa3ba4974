/**
 * The flags of `graph-bulk emulator`, declared once: `EMULATOR_FLAGS` gives the yargs options (in
 * command.ts), their types (`EmulatorArgs`), the emulator's flag table in src/emulator/README.md (`npm
 * run docs:options`), and, for entries with `copy: true`, the field of {@link EmulatorOptions} of the
 * same name that the value goes to. The fault flags come from `FAULT_FLAGS` (faults.ts).
 *
 * To add a flag: add an entry here (`copy: true` when it maps as is onto the EmulatorOptions field of
 * the same name; else map it in `emulatorOptionsFromArgs`), then run `npm run docs:options`.
 */
import { FAULT_FLAGS } from './faults.js';
import { DEFAULT_APP_ID, DEFAULT_MANAGED_IDENTITY_CLIENT_ID, type EmulatorOptions } from './index.js';
import { generateInventory } from './inventory.js';

/** The TypeScript value of a flag of yargs type `T`. */
type FlagValue<T> = T extends 'string' ? string : T extends 'number' ? number : T extends 'boolean' ? boolean : never;

/** A flag's name on the command line: `tokenLifetimeMs` → `token-lifetime-ms`, `rate503` → `rate-503`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/([a-z])(\d)/g, '$1-$2');
}

/** One flag: yargs type, help text, yargs default, and whether it is copied onto the option of the same name. */
interface EmulatorFlag {
  type: 'string' | 'number' | 'boolean';
  describe: string;
  default?: string | number | boolean;
  copy?: boolean;
  rate?: boolean;
  parse?: (text: string) => unknown;
}

/** Every flag of `graph-bulk emulator`, camelCase (yargs shows them kebab-case: `tokenLifetimeMs` → `--token-lifetime-ms`). */
export const EMULATOR_FLAGS = {
  port: { type: 'number', describe: 'TCP port (0 = any free port)', default: 0, copy: true },
  host: { type: 'string', describe: 'Bind address', default: '127.0.0.1', copy: true },
  devices: { type: 'string', describe: 'Devices JSON file ({"value":[…]} or an array); default: 5,000 generated devices', copy: true },
  count: { type: 'number', describe: 'Size of the generated inventory when --devices is not given' },
  token: { type: 'string', describe: 'Bearer token to accept (default: generated, printed)', copy: true },
  tokenLifetimeMs: { type: 'number', describe: 'Tokens expire after this many ms (default: never)', copy: true },
  writeBurst: { type: 'number', describe: 'Write budget capacity in writes (Graph: 3000)' },
  writeRefill: { type: 'number', describe: 'Write budget refill in writes per second (Graph: 20)' },
  userWriteBurst: { type: 'number', describe: 'Per-user write budget (delegated callers) capacity in writes (Graph: 25)' },
  userWriteRefill: { type: 'number', describe: 'Per-user write budget refill in writes per second (Graph: 2.5)' },
  throttle: { type: 'boolean', describe: 'Apply the write budget (--no-throttle disables it)', default: true },
  appOnly: {
    type: 'boolean',
    describe: 'App-only caller: non-Windows devices accept only extensionAttributes',
    default: true,
    copy: true,
  },
  mdmApp: {
    type: 'boolean',
    describe: 'Caller is an approved MDM app (may set isCompliant/isManaged on Windows)',
    default: false,
    copy: true,
  },
  ...FAULT_FLAGS, // copied as they are onto the fault options (faults.ts)
  seed: { type: 'string', describe: 'Seed for the generated inventory, faults and batch order (default 1)' },
  appId: { type: 'string', describe: 'App id shown in throttle headers', copy: true },
  tenantId: { type: 'string', describe: 'Tenant id shown in throttle messages', copy: true },
  reservationGraceMs: {
    type: 'number',
    describe: 'How long a throttled device keeps its reserved write after Retry-After (ms)',
    copy: true,
  },
  https: {
    type: 'boolean',
    describe: 'Serve Graph over https (a CA is generated at start; its path is printed for NODE_EXTRA_CA_CERTS)',
    copy: true,
  },
  entra: {
    type: 'boolean',
    describe: 'Also serve a local Entra ID over https: token endpoint, OpenID discovery, App Service managed identity',
  },
  entraPort: { type: 'number', describe: 'TCP port of the local Entra (default: any free port)' },
  clientSecret: { type: 'string', describe: "Client secret of the local Entra's app (default: generated, printed)" },
  roles: { type: 'string', describe: 'Application permissions put in issued tokens, comma-separated (default Device.ReadWrite.All)' },
  revokeTokensAfterMs: {
    type: 'number',
    describe: 'Graph rejects every token this many ms after issue, whatever its lifetime (early revocation)',
    copy: true,
  },
} as const satisfies Record<string, EmulatorFlag>;

/** Flags of `graph-bulk emulator`, as yargs parses them (kebab-case flags arrive camelCased), typed from {@link EMULATOR_FLAGS}. */
export type EmulatorArgs = { [K in keyof typeof EMULATOR_FLAGS]?: FlagValue<(typeof EMULATOR_FLAGS)[K]['type']> };

const isFault = (key: string): key is keyof typeof FAULT_FLAGS => Object.hasOwn(FAULT_FLAGS, key);

/**
 * Maps parsed flags to {@link EmulatorOptions}. Pure.
 * @throws Error on an invalid --latency-ms or a rate outside 0..1.
 */
export function emulatorOptionsFromArgs(args: EmulatorArgs): EmulatorOptions {
  const options: EmulatorOptions = {
    port: args.port ?? 0,
    host: args.host ?? '127.0.0.1',
    appOnly: args.appOnly ?? true,
    mdmApp: args.mdmApp ?? false,
  };
  if (args.seed !== undefined) options.seed = /^\d+$/.test(args.seed) ? Number(args.seed) : args.seed;
  for (const [key, flag] of Object.entries(EMULATOR_FLAGS) as [keyof typeof EMULATOR_FLAGS, EmulatorFlag][]) {
    const v = args[key];
    if (v === undefined || !(flag.copy || isFault(key))) continue;
    if (flag.rate && !((v as number) >= 0 && (v as number) <= 1))
      throw new Error(`--${flagName(key)}: expected a rate between 0 and 1, got ${v}`);
    Object.assign(options, { [key]: flag.parse ? flag.parse(String(v)) : v });
  }
  if (args.devices === undefined && args.count !== undefined) options.devices = generateInventory(args.count, options.seed);
  if (args.throttle === false) options.writeBudget = false;
  else if (args.writeBurst !== undefined || args.writeRefill !== undefined) {
    options.writeBudget = { burst: args.writeBurst ?? 3000, refillPerSecond: args.writeRefill ?? 20 };
  }
  if (args.userWriteBurst !== undefined || args.userWriteRefill !== undefined) {
    options.userWriteBudget = { burst: args.userWriteBurst ?? 25, refillPerSecond: args.userWriteRefill ?? 2.5 };
  }
  if (!args.https) delete options.https;
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

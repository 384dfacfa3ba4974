/**
 * Deterministic, realistic device inventories for the emulator, benchmarks and
 * `fixtures/devices-5000.json`.
 *
 * Mix (by weight): Windows 70 %, iOS 11 %, Android 10 %, MacMDM 6 %, Linux 3 %. Names follow
 * common naming schemes (`WKS-LON-00042`, `LT-NYC-01234`, `IPH-PAR-00007`, …, unique by
 * index), versions match the OS, `id` and `deviceId` are distinct GUIDs, all 15
 * extensionAttributes are present and most are `null`. Dates are relative to a fixed reference
 * time so that output depends only on `(count, seed)`.
 *
 * For queries and the stale-device lifecycle (docs/graph-behaviour.md §5), drawn from a second seeded
 * stream so that every other property is what it always was: `approximateLastSignInDateTime` mostly
 * within 90 days, ~15 % stale (90–540 days), ~3 % `null` (some active devices have none);
 * `physicalIds` (Windows: `[HWID]`/`[USER-HWID]`/`[GID]`/`[USER-GID]` entries, ~20 % of Windows
 * devices Autopilot-registered with `[ZTDID]:<guid>`; other systems none); `onPremisesSyncEnabled`
 * `null` (cloud-only) unless `hybridSynced` is asked for, then `true` for the `ServerAd` (hybrid
 * joined) devices, whose synced properties refuse cloud writes.
 */
import { EXTENSION_ATTRIBUTE_NAMES, type Device } from './device-model.js';
import { createPrng, type Prng } from './prng.js';

/** Seed of `fixtures/devices-5000.json` and of the emulator's default inventory. */
export const DEFAULT_INVENTORY_SEED = 1;
/** Size of the emulator's default inventory and of the fixture. */
export const DEFAULT_INVENTORY_SIZE = 5000;

/** Dates are generated up to this instant (2025-06-01T00:00:00Z): the inventory's "now". */
export const INVENTORY_REFERENCE_MS = Date.UTC(2025, 5, 1);
const REFERENCE_MS = INVENTORY_REFERENCE_MS;
const DAY_MS = 86_400_000;

const SITES = ['LON', 'NYC', 'PAR', 'BER', 'SYD', 'TOR', 'SIN', 'AMS', 'MAD', 'CHI', 'SFO', 'DUB'] as const;
const COST_CENTRES = ['CC-1010', 'CC-1020', 'CC-2040', 'CC-3100', 'CC-4200', 'CC-5150'] as const;
const DEPARTMENTS = ['Finance', 'Engineering', 'Sales', 'HR', 'Operations', 'Legal', 'Marketing'] as const;

type Os = 'Windows' | 'iOS' | 'Android' | 'MacMDM' | 'Linux';

interface OsProfile {
  prefixes: readonly (readonly [string, number])[];
  versions: readonly string[];
  makers: readonly (readonly [string, readonly string[]])[];
}

const PROFILES: Record<Os, OsProfile> = {
  Windows: {
    prefixes: [
      ['WKS', 5],
      ['LT', 4],
      ['VDI', 1],
    ],
    versions: ['10.0.19045.5371', '10.0.19045.5608', '10.0.22631.4890', '10.0.22631.5039', '10.0.26100.3194', '10.0.26100.3476'],
    makers: [
      ['Dell Inc.', ['Latitude 5440', 'Latitude 7450', 'OptiPlex 7010']],
      ['HP', ['EliteBook 840 G10', 'ProBook 450 G9', 'EliteDesk 800 G9']],
      ['LENOVO', ['ThinkPad T14 Gen 4', 'ThinkPad X1 Carbon Gen 11', 'ThinkCentre M70q']],
      ['Microsoft Corporation', ['Surface Laptop 5', 'Surface Pro 9', 'Virtual Machine']],
    ],
  },
  iOS: {
    prefixes: [
      ['IPH', 4],
      ['IPAD', 1],
    ],
    versions: ['17.6.1', '18.1.1', '18.3', '18.3.2', '18.4'],
    makers: [['Apple', ['iPhone 14', 'iPhone 15', 'iPhone 15 Pro', 'iPad (10th generation)']]],
  },
  Android: {
    prefixes: [['AND', 1]],
    versions: ['12', '13', '14', '15'],
    makers: [
      ['samsung', ['SM-S911B', 'SM-A546B', 'SM-G991B']],
      ['Google', ['Pixel 7', 'Pixel 8', 'Pixel 8a']],
    ],
  },
  MacMDM: {
    prefixes: [['MAC', 1]],
    versions: ['13.7.4', '14.7.4', '15.3.1', '15.3.2'],
    makers: [['Apple', ['MacBookPro18,3', 'MacBookAir10,1', 'Mac14,2']]],
  },
  Linux: {
    prefixes: [['LNX', 1]],
    versions: ['Ubuntu 22.04.5 LTS', 'Ubuntu 24.04.2 LTS', 'Red Hat Enterprise Linux 9.5'],
    makers: [['Dell Inc.', ['Precision 3680', 'Precision 5690']]],
  },
};

const OS_WEIGHTS: readonly (readonly [Os, number])[] = [
  ['Windows', 70],
  ['iOS', 11],
  ['Android', 10],
  ['MacMDM', 6],
  ['Linux', 3],
];

const isoDaysAgo = (prng: Prng, minDays: number, maxDays: number): string =>
  new Date(REFERENCE_MS - Math.floor((minDays + prng.next() * (maxDays - minDays)) * DAY_MS)).toISOString().replace(/\.\d{3}Z$/, 'Z');

function extensionAttributes(prng: Prng, os: Os): Record<string, string | null> {
  const ext: Record<string, string | null> = {};
  for (const name of EXTENSION_ATTRIBUTE_NAMES) ext[name] = null;
  if (prng.chance(0.3)) ext.extensionAttribute1 = prng.pick(COST_CENTRES);
  if (prng.chance(0.2)) ext.extensionAttribute2 = os === 'Windows' || os === 'MacMDM' ? 'Corporate' : prng.pick(['Corporate', 'BYOD']);
  if (prng.chance(0.1)) ext.extensionAttribute3 = prng.pick(DEPARTMENTS);
  if (prng.chance(0.03)) ext.extensionAttribute10 = `Asset-${String(prng.range(100000, 999999))}`;
  return ext;
}

/** Options of {@link generateInventory}. */
export interface InventoryOptions {
  /** Mark the `ServerAd` (hybrid joined) devices `onPremisesSyncEnabled: true` (default false: every
   * device cloud-only, so every manifest written for the default inventory stays writable). */
  hybridSynced?: boolean;
}

const digits = (prng: Prng, n: number): string => Array.from({ length: n }, () => String(prng.range(0, 9))).join('');

/** Hardware ids, and the Autopilot marker for ~20 % of Windows devices (docs/graph-behaviour.md §5). */
function physicalIds(prng: Prng, os: Os): string[] {
  if (os !== 'Windows') return [];
  const user = prng.uuid();
  const ids = [
    `[USER-GID]:${user}:${digits(prng, 16)}`,
    `[GID]:g:${digits(prng, 16)}`,
    `[USER-HWID]:${user}:${digits(prng, 16)}`,
    `[HWID]:h:${digits(prng, 16)}`,
  ];
  if (prng.chance(0.2)) ids.push(`[ZTDID]:${prng.uuid()}`);
  return ids;
}

/**
 * Generates `count` devices, deterministic in `(count, seed)`: same arguments, same devices,
 * byte for byte once serialised.
 * @param count number of devices (≥ 0)
 * @param seed PRNG seed (number or string)
 */
export function generateInventory(count: number, seed: number | string = DEFAULT_INVENTORY_SEED, options: InventoryOptions = {}): Device[] {
  const prng = createPrng(`inventory:${String(seed)}`);
  const extra = createPrng(`inventory-lifecycle:${String(seed)}`);
  const devices: Device[] = [];
  for (let i = 0; i < count; i++) {
    const os = prng.weighted(OS_WEIGHTS);
    const profile = PROFILES[os];
    const prefix = prng.weighted(profile.prefixes);
    const site = prng.pick(SITES);
    const [manufacturer, models] = prng.pick(profile.makers);
    const model = prng.pick(models);
    const managed = os === 'Linux' ? prng.chance(0.2) : prng.chance(0.9);
    const trustType =
      os === 'Windows'
        ? prng.weighted([
            ['AzureAd', 6],
            ['ServerAd', 3],
            ['Workplace', 1],
          ] as const)
        : 'Workplace';
    const registered = isoDaysAgo(prng, 30, 1400);
    // The main stream's draw stays where it always was (inside the literal); the second stream decides.
    const lastSignIn = (recent: string): string | null => {
      const draw = extra.next();
      const stale = isoDaysAgo(extra, 90, 540);
      return draw < 0.03 ? null : draw < 0.18 ? stale : recent;
    };
    const synced = options.hybridSynced === true && trustType === 'ServerAd';
    devices.push({
      id: prng.uuid(),
      deviceId: prng.uuid(),
      displayName: `${prefix}-${site}-${String(i + 1).padStart(5, '0')}`,
      operatingSystem: os,
      operatingSystemVersion: prng.pick(profile.versions),
      accountEnabled: prng.chance(0.95),
      isCompliant: managed ? prng.chance(0.85) : false,
      isManaged: managed,
      trustType,
      approximateLastSignInDateTime: lastSignIn(isoDaysAgo(prng, 0, 90)),
      registrationDateTime: registered,
      manufacturer,
      model,
      profileType: 'RegisteredDevice',
      managementType: managed ? 'MDM' : null,
      deviceOwnership: os === 'Windows' || os === 'MacMDM' ? 'Company' : prng.pick(['Company', 'Personal']),
      onPremisesSyncEnabled: synced ? true : null,
      physicalIds: physicalIds(extra, os),
      extensionAttributes: extensionAttributes(prng, os),
    });
  }
  return devices;
}

/** `generateInventory` serialised in Graph's list shape `{"value":[…]}`, one device per line
 * (compact yet diff-friendly), trailing newline: the exact content of
 * `fixtures/devices-5000.json` for (5000, 1). */
export function inventoryJson(count: number, seed: number | string = DEFAULT_INVENTORY_SEED, options: InventoryOptions = {}): string {
  const lines = generateInventory(count, seed, options).map((d) => JSON.stringify(d));
  return lines.length === 0 ? '{"value":[]}\n' : `{"value":[\n${lines.join(',\n')}\n]}\n`;
}

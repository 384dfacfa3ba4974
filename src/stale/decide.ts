/**
 * The stale-device lifecycle's decision for one device (pure): disable it, delete it, or keep it —
 * and why. Follows Microsoft's guidance on stale devices (docs/graph-behaviour.md §5):
 * - `approximateLastSignInDateTime` is refreshed only every 14 days (± 5): a threshold under
 *   {@link MIN_STALE_DAYS} days would disable active devices, so it is refused;
 * - disable first, wait, then delete — and delete only what this job disabled (read from the stamp it
 *   wrote in an extension attribute) and that is still disabled;
 * - never touch Autopilot devices (`[ZTDID]` in `physicalIds`), devices synced from on-premises AD
 *   (handled there), devices with no sign-in timestamp (some active devices have none), Intune-managed
 *   devices unless asked (retire them in Intune), anything excluded; optionally keep devices whose
 *   BitLocker recovery keys are in Entra (deleted with the device) unless they were backed up.
 */

/** Microsoft's minimum threshold for "stale" (14 days refresh ± 5, rounded up). */
export const MIN_STALE_DAYS = 21;

const DAY_MS = 86_400_000;

/** Why a device is kept (never written). */
export type KeepReason =
  | 'excluded'
  | 'autopilot'
  | 'on-premises-synced'
  | 'intune-managed'
  | 'no-sign-in-timestamp'
  | 'active'
  | 'disabled-elsewhere'
  | 're-enabled'
  | 'waiting-to-delete'
  | 'bitlocker-keys';

/** Every {@link KeepReason}, in the order reports list them. */
export const KEEP_REASONS: readonly KeepReason[] = [
  'excluded',
  'autopilot',
  'on-premises-synced',
  'intune-managed',
  'no-sign-in-timestamp',
  'active',
  'disabled-elsewhere',
  're-enabled',
  'waiting-to-delete',
  'bitlocker-keys',
];

/** A decision: what to do and a sentence for the results file. */
export type StaleDecision =
  | { action: 'disable'; note: string }
  | { action: 'delete'; note: string }
  | { action: 'keep'; reason: KeepReason; note: string };

/** The lifecycle's settings. Times in ms since the epoch. */
export interface StaleSettings {
  /** Now (the job's clock). */
  nowMs: number;
  /** Disable devices whose last sign-in is older than this many days (≥ {@link MIN_STALE_DAYS}). */
  staleDays: number;
  /** Extension attribute the job stamps when it disables a device, e.g. `extensionAttribute15`. */
  stampAttribute: string;
  /** The job's name, written in the stamp: only stamps of this job count. */
  jobName: string;
  /** Delete devices this job disabled at least this many days ago; undefined: no deletion. */
  deleteAfterDays?: number;
  /** Disable Intune-managed devices too (default false: retire them in Intune first). */
  includeManaged?: boolean;
  /** Object ids, deviceIds or display names never to touch (compared case-insensitively). */
  exclude?: ReadonlySet<string>;
  /** Keep a device due for deletion when it has BitLocker recovery keys in Entra (checked only when set). */
  keepWithBitLockerKeys?: boolean;
}

/** A device as the lifecycle reads it (Graph's property names). `bitLockerKeys`: keys found in Entra, when checked. */
export interface StaleDevice {
  id: string;
  deviceId?: string | null;
  displayName?: string | null;
  accountEnabled?: boolean | null;
  approximateLastSignInDateTime?: string | null;
  physicalIds?: readonly string[] | null;
  onPremisesSyncEnabled?: boolean | null;
  isManaged?: boolean | null;
  extensionAttributes?: Record<string, string | null> | null;
  bitLockerKeys?: number;
}

/** `<jobName> disabled <YYYY-MM-DD>`: the stamp this job writes when it disables a device. */
export function stampValue(jobName: string, atMs: number): string {
  return `${stampPrefix(jobName)}${new Date(atMs).toISOString().slice(0, 10)}`;
}

/** The stamp's fixed start for a job (used in the query: `startswith(…, '<prefix>')`). */
export function stampPrefix(jobName: string): string {
  return `${jobName} disabled `;
}

/** The day (epoch ms, UTC midnight) a stamp of this job records, or undefined when it is not one. */
export function stampDate(value: string | null | undefined, jobName: string): number | undefined {
  if (typeof value !== 'string' || !value.startsWith(stampPrefix(jobName))) return undefined;
  const day = value.slice(stampPrefix(jobName).length);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Checks settings.
 * @throws RangeError for a threshold under {@link MIN_STALE_DAYS} days, a negative or fractional
 *   deletion delay, or a stamp attribute that is not extensionAttribute1…15.
 */
export function checkStaleSettings(s: Pick<StaleSettings, 'staleDays' | 'deleteAfterDays' | 'stampAttribute' | 'jobName'>): void {
  if (!Number.isInteger(s.staleDays) || s.staleDays < MIN_STALE_DAYS) {
    throw new RangeError(
      `staleDays must be a whole number of at least ${MIN_STALE_DAYS}, got ${s.staleDays}: approximateLastSignInDateTime is only refreshed every 14 days (± 5), so a shorter threshold would disable devices in use (docs/graph-behaviour.md §5)`,
    );
  }
  if (s.deleteAfterDays !== undefined && (!Number.isInteger(s.deleteAfterDays) || s.deleteAfterDays < 1)) {
    throw new RangeError(`deleteAfterDays must be a whole number of days ≥ 1, got ${s.deleteAfterDays}`);
  }
  if (!/^extensionAttribute([1-9]|1[0-5])$/.test(s.stampAttribute)) {
    throw new RangeError(`stampAttribute must be extensionAttribute1 … extensionAttribute15, got ${JSON.stringify(s.stampAttribute)}`);
  }
  if (!/^[\w.-]+$/.test(s.jobName))
    throw new RangeError(`the job name must be letters, digits, ".", "_" and "-", got ${JSON.stringify(s.jobName)}`);
}

const days = (ms: number): number => Math.floor(ms / DAY_MS);
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Decides what the lifecycle does with one device. Checks, in order: excluded; Autopilot; synced
 * from on-premises; Intune-managed (unless `includeManaged`); stamped by this job (still disabled:
 * delete when due and deletion is on — unless it has BitLocker keys and `keepWithBitLockerKeys` — else
 * wait; enabled again: keep, someone re-enabled it); no sign-in timestamp; signed in within
 * `staleDays`; disabled by someone else; otherwise disable.
 */
export function decideStale(device: StaleDevice, s: StaleSettings): StaleDecision {
  const keep = (reason: KeepReason, note: string): StaleDecision => ({ action: 'keep', reason, note });
  const ex = s.exclude;
  if (ex && [device.id, device.deviceId, device.displayName].some((k) => typeof k === 'string' && ex.has(k.toLowerCase()))) {
    return keep('excluded', 'in the exclusion list');
  }
  const ztd = device.physicalIds?.find((p) => p.toUpperCase().startsWith('[ZTDID]'));
  if (ztd) return keep('autopilot', 'Autopilot device ([ZTDID] in physicalIds): system-managed, never deleted');
  if (device.onPremisesSyncEnabled === true) {
    return keep('on-premises-synced', 'synced from on-premises AD (onPremisesSyncEnabled): handle it in on-premises AD');
  }
  if (device.isManaged === true && !s.includeManaged) {
    return keep('intune-managed', 'managed by Intune (isManaged): retire it in Intune first, or include managed devices');
  }
  const stamped = stampDate(device.extensionAttributes?.[s.stampAttribute], s.jobName);
  if (stamped !== undefined) {
    if (device.accountEnabled !== false) {
      return keep('re-enabled', `disabled by this job on ${isoDay(stamped)} but enabled again since: left alone`);
    }
    const since = days(s.nowMs - stamped);
    if (s.deleteAfterDays === undefined) {
      return keep('waiting-to-delete', `disabled by this job on ${isoDay(stamped)} (${since} days ago); deletion is not turned on`);
    }
    if (since < s.deleteAfterDays) {
      return keep(
        'waiting-to-delete',
        `disabled by this job on ${isoDay(stamped)} (${since} days ago); deleted from ${isoDay(stamped + s.deleteAfterDays * DAY_MS)}`,
      );
    }
    if (s.keepWithBitLockerKeys && (device.bitLockerKeys ?? 0) > 0) {
      return keep(
        'bitlocker-keys',
        `${device.bitLockerKeys} BitLocker recovery key(s) in Entra would be deleted with it: back them up first`,
      );
    }
    return { action: 'delete', note: `disabled by this job on ${isoDay(stamped)} (${since} days ago) and still disabled` };
  }
  const last = device.approximateLastSignInDateTime;
  const lastMs = typeof last === 'string' ? Date.parse(last) : Number.NaN;
  if (Number.isNaN(lastMs)) return keep('no-sign-in-timestamp', 'no approximateLastSignInDateTime: some active devices have none');
  const idle = days(s.nowMs - lastMs);
  if (s.nowMs - lastMs < s.staleDays * DAY_MS) return keep('active', `signed in ${idle} days ago`);
  if (device.accountEnabled === false)
    return keep('disabled-elsewhere', `last sign-in ${idle} days ago, but disabled by someone else: not this job's to delete`);
  return { action: 'disable', note: `last sign-in ${idle} days ago (${isoDay(lastMs)}), older than ${s.staleDays} days` };
}

/**
 * The server-side `$filter` that finds every device the lifecycle may act on or report on: signed in
 * before the threshold, never signed in, or stamped by this job. A basic query (no advanced
 * operators, docs/graph-behaviour.md §5).
 */
export function staleQueryFilter(s: Pick<StaleSettings, 'nowMs' | 'staleDays' | 'stampAttribute' | 'jobName'>): string {
  const cutoff = new Date(s.nowMs - s.staleDays * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const prefix = stampPrefix(s.jobName).replace(/'/g, "''");
  return `approximateLastSignInDateTime le ${cutoff} or approximateLastSignInDateTime eq null or startswith(extensionAttributes/${s.stampAttribute},'${prefix}')`;
}

/**
 * What to do with a row once its device's current state is known. Pure.
 */
import { isWindowsDevice, NON_WINDOWS_APP_ONLY_RULE, nonWindowsAppOnlyViolations } from '../graph/device-state.js';
import type { DevicePatchBody, DeviceState, DeviceUpdate } from '../types.js';
import { describeMissing, diffDevice, type PropertyChange } from './diff.js';
import type { ReadResult } from './reader.js';

/**
 * A row's fate before writing:
 * - `unchanged`: the device already holds every value of the row (never with `sendAll`);
 * - `invalid`: the row has both keys and the device read by `id` has another `deviceId`
 *   (`update.expectDeviceId`, read with `deviceId` selected); or Graph would refuse the write for sure
 *   (app-only caller, non-Windows device): `message` names the row, the properties and the device's
 *   operatingSystem, and quotes Graph's rule;
 * - `write`: send `body`; `changes` are the properties that differ (old → new), possibly none with
 *   `sendAll`.
 */
export type RowDecision =
  | { kind: 'unchanged' }
  | { kind: 'invalid'; message: string }
  | { kind: 'write'; body: DevicePatchBody; changes: PropertyChange[] };

/** Options of {@link decideRow}. */
export interface DecideOptions {
  /** Send every property of the row as given, not only those that differ. */
  sendAll: boolean;
  /** Whether the run is app-only (true), delegated (false) or unknown (undefined: an opaque token). The
   * non-Windows rule is applied only when it is known to be app-only. */
  appOnly: boolean | undefined;
}

/**
 * Decides a row from its device's state (docs/graph-behaviour.md §1: send only changed values; app-only callers
 * may change only extension attributes on devices that are not Windows).
 */
export function decideRow(update: DeviceUpdate, state: DeviceState, options: DecideOptions): RowDecision {
  if (update.expectDeviceId !== undefined && state.deviceId !== update.expectDeviceId) {
    return {
      kind: 'invalid',
      message:
        `row ${update.row}: deviceId ${update.expectDeviceId} does not match the device with id ${update.key}, whose deviceId is ` +
        `${state.deviceId ?? 'not set'}: the two keys name different devices; nothing was written (fill only the right one)`,
    };
  }
  const diff = diffDevice(update.body, state);
  if (diff.changes.length === 0 && !options.sendAll) return { kind: 'unchanged' };
  const body = options.sendAll ? update.body : diff.body;
  if (options.appOnly === true) {
    const refused = nonWindowsAppOnlyViolations(body, state);
    if (refused.length > 0) {
      const os = isWindowsDevice(state) ? 'Windows' : JSON.stringify(state.operatingSystem ?? null);
      return {
        kind: 'invalid',
        message:
          `row ${update.row}: ${refused.join(', ')} cannot be changed on this device by an app-only caller: its operatingSystem is ${os}, ` +
          `and Graph lets app-only callers change only extension attributes on devices that are not Windows ` +
          `("${NON_WINDOWS_APP_ONLY_RULE}"); change it with a delegated sign-in, or drop the column for this device`,
      };
    }
  }
  return { kind: 'write', body, changes: diff.changes };
}

/**
 * The verdict on a write Graph confirmed with `status`, from reading the device back (`verify`):
 * - `updated`, "verified", when the device holds every value sent;
 * - `not-applied` with what was found otherwise (docs/graph-behaviour.md §1: a 204 alone does not prove the
 *   write happened; a read-back does);
 * - `updated`, "not verified: …", when the read-back itself failed or the run stopped first: Graph's
 *   confirmation stands, unproven.
 * `notes` (the row's normalisations) are kept in the message.
 */
export function verdictAfterWrite(
  sent: DevicePatchBody,
  status: number | undefined,
  readBack: ReadResult,
  notes: readonly string[],
): { outcome: 'updated' | 'not-applied'; errorMessage: string } {
  if (readBack.kind !== 'found') {
    const why =
      readBack.kind === 'stopped'
        ? 'the run stopped'
        : `${readBack.outcome.status ?? readBack.outcome.networkError} ${readBack.outcome.errorCode ?? ''}`.trimEnd();
    return { outcome: 'updated', errorMessage: [...notes, `not verified: reading it back failed (${why})`].join('; ') };
  }
  const missing = diffDevice(sent, readBack.state).changes;
  if (missing.length > 0) {
    return {
      outcome: 'not-applied',
      errorMessage: [`Graph answered ${status} but reading the device back found ${describeMissing(missing)}`, ...notes].join('; '),
    };
  }
  return { outcome: 'updated', errorMessage: [...notes, 'verified'].join('; ') };
}

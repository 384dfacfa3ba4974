/**
 * Comparing what a manifest row asks for with what a device holds. Pure.
 *
 * One comparison serves three purposes: the plan (what would change, old → new), the write (send only
 * what differs: Graph's own advice is not to send unchanged values, docs/graph-behaviour.md §1), and the
 * verification after a write (what is still not there).
 */
import type { DevicePatchBody, DeviceState, PropertyValue } from '../types.js';

/**
 * One property that differs. `property` is the manifest's column name (`displayName`,
 * `extensionAttribute3`, …); `from` the device's value (`null` when not set), `to` the row's value
 * (`null` clears an extension attribute).
 */
export interface PropertyChange {
  property: string;
  from: PropertyValue;
  to: PropertyValue;
}

/** What {@link diffDevice} found: the changes, and the PATCH body holding exactly them. */
export interface DeviceDiff {
  changes: PropertyChange[];
  /** Only the changed properties, in `body`'s order; `{}` when nothing changes. */
  body: DevicePatchBody;
}

const normal = (v: unknown): PropertyValue => (typeof v === 'string' || typeof v === 'boolean' ? v : null);

/**
 * Compares a PATCH body with a device's state. Strings compare exactly (case and all), booleans as
 * booleans; a property the state lacks counts as `null` (not set), so it differs from any value but a
 * clear. Extension attributes compare one by one.
 * @param body what the row asks for (as validated).
 * @param state the device as read (it must have selected every property of `body`).
 */
export function diffDevice(body: DevicePatchBody, state: DeviceState): DeviceDiff {
  const changes: PropertyChange[] = [];
  const out: DevicePatchBody = {};
  for (const [name, wanted] of Object.entries(body) as Array<[keyof DevicePatchBody, unknown]>) {
    if (name === 'extensionAttributes') {
      const current = state.extensionAttributes ?? {};
      const ext: Record<string, string | null> = {};
      for (const [key, to] of Object.entries(wanted as Record<string, string | null>)) {
        const from = normal(current[key]);
        if (from === to) continue;
        changes.push({ property: key, from, to });
        ext[key] = to;
      }
      if (Object.keys(ext).length > 0) out.extensionAttributes = ext;
      continue;
    }
    const from = normal((state as unknown as Record<string, unknown>)[name]);
    const to = normal(wanted);
    if (from === to) continue;
    changes.push({ property: name, from, to });
    (out as Record<string, unknown>)[name] = wanted;
  }
  return { changes, body: out };
}

const show = (v: PropertyValue): string => JSON.stringify(v);

/** `displayName "A" → "B"; extensionAttribute1 null → "x"` (values as JSON). */
export function describeChanges(changes: readonly PropertyChange[]): string {
  return changes.map((c) => `${c.property} ${show(c.from)} → ${show(c.to)}`).join('; ');
}

/**
 * What a read-back after a write found missing, from {@link diffDevice}`(sent, readBack).changes`:
 * `extensionAttribute1 is "Old", expected null`.
 */
export function describeMissing(mismatches: readonly PropertyChange[]): string {
  return mismatches.map((c) => `${c.property} is ${show(c.from)}, expected ${show(c.to)}`).join('; ');
}

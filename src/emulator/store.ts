/**
 * In-memory device directory: lookup by object id or deviceId (case-insensitive GUIDs,
 * docs/graph-behaviour.md §1), stable list order, whole-object replacement on update.
 */
import { readFileSync } from 'node:fs';
import { cloneDevice, normalizeDevice, type Device } from './device-model.js';
import { canonicalGuid } from './guid.js';
import type { DeviceAddress } from './routes.js';

/**
 * Reads devices from a JSON file: Graph's list shape `{"value":[…]}` or a plain array.
 * @throws Error when the file cannot be read, is not JSON, or holds an invalid device.
 */
export function loadDevicesFile(path: string): Device[] {
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const list = Array.isArray(json)
    ? json
    : typeof json === 'object' && json !== null && Array.isArray((json as { value?: unknown }).value)
      ? (json as { value: unknown[] }).value
      : undefined;
  if (!list) throw new Error(`${path}: expected {"value":[…]} or a JSON array of devices`);
  return list.map((d, i) => normalizeDevice(d, i));
}

/** The device directory. */
export class DeviceStore {
  private readonly byId = new Map<string, Device>();
  private readonly idByDeviceId = new Map<string, string>();
  private order: string[] = [];
  /** A device was removed since `order` was last compacted. */
  private removed = false;

  /** @throws Error on an invalid device or a duplicate id/deviceId. */
  constructor(devices: readonly unknown[]) {
    devices.forEach((raw, i) => {
      const d = normalizeDevice(raw, i);
      if (this.byId.has(d.id)) throw new Error(`device #${i}: duplicate id ${d.id}`);
      if (this.idByDeviceId.has(d.deviceId)) throw new Error(`device #${i}: duplicate deviceId ${d.deviceId}`);
      this.byId.set(d.id, d);
      this.idByDeviceId.set(d.deviceId, d.id);
      this.order.push(d.id);
    });
  }

  get size(): number {
    return this.byId.size;
  }

  /** The stored device (not a copy) for an address, or undefined. */
  resolve(address: DeviceAddress): Device | undefined {
    const id = address.keyType === 'id' ? canonicalGuid(address.key) : this.idByDeviceId.get(canonicalGuid(address.key));
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** A copy of a device by object id or deviceId (either accepted), or undefined. */
  find(idOrDeviceId: string): Device | undefined {
    const key = canonicalGuid(idOrDeviceId.trim());
    const d = this.byId.get(key) ?? this.byId.get(this.idByDeviceId.get(key) ?? '');
    return d ? cloneDevice(d) : undefined;
  }

  /** Replaces a device's state (same id). */
  replace(device: Device): void {
    this.byId.set(device.id, device);
  }

  /** Removes a device for good (`DELETE`, docs/graph-behaviour.md §5). @returns whether it was there. */
  remove(id: string): boolean {
    const device = this.byId.get(canonicalGuid(id));
    if (!device) return false;
    this.byId.delete(device.id);
    this.idByDeviceId.delete(device.deviceId);
    this.removed = true;
    return true;
  }

  /** Stored devices in list order (not copies). */
  all(): readonly Device[] {
    if (this.removed) {
      this.order = this.order.filter((id) => this.byId.has(id));
      this.removed = false;
    }
    return this.order.map((id) => this.byId.get(id) as Device);
  }
}

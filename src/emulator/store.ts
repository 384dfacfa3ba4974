/**
 * In-memory device directory: lookup by object id or deviceId (case-insensitive GUIDs,
 * docs/graph-behaviour.md §1), stable list order, whole-object replacement on update.
 */
import { readFileSync } from 'node:fs';
import { cloneDevice, DEVICE_PROPERTIES, EXTENSION_ATTRIBUTE_NAMES, normalizeDevice, type Device } from './device-model.js';
import { canonicalGuid } from './guid.js';
import type { DeviceAddress } from './routes.js';

/** Why a devices file cannot be used; the message names the file and, for bad JSON, the line and column. */
export class DevicesFileError extends Error {
  override readonly name = 'DevicesFileError';
}

/** Line and column (1-based) of a character offset in a text. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** `/Date(1700000000000)/`, Windows PowerShell 5.1's `ConvertTo-Json` form of a date, as ISO 8601. */
function powerShellDate(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value);
  return m ? new Date(Number(m[1])).toISOString().replace(/\.000Z$/, 'Z') : value;
}

const propertyByLowerName = new Map([...DEVICE_PROPERTIES, ...EXTENSION_ATTRIBUTE_NAMES].map((p) => [p.toLowerCase(), p]));

/**
 * A device as PowerShell exports one (`Get-MgDevice | ConvertTo-Json`): PascalCase property names
 * (`Id`, `DeviceId`, `ExtensionAttributes.ExtensionAttribute1`) turned into Graph's camelCase ones,
 * the SDK's `AdditionalProperties` bag merged in, `/Date(…)/` dates made ISO 8601. Other values are
 * kept as they are; a device already in Graph's shape comes out unchanged.
 */
export function fromPowerShellShape(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    const name = propertyByLowerName.get(key.toLowerCase()) ?? key;
    if (name === 'extensionAttributes' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) inner[propertyByLowerName.get(k.toLowerCase()) ?? k] = v;
      out[name] = inner;
    } else out[name] = powerShellDate(value);
  };
  for (const [key, value] of Object.entries(input)) {
    if (key === 'AdditionalProperties' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) if (!k.startsWith('@odata.')) put(k, v);
    } else put(key, value);
  }
  return out;
}

/**
 * Reads devices from a JSON file: Graph's list shape `{"value":[…]}`, a plain array, or one device
 * object; UTF-8 with or without a byte-order mark; Graph's camelCase or PowerShell's PascalCase
 * property names ({@link fromPowerShellShape}), so that `Get-MgDevice -All | ConvertTo-Json -Depth 5`
 * written by Windows PowerShell (BOM) or PowerShell 7 loads as it is.
 * @throws DevicesFileError when the file cannot be read (naming the file and the reason), is not
 *   JSON (with line and column), or holds an invalid device.
 */
export function loadDevicesFile(path: string): Device[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new DevicesFileError(`cannot read the devices file ${path}: ${reason}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const where = at ? (({ line, column }) => ` at line ${line}, column ${column}`)(lineAndColumn(text, Number(at[1]))) : '';
    throw new DevicesFileError(`the devices file ${path} is not valid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  const list = Array.isArray(json)
    ? json
    : typeof json === 'object' && json !== null && Array.isArray((json as { value?: unknown }).value)
      ? (json as { value: unknown[] }).value
      : typeof json === 'object' && json !== null
        ? [json]
        : undefined;
  if (!list) throw new DevicesFileError(`${path}: expected {"value":[…]}, a JSON array of devices or one device object`);
  try {
    return list.map((d, i) => normalizeDevice(fromPowerShellShape(d), i));
  } catch (err) {
    throw new DevicesFileError(`${path}: ${(err as Error).message}`);
  }
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

/**
 * The columns of an export (a manifest): which properties a manifest may change (plain column names)
 * and which are only shown (`<name> (read-only)`, never sent), and a device as one row of cells. Pure.
 */
import { ALLOWED_COLUMNS, EXTENSION_ATTRIBUTE_COLUMNS, READ_ONLY_SUFFIX } from '../manifest/columns.js';

/** One column of an export: the device property it shows and its header text. */
export interface ExportColumn {
  property: string;
  header: string;
}

/**
 * The columns for a list of properties: `id` is the key column; the properties a manifest may change
 * (accountEnabled, displayName, operatingSystem, operatingSystemVersion, extensionAttribute1…15) keep
 * their name, so editing a cell changes the device; every other property (`deviceId`, dates,
 * `physicalIds`, `isManaged`, …) is `<name> (read-only)`.
 */
export function exportColumns(properties: readonly string[]): ExportColumn[] {
  return properties.map((property) => ({
    property,
    header:
      property === 'id' || (ALLOWED_COLUMNS.includes(property) && property !== 'deviceId') ? property : `${property}${READ_ONLY_SUFFIX}`,
  }));
}

/** A device property's value as it is read from a Graph device object (an extension attribute from `extensionAttributes`). */
export function propertyValue(device: Record<string, unknown>, property: string): unknown {
  if (EXTENSION_ATTRIBUTE_COLUMNS.includes(property)) {
    const ext = device.extensionAttributes;
    return typeof ext === 'object' && ext !== null ? ((ext as Record<string, unknown>)[property] ?? null) : null;
  }
  return device[property] ?? null;
}

/**
 * A value as CSV cell text: `null` → empty (a manifest's empty cell changes nothing), booleans
 * `true`/`false`, arrays and objects as JSON.
 */
export function cellFor(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A device as CSV cells, in column order. */
export function csvCells(device: Record<string, unknown>, columns: readonly ExportColumn[]): string[] {
  return columns.map((c) => cellFor(propertyValue(device, c.property)));
}

/**
 * A device as a JSON Lines object: keys are the column headers; values keep their JSON types, except
 * that `null` on a property a manifest may change is left out (in a manifest `null` clears).
 */
export function jsonRow(device: Record<string, unknown>, columns: readonly ExportColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    const v = propertyValue(device, c.property);
    if (v === null && c.header === c.property) continue;
    out[c.header] = v;
  }
  return out;
}

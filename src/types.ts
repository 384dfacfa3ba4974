/**
 * Shared shapes of graph-bulk's pipeline: manifest → validate → schedule → send → report.
 * Each stage lives in its own folder under `src/`; these are the values that pass between them.
 */

/** How a manifest row addresses its device. `id` is the object id (`/devices/{id}`), `deviceId`
 * the alternate key (`/devices(deviceId='…')`). Source: learn.microsoft.com/en-us/graph/api/device-update */
export type KeyType = 'id' | 'deviceId';

/**
 * A row's final outcome in the results file:
 * - `updated`: Graph confirmed the write (and, with `verify`, a read-back found the values);
 * - `unchanged`: the device already held every value of the row: nothing was written;
 * - `not-applied`: Graph answered 2xx but a read-back (`verify`) did not find the values;
 * - `failed`, `invalid`, `skipped`; `planned` for a dry run or a plan.
 */
export type Outcome = 'updated' | 'unchanged' | 'not-applied' | 'failed' | 'invalid' | 'skipped' | 'planned';

/** Every {@link Outcome}, in the order summaries list them. */
export const OUTCOMES: readonly Outcome[] = ['updated', 'unchanged', 'not-applied', 'failed', 'invalid', 'skipped', 'planned'];

/** The extension attribute names Graph knows: `extensionAttribute1` … `extensionAttribute15`. */
export type ExtensionAttributeName = `extensionAttribute${number}`;

/**
 * A PATCH body for one device, exactly as sent to Graph. A property that is absent is not sent;
 * an extension attribute set to `null` is cleared.
 * Source: learn.microsoft.com/en-us/graph/api/device-update (updatable properties).
 */
export interface DevicePatchBody {
  accountEnabled?: boolean;
  displayName?: string;
  operatingSystem?: string;
  operatingSystemVersion?: string;
  isCompliant?: boolean;
  isManaged?: boolean;
  extensionAttributes?: Record<string, string | null>;
}

/** A value of a device property as Graph returns it: text, a boolean, or `null` when not set. */
export type PropertyValue = string | boolean | null;

/**
 * A device's current state as read from Graph (`GET /devices/{id}?$select=…`): only the properties
 * selected are present. `id` is the object id (lower-case GUID), always selected so that a row keyed
 * by `deviceId` can be restored by `id`. `extensionAttributes` holds all 15 keys when selected
 * (`null` = not set). Source: learn.microsoft.com/en-us/graph/api/device-get.
 */
export interface DeviceState {
  id: string;
  /** The device's `deviceId` (lower-case GUID), when selected. */
  deviceId?: string | null;
  accountEnabled?: boolean | null;
  displayName?: string | null;
  operatingSystem?: string | null;
  operatingSystemVersion?: string | null;
  isCompliant?: boolean | null;
  isManaged?: boolean | null;
  extensionAttributes?: Record<string, string | null>;
}

/**
 * One data row as the manifest reader produced it, before validation.
 * - `row`: 1-based data row number (the header is not a row).
 * - `line`: 1-based line of the file where the row starts (for error messages).
 * - `fields`: canonical Graph column name (`id`, `deviceId`, `accountEnabled`, `extensionAttribute1`, …)
 *   → raw value: a string for CSV cells, any JSON value for JSON/JSON Lines (nested
 *   `extensionAttributes` objects are flattened into `extensionAttributeN` fields by the reader).
 * - `columns`: the manifest's own columns as read (header name → cell text; JSON values stringified),
 *   copied into the results file so that it can be fed back as a manifest.
 * - `error`: set when the row itself could not be parsed (a bad JSON Lines line); the row is `invalid`.
 * - `ignored`: JSON/JSON Lines keys skipped as not updatable (`ignoreReadOnlyColumns`), as written.
 */
export interface ManifestRow {
  row: number;
  line: number;
  fields: Record<string, unknown>;
  columns: Record<string, string>;
  error?: string;
  ignored?: string[];
  /** Values are exact (a rollback manifest: the device's values byte for byte): never trimmed. */
  exact?: boolean;
}

/** A row that passed validation and is ready to send. `key` is the canonical lower-case GUID. */
export interface DeviceUpdate {
  row: number;
  key: string;
  keyType: KeyType;
  body: DevicePatchBody;
  /** Normalisations applied to the input (e.g. "trimmed whitespace around id"), reported in the results. */
  notes: string[];
  columns: Record<string, string>;
  /**
   * The row has both `id` (the key) and `deviceId`: the device read by `id` must have this
   * `deviceId` (lower-case GUID), or the row is `invalid` and nothing is written.
   */
  expectDeviceId?: string;
}

/** A row that failed validation: it is never sent. `message` names the row, column and value. */
export interface InvalidRow {
  row: number;
  key: string;
  keyType: KeyType | '';
  message: string;
  columns: Record<string, string>;
}

/** One line of the results file. Column order in the file is the order of these fields,
 * then the manifest's own columns. `finishedAt` is ISO 8601 UTC. */
export interface RowResult {
  row: number;
  key: string;
  keyType: KeyType | '';
  outcome: Outcome;
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  attempts: number;
  requestId?: string;
  finishedAt: string;
  columns: Record<string, string>;
}

/** The results file's own columns, in file order (the fields of {@link RowResult} but `columns`);
 * the manifest's columns follow them. */
export const RESULT_COLUMNS = [
  'row',
  'key',
  'keyType',
  'outcome',
  'httpStatus',
  'errorCode',
  'errorMessage',
  'attempts',
  'requestId',
  'finishedAt',
] as const;

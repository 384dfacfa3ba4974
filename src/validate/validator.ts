/**
 * Row validation: turns a manifest row into the PATCH body to send, or an invalid row that is never
 * sent, with a message naming the row, the column and the value.
 */
import type { DevicePatchBody, DeviceUpdate, InvalidRow, KeyType, ManifestRow } from '../types.js';
import {
  ALL_COLUMNS,
  BOOLEAN_COLUMNS,
  DEFAULT_CLEAR_TOKEN,
  KEY_COLUMNS,
  MDM_COLUMNS,
  STRING_COLUMNS,
  isExtensionAttribute,
} from '../manifest/columns.js';
import { parseBoolean } from './boolean.js';
import { GuidRowTable } from './duplicates.js';
import { excelHint, normaliseKey } from './guid.js';
import { MAX_LENGTH } from './limits.js';

/** Options of {@link createValidator}. */
export interface ValidatorOptions {
  /**
   * @deprecated Ignored. The key type is taken from each row (exactly one of `id`/`deviceId`):
   * CSV rows always carry the header's key column, and JSON/JSON Lines rows may mix the two
   * (H11), so `ManifestInfo.keyType` must not be enforced per row. Accepted so that callers written
   * against the original signature still compile.
   */
  keyType?: KeyType;
  /** Let the same device appear in several rows (default: later rows are invalid "duplicate of row N"). */
  allowDuplicates?: boolean;
  /** Accept `isCompliant`/`isManaged` (Intune/MDM-owned). Default false. */
  allowMdmProperties?: boolean;
  /** Cell text that clears an extension attribute (sends `null`); case-insensitive. Default `#clear`. */
  clearToken?: string;
  /**
   * Rows the manifest holds (`ManifestInfo.rowCount`), if known: the duplicate table is sized for
   * them at once instead of doubling as it fills (a doubling briefly holds the old and the new table).
   */
  expectedRows?: number;
  /**
   * Rows with both `id` and `deviceId` filled: the job checks, once the device is read by `id`, that
   * its `deviceId` matches (`DeviceUpdate.expectDeviceId`). A caller that does not read devices
   * first cannot check it: without this option such rows are invalid ("fill only one key").
   */
  checksDeviceId?: boolean;
}

/** What a validator returns for a row. */
export type ValidationResult = DeviceUpdate | InvalidRow;

/** Whether a validation result is an invalid row (never to be sent). */
export function isInvalid(result: ValidationResult): result is InvalidRow {
  return 'message' in result;
}

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
};

const describeType = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`);

/** A row's key after validation: found (maybe invalid) or missing. */
interface KeyFound {
  keyType: KeyType | '';
  /** The canonical key, or the raw value as text when it is not a GUID. */
  key: string;
  valid: boolean;
  notes: string[];
  problem?: string;
  /** Both keys filled: the `deviceId` the device read by `id` must have. */
  expectDeviceId?: string;
}

const present = (v: unknown): boolean => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

function checkKey(keyType: KeyType, raw: unknown): Omit<KeyFound, 'keyType'> {
  if (typeof raw !== 'string') {
    const hint = typeof raw === 'number' ? excelHint(String(raw)) : '';
    return {
      key: JSON.stringify(raw) ?? String(raw),
      valid: false,
      notes: [],
      problem: `${keyType} ${show(raw)} is not a GUID (it is ${describeType(raw)})${hint}`,
    };
  }
  const normal = normaliseKey(raw, keyType);
  if ('error' in normal) return { key: raw.trim(), valid: false, notes: [], problem: `${keyType} ${show(raw)} ${normal.error}` };
  return { key: normal.key, valid: true, notes: normal.notes };
}

/**
 * The row's key. Exactly one of `id`/`deviceId` must be filled, except that both may be: then `id`
 * is the key and `deviceId` is checked against the device once it is read (`expectDeviceId`), as
 * portal and PowerShell exports carry both.
 */
function findKey(fields: Record<string, unknown>): KeyFound {
  const named = KEY_COLUMNS.filter((k) => present(fields[k]));
  if (named.length === 0) {
    const column = KEY_COLUMNS.find((k) => k in fields);
    if (column !== undefined) {
      const other = KEY_COLUMNS.find((k) => k !== column && k in fields);
      return {
        keyType: column,
        key: '',
        valid: false,
        notes: [],
        problem: other ? `both ${column} and ${other} are empty` : `${column} is empty`,
      };
    }
    return { keyType: '', key: '', valid: false, notes: [], problem: 'no key: give "id" (the device object id) or "deviceId"' };
  }
  const keyType = named[0]!;
  const found: KeyFound = { keyType, ...checkKey(keyType, fields[keyType]) };
  if (named.length === 2) {
    const also = checkKey('deviceId', fields.deviceId);
    if (!also.valid) {
      found.valid = false;
      found.problem = found.problem ? `${found.problem}; ${also.problem}` : also.problem;
    } else if (found.valid) {
      found.expectDeviceId = also.key;
      found.notes.push(...also.notes);
    }
  }
  return found;
}

/**
 * Creates a validator for the rows of one manifest, in order. It is stateful: it remembers the
 * devices of valid rows to mark later rows for the same device (case-insensitive) invalid
 * ("duplicate of row N") unless `allowDuplicates`. Memory for that: about 40 bytes per distinct
 * device (see `GuidRowTable`).
 *
 * Rules per row:
 * - a row carrying a reader `error` is invalid with that error;
 * - key: one of `id`/`deviceId` per row (this decides the row's `keyType`), cleaned by
 *   `normaliseKey` (notes record the cleaning), must be a GUID (not the all-zero GUID, not a number
 *   Excel made of one); with both filled, `id` is the key and `deviceId` (also checked) becomes the
 *   update's `expectDeviceId`;
 * - booleans (`accountEnabled`, `isCompliant`, `isManaged`): true/false/yes/no/1/0 → JSON booleans;
 *   `isCompliant`/`isManaged` only with `allowMdmProperties`;
 * - strings: surrounding whitespace trimmed (noted) — except in a rollback manifest (`row.exact`),
 *   whose values are sent byte for byte; inner text sent as written; length limits
 *   (`MAX_LENGTH`); extension attributes go into `body.extensionAttributes`;
 * - an empty cell (or missing JSON key) sends nothing; the clear token (default `#clear`) or JSON
 *   `null` sends `null`, for extension attributes only;
 * - a row left with nothing to send is invalid ("nothing to update").
 * Invalid messages start `row N: ` and name the column and value, several problems joined by `; `.
 * @returns a function from a manifest row to a `DeviceUpdate` or an `InvalidRow`; it never throws.
 */
export function createValidator(options: ValidatorOptions = {}): (row: ManifestRow) => ValidationResult {
  const clearToken = (options.clearToken ?? DEFAULT_CLEAR_TOKEN).trim().toLowerCase();
  const seen: Partial<Record<KeyType, GuidRowTable>> = {};

  return (manifestRow: ManifestRow): ValidationResult => {
    const { row, fields, columns } = manifestRow;
    const key = findKey(fields);
    const invalid = (problems: string[]): InvalidRow => ({
      row,
      key: key.key,
      keyType: key.keyType,
      message: `row ${row}: ${problems.join('; ')}`,
      columns,
    });
    if (manifestRow.error !== undefined) return invalid([manifestRow.error]);

    const problems: string[] = key.problem !== undefined ? [key.problem] : [];
    if (key.expectDeviceId !== undefined && !options.checksDeviceId) {
      problems.push(
        `both id ${show(fields.id)} and deviceId ${show(fields.deviceId)} are filled, and without reading the device first (--read-first) ` +
          'graph-bulk cannot check that they name the same device: empty one of them',
      );
    }
    const notes = [...key.notes];
    const body: DevicePatchBody = {};
    const extensionAttributes: Record<string, string | null> = {};
    let extensionCount = 0;

    for (const name of Object.keys(fields)) {
      if (!ALL_COLUMNS.includes(name)) problems.push(`unknown column ${show(name)}`);
    }
    for (const name of ALL_COLUMNS) {
      if (KEY_COLUMNS.includes(name as KeyType)) continue;
      const value = fields[name];
      if (value === undefined) continue;
      const isText = typeof value === 'string';
      // A rollback manifest's values are exact: never trimmed (the clear token is matched as written).
      const exact = manifestRow.exact === true;
      const isClear = value === null || (isText && (exact ? value : value.trim()).toLowerCase() === clearToken);

      if (MDM_COLUMNS.includes(name) && !options.allowMdmProperties) {
        if (isText && value.trim() === '') continue;
        problems.push(`${name} ${show(value)}: only Intune or an approved MDM app may set ${name}; to send it, use --allow-mdm-properties`);
        continue;
      }
      if (BOOLEAN_COLUMNS.includes(name)) {
        if (isClear) {
          problems.push(`${name} ${show(value)}: ${name} cannot be cleared, only set to true or false`);
          continue;
        }
        const parsed = parseBoolean(value);
        if ('error' in parsed) problems.push(`${name} ${show(value)} ${parsed.error}`);
        else if ('value' in parsed) (body as Record<string, unknown>)[name] = parsed.value;
        continue;
      }
      const extension = isExtensionAttribute(name);
      if (isClear) {
        if (extension) {
          extensionAttributes[name] = null;
          extensionCount++;
        } else {
          problems.push(
            `${name} ${show(value)}: only extension attributes can be cleared; ${name} cannot be emptied (leave the cell empty to keep it)`,
          );
        }
        continue;
      }
      if (!isText) {
        problems.push(`${name} ${show(value)} is ${describeType(value)}; write it as text`);
        continue;
      }
      const text = exact ? value : value.trim();
      if (text === '') continue;
      if (text !== value) notes.push(`trimmed whitespace around ${name}`);
      const max = MAX_LENGTH[name];
      if (max !== undefined && text.length > max) {
        problems.push(`${name} ${show(text)} is ${text.length} characters long; the limit is ${max}`);
        continue;
      }
      if (extension) {
        extensionAttributes[name] = text;
        extensionCount++;
      } else if (STRING_COLUMNS.includes(name)) {
        (body as Record<string, unknown>)[name] = text;
      }
    }
    if (extensionCount > 0) body.extensionAttributes = extensionAttributes;

    if (problems.length === 0 && Object.keys(body).length === 0) {
      problems.push('nothing to update: every column other than the key is empty');
    }
    if (problems.length > 0) return invalid(problems);

    if (!options.allowDuplicates && key.keyType !== '') {
      const table = (seen[key.keyType] ??= new GuidRowTable(Math.ceil(((options.expectedRows ?? 0) * 4) / 3) + 1));
      const first = table.firstRowOrAdd(key.key, row);
      if (first !== undefined) return invalid([`duplicate of row ${first} (same ${key.keyType} ${key.key})`]);
    }
    return {
      row,
      key: key.key,
      keyType: key.keyType as KeyType,
      body,
      notes,
      columns,
      ...(key.expectDeviceId !== undefined ? { expectDeviceId: key.expectDeviceId } : {}),
    };
  };
}

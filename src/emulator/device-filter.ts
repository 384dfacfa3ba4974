/**
 * `$filter` on `GET /devices`: which property supports which operator, which operators make the
 * query an advanced query, and the evaluation of a parsed filter against a device. Pure.
 *
 * Source: docs/graph-behaviour.md §5 (learn.microsoft.com/en-us/graph/api/resources/device, the
 * "Supports $filter (…)" note of each property; learn.microsoft.com/en-us/graph/aad-advanced-queries:
 * `ne`, `not` and `endsWith` need `ConsistencyLevel: eventual` and `$count=true`). What a property
 * does not list is refused (400), never guessed at.
 */
import type { Device } from './device-model.js';
import { GraphErrors, type GraphErrorSpec } from './errors.js';
import { FilterSyntaxError, parseFilter, type FilterExpr, type FilterLiteral } from './odata-filter.js';

/** What a filterable property is and which operators it takes. `null` = `eq null`. */
interface Capability {
  type: 'string' | 'guid' | 'boolean' | 'datetime' | 'collection';
  ops: ReadonlySet<string>;
}

const cap = (type: Capability['type'], ops: string): Capability => ({ type, ops: new Set(ops.split(' ')) });

/** Filterable device properties (canonical names) and their operators (device resource page). */
export const FILTERABLE: Readonly<Record<string, Capability>> = {
  id: cap('guid', 'eq ne not in'),
  deviceId: cap('guid', 'eq ne not startsWith'),
  accountEnabled: cap('boolean', 'eq ne not in'),
  approximateLastSignInDateTime: cap('datetime', 'eq ne not ge le null'),
  displayName: cap('string', 'eq ne not ge le in startsWith endsWith null'),
  operatingSystem: cap('string', 'eq ne not ge le startsWith null'),
  operatingSystemVersion: cap('string', 'eq ne not ge le startsWith null'),
  trustType: cap('string', 'eq ne not in'),
  onPremisesSyncEnabled: cap('boolean', 'eq ne not in null'),
  isManaged: cap('boolean', 'eq ne not'),
  isCompliant: cap('boolean', 'eq ne not'),
  manufacturer: cap('string', 'eq ne not startsWith null'),
  model: cap('string', 'eq ne not startsWith null'),
  mdmAppId: cap('string', 'eq ne not startsWith'),
  physicalIds: cap('collection', 'eq not ge le startsWith'),
  // extensionAttributes/extensionAttribute1…15 (learn: "Supports $filter (eq, not, startsWith, and eq on null values)")
  'extensionAttributes/*': cap('string', 'eq not startsWith null'),
};

const CANONICAL = new Map(Object.keys(FILTERABLE).map((k) => [k.toLowerCase(), k]));
const EXTENSION = /^extensionattributes\/extensionattribute(\d{1,2})$/i;

/** A filter checked against the device model. */
export interface DeviceFilter {
  /** Source text (for the next link). */
  text: string;
  test: (d: Device) => boolean;
  /** Operators found that make this an advanced query (`ne`, `not`, `endsWith`), in order, unique. */
  advanced: string[];
}

type Resolved = { name: string; capability: Capability; get: (d: Device) => unknown };

function resolveMember(member: string): Resolved | GraphErrorSpec {
  const ext = EXTENSION.exec(member);
  if (ext) {
    const n = Number(ext[1]);
    if (n < 1 || n > 15) return GraphErrors.selectUnknown(member.split('/')[1] ?? member);
    const key = `extensionAttribute${n}`;
    return {
      name: `extensionAttributes/${key}`,
      capability: FILTERABLE['extensionAttributes/*']!,
      get: (d) => d.extensionAttributes?.[key] ?? null,
    };
  }
  if (member.includes('/')) return GraphErrors.selectUnknown(member);
  const name = CANONICAL.get(member.toLowerCase());
  if (!name) {
    if (member.toLowerCase() === 'extensionattributes') return GraphErrors.unsupportedFilterProperty(member);
    return GraphErrors.selectUnknown(member);
  }
  return { name, capability: FILTERABLE[name]!, get: (d) => d[name] ?? null };
}

const EDM: Record<FilterLiteral['kind'], string> = {
  string: 'Edm.String',
  boolean: 'Edm.Boolean',
  null: 'null',
  number: 'Edm.Int32',
  datetime: 'Edm.DateTimeOffset',
};
const PROPERTY_EDM: Record<Capability['type'], string> = {
  string: 'Edm.String',
  guid: 'Edm.String',
  boolean: 'Edm.Boolean',
  datetime: 'Edm.DateTimeOffset',
  collection: 'Collection(Edm.String)',
};

/** The literal fits the property's type (null is checked apart). */
function typeFits(type: Capability['type'], value: FilterLiteral): boolean {
  if (value.kind === 'null') return true;
  if (type === 'boolean') return value.kind === 'boolean';
  if (type === 'datetime') return value.kind === 'datetime';
  return value.kind === 'string';
}

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Compares a stored value with a literal: -1, 0, 1, or undefined when either is null/absent. */
function compare(stored: unknown, value: FilterLiteral, type: Capability['type']): number | undefined {
  if (stored === null || stored === undefined || value.kind === 'null') return undefined;
  if (type === 'datetime') {
    const ms = typeof stored === 'string' ? Date.parse(stored) : Number.NaN;
    if (Number.isNaN(ms) || value.kind !== 'datetime') return undefined;
    return Math.sign(ms - value.ms);
  }
  const a = lower(stored);
  const b = value.kind === 'string' ? value.value.toLowerCase() : value.kind === 'boolean' ? value.value : undefined;
  if (a === b) return 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1;
  return typeof a === typeof b ? 1 : undefined;
}

function equals(stored: unknown, value: FilterLiteral, type: Capability['type']): boolean {
  if (value.kind === 'null') return stored === null || stored === undefined;
  return compare(stored, value, type) === 0;
}

const ADVANCED_OPS = ['ne', 'not', 'endsWith'] as const;

/**
 * Parses and checks a `$filter` for `GET /devices`.
 * @returns the filter, or Graph's 400: `BadRequest` "Invalid filter clause: …" for bad syntax;
 *   `Request_BadRequest` "Could not find a property named …" for an unknown property, or "A binary
 *   operator with incompatible types was detected …" for a literal of the wrong type (a quoted date,
 *   a string for a boolean); `Request_UnsupportedQuery` "Unsupported or invalid query filter clause
 *   specified for property '…' of resource 'Device'." for an operator the property does not support
 *   (`gt`/`lt` on any, `ge` on accountEnabled, `any` on anything but physicalIds, …).
 *   Whether the query is advanced is reported in `advanced`; the caller checks the headers.
 */
export function compileDeviceFilter(text: string): { ok: true; filter: DeviceFilter } | { ok: false; error: GraphErrorSpec } {
  let tree: FilterExpr;
  try {
    tree = parseFilter(text);
  } catch (err) {
    if (err instanceof FilterSyntaxError) return { ok: false, error: GraphErrors.invalidFilter(err.message) };
    throw err;
  }
  const advanced = new Set<string>();
  type Test = (d: Device, scope: Map<string, unknown>) => boolean;
  let failure: GraphErrorSpec | undefined;
  const fail = (e: GraphErrorSpec): Test => {
    failure ??= e;
    return () => false;
  };

  /** `variables`: range variables of enclosing `any` → the collection's capability. */
  const compile = (e: FilterExpr, negated: boolean, variables: Map<string, Resolved>): Test => {
    switch (e.type) {
      case 'and':
      case 'or': {
        const l = compile(e.left, negated, variables);
        const r = compile(e.right, negated, variables);
        return e.type === 'and' ? (d, s) => l(d, s) && r(d, s) : (d, s) => l(d, s) || r(d, s);
      }
      case 'not': {
        advanced.add('not');
        const inner = compile(e.operand, true, variables);
        return (d, s) => !inner(d, s);
      }
      case 'any': {
        const target = resolveMember(e.member);
        if ('status' in target) return fail(target);
        if (target.capability.type !== 'collection') return fail(GraphErrors.unsupportedFilterProperty(target.name));
        const inner = new Map(variables);
        inner.set(e.variable.toLowerCase(), { ...target, capability: { type: 'string', ops: target.capability.ops } });
        const predicate = compile(e.predicate, negated, inner);
        const variable = e.variable.toLowerCase();
        return (d, s) => {
          const list = target.get(d);
          if (!Array.isArray(list)) return false;
          return list.some((item) => predicate(d, new Map(s).set(variable, item)));
        };
      }
      default: {
        const bound = variables.get(e.member.toLowerCase());
        const target: Resolved | GraphErrorSpec = bound ?? resolveMember(e.member);
        if ('status' in target) return fail(target);
        const { capability, name } = target;
        // A collection is filtered only through any(): `physicalIds eq 'x'` is refused.
        if (!bound && capability.type === 'collection') return fail(GraphErrors.unsupportedFilterProperty(name));
        const get = bound ? (_d: Device, s: Map<string, unknown>) => s.get(e.member.toLowerCase()) : (d: Device) => target.get(d);
        const needs = (op: string): boolean => capability.ops.has(op);
        if (negated && !needs('not')) return fail(GraphErrors.unsupportedFilterProperty(name));
        const values = e.type === 'in' ? e.values : [e.value];
        for (const v of values) {
          if (!typeFits(capability.type, v)) return fail(GraphErrors.incompatibleTypes(PROPERTY_EDM[capability.type], EDM[v.kind]));
        }
        if (e.type === 'function') {
          const op = e.name === 'startswith' ? 'startsWith' : 'endsWith';
          if (!needs(op) || e.value.kind !== 'string') return fail(GraphErrors.unsupportedFilterProperty(name));
          if (op === 'endsWith') advanced.add('endsWith');
          const needle = e.value.value.toLowerCase();
          return (d, s) => {
            const v = get(d, s);
            if (typeof v !== 'string') return false;
            return op === 'startsWith' ? v.toLowerCase().startsWith(needle) : v.toLowerCase().endsWith(needle);
          };
        }
        if (e.type === 'in') {
          if (!needs('in')) return fail(GraphErrors.unsupportedFilterProperty(name));
          const list = e.values;
          return (d, s) => list.some((v) => equals(get(d, s), v, capability.type));
        }
        const { op, value } = e;
        if (value.kind === 'null' && !needs('null')) return fail(GraphErrors.unsupportedFilterProperty(name));
        if (value.kind === 'null' && op !== 'eq' && op !== 'ne') return fail(GraphErrors.unsupportedFilterProperty(name));
        if (!needs(op)) return fail(GraphErrors.unsupportedFilterProperty(name));
        if (op === 'ne') advanced.add('ne');
        const type = capability.type === 'collection' ? 'string' : capability.type;
        switch (op) {
          case 'eq':
            return (d, s) => equals(get(d, s), value, type);
          case 'ne':
            return (d, s) => !equals(get(d, s), value, type);
          case 'ge':
            return (d, s) => (compare(get(d, s), value, type) ?? -1) >= 0;
          case 'le':
            return (d, s) => (compare(get(d, s), value, type) ?? 1) <= 0;
          default:
            return fail(GraphErrors.unsupportedFilterProperty(name)); // gt / lt: no device property takes them
        }
      }
    }
  };
  const test = compile(tree, false, new Map());
  if (failure) return { ok: false, error: failure };
  const empty = new Map<string, unknown>();
  return {
    ok: true,
    filter: { text, test: (d) => test(d, empty), advanced: ADVANCED_OPS.filter((op) => advanced.has(op)) },
  };
}

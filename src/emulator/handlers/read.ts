/**
 * `GET /devices/{id}`, `GET /devices(deviceId='…')` and `GET /devices` (list with `$filter`, `$count`,
 * `$orderby` and paging).
 * Source: learn.microsoft.com/en-us/graph/api/device-get, device-list, /graph/paging.
 */
import { ODATA_JSON, errorResult, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import { encodeSkipToken, parseDeviceQuery, projectDevice, sortDevices } from '../query.js';
import type { DeviceAddress } from '../routes.js';
import { checkBudget } from '../throttle.js';

const contextUrl = (call: GraphCall, select: string[] | undefined, entity: boolean): string =>
  `${call.baseUrl}/${call.version}/$metadata#devices${select ? `(${select.join(',')})` : ''}${entity ? '/$entity' : ''}`;

/** One device, whole or `$select`ed: `{"@odata.context": ".../$metadata#devices/$entity", …}`.
 * 404 `Request_ResourceNotFound` when unknown; 400 for a bad `$select`. */
export function getDevice(ctx: EmulatorContext, call: GraphCall, address: DeviceAddress): GraphResult {
  const parsed = parseDeviceQuery(call.params, false);
  if (!parsed.ok) return errorResult(parsed.error);
  const device = ctx.store.resolve(address);
  const budget = checkBudget(ctx, 'read', device?.id ?? `${address.keyType}:${address.key}`, call.caller);
  if (!budget.allowed) return budget.result;
  if (!device) return errorResult(GraphErrors.notFound(address.key), budget.headers);
  const select = parsed.query.select;
  return {
    status: 200,
    headers: { ...budget.headers, 'Content-Type': ODATA_JSON },
    json: { '@odata.context': contextUrl(call, select, true), ...projectDevice(device, select) },
  };
}

/** A page of devices: `{"@odata.context", "@odata.count"?, "value": [...], "@odata.nextLink"?}`; `$top`
 * 1..999 (default 100); `$filter`, `$orderby`, `$count` as {@link parseDeviceQuery} allows them (the
 * `ConsistencyLevel` header of each page's request counts); the next link is absolute and carries
 * every option plus `$skiptoken` (docs/graph-behaviour.md §5). */
export function listDevices(ctx: EmulatorContext, call: GraphCall): GraphResult {
  const parsed = parseDeviceQuery(call.params, true, { consistencyLevel: call.consistencyLevel });
  if (!parsed.ok) return errorResult(parsed.error);
  const budget = checkBudget(ctx, 'read', 'list:devices', call.caller);
  if (!budget.allowed) return budget.result;
  const { select, top, offset, filter, count, orderBy } = parsed.query;
  const all = sortDevices(filter ? ctx.store.all().filter(filter.test) : ctx.store.all(), orderBy);
  const page = all.slice(offset, offset + top).map((d) => projectDevice(d, select));
  const json: Record<string, unknown> = { '@odata.context': contextUrl(call, select, false) };
  if (count) json['@odata.count'] = all.length;
  json.value = page;
  if (offset + top < all.length) {
    const next = new URLSearchParams();
    if (select) next.set('$select', select.join(','));
    if (filter) next.set('$filter', filter.text);
    if (count) next.set('$count', 'true');
    if (orderBy) next.set('$orderby', orderBy.text);
    next.set('$top', String(top));
    next.set('$skiptoken', encodeSkipToken(offset + top));
    json['@odata.nextLink'] = `${call.baseUrl}/${call.version}/devices?${next.toString().replace(/%24/g, '$').replace(/%2C/gi, ',')}`;
  }
  return { status: 200, headers: { ...budget.headers, 'Content-Type': ODATA_JSON }, json };
}

/**
 * `GET /devices/{id}`, `GET /devices(deviceId='…')` and `GET /devices` (list with paging).
 * Source: learn.microsoft.com/en-us/graph/api/device-get, device-list, /graph/paging.
 */
import { ODATA_JSON, errorResult, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import { encodeSkipToken, parseDeviceQuery, projectDevice } from '../query.js';
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
  const budget = checkBudget(ctx, 'read', device?.id ?? `${address.keyType}:${address.key}`);
  if (!budget.allowed) return budget.result;
  if (!device) return errorResult(GraphErrors.notFound(address.key), budget.headers);
  const select = parsed.query.select;
  return {
    status: 200,
    headers: { ...budget.headers, 'Content-Type': ODATA_JSON },
    json: { '@odata.context': contextUrl(call, select, true), ...projectDevice(device, select) },
  };
}

/** A page of devices: `{"@odata.context", "value": [...], "@odata.nextLink"?}`; `$top` 1..999
 * (default 100); the next link is absolute and carries `$skiptoken`. */
export function listDevices(ctx: EmulatorContext, call: GraphCall): GraphResult {
  const parsed = parseDeviceQuery(call.params, true);
  if (!parsed.ok) return errorResult(parsed.error);
  const budget = checkBudget(ctx, 'read', 'list:devices');
  if (!budget.allowed) return budget.result;
  const { select, top, offset, filter } = parsed.query;
  const all = filter ? ctx.store.all().filter(filter.test) : ctx.store.all();
  const page = all.slice(offset, offset + top).map((d) => projectDevice(d, select));
  const json: Record<string, unknown> = { '@odata.context': contextUrl(call, select, false), value: page };
  if (offset + top < all.length) {
    const next = new URLSearchParams();
    if (select) next.set('$select', select.join(','));
    if (filter) next.set('$filter', filter.text);
    next.set('$top', String(top));
    next.set('$skiptoken', encodeSkipToken(offset + top));
    json['@odata.nextLink'] = `${call.baseUrl}/${call.version}/devices?${next.toString().replace(/%24/g, '$').replace(/%2C/gi, ',')}`;
  }
  return { status: 200, headers: { ...budget.headers, 'Content-Type': ODATA_JSON }, json };
}

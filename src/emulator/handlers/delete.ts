/**
 * `DELETE /devices/{id}` and `DELETE /devices(deviceId='…')` (docs/graph-behaviour.md §5;
 * learn.microsoft.com/en-us/graph/api/device-delete): 204 No Content, and the device is gone for good.
 *
 * Order, as for PATCH: the write budget is charged first (a DELETE is a write, §3); then the caller's
 * permission (`Device.ReadWrite.All` / `Directory.ReadWrite.All` application permission, or
 * `Directory.AccessAsUser.All` delegated) → 403; then the device (404); a device synced from
 * on-premises AD (`onPremisesSyncEnabled: true`) is mastered there → 400; then 204.
 */
import { errorResult, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import type { DeviceAddress } from '../routes.js';
import { checkBudget } from '../throttle.js';
import { DEVICE_WRITE_ROLES, DEVICE_WRITE_SCOPE } from './patch.js';

/** Handles one device DELETE; on success removes the device and answers 204 with no body. */
export function deleteDevice(ctx: EmulatorContext, call: GraphCall, address: DeviceAddress): GraphResult {
  const device = ctx.store.resolve(address);
  const budget = checkBudget(ctx, 'write', device?.id ?? `${address.keyType}:${address.key}`, call.caller);
  if (!budget.allowed) return budget.result;
  const headers = budget.headers;
  if (call.roles && !call.roles.some((r) => DEVICE_WRITE_ROLES.includes(r)))
    return errorResult(GraphErrors.insufficientPrivileges(), headers);
  if (call.scopes && !call.scopes.includes(DEVICE_WRITE_SCOPE)) return errorResult(GraphErrors.insufficientPrivileges(), headers);
  if (!device) return errorResult(GraphErrors.notFound(address.key), headers);
  if (device.onPremisesSyncEnabled === true) return errorResult(GraphErrors.onPremisesMastered(), headers);
  ctx.store.remove(device.id);
  ctx.recoveryKeys.delete(device.deviceId.toLowerCase()); // deleted with the device (docs/graph-behaviour.md §5)
  ctx.stats.writesApplied += 1;
  return { status: 204, headers, applied: true };
}

/**
 * `PATCH /devices/{id}` and `PATCH /devices(deviceId='…')` (docs/graph-behaviour.md §1 and §3).
 *
 * Order, as Graph does it: the write budget is charged first (the throttle sits in front of the
 * service, so a 400/404 PATCH also costs a write); then the body is deserialised and type-checked
 * (400); then the device is looked up (404); then permissions (403 / app-only 400); then 204.
 * A token from the emulated Entra must carry an application permission that allows device writes
 * (`Device.ReadWrite.All` or `Directory.ReadWrite.All`, learn.microsoft.com/graph/api/device-update
 * "Permissions"), else 403 `Authorization_RequestDenied` right after the budget; a delegated token
 * (`scp`) must carry `Directory.AccessAsUser.All`. A delegated token is never app-only (the
 * non-Windows rule does not apply); for other tokens the `appOnly` setting decides.
 */
import { errorResult, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import { applyPatch, authorizePatch, validatePatchBody } from '../patch-rules.js';
import type { DeviceAddress } from '../routes.js';
import { checkBudget } from '../throttle.js';

/** Application permissions that allow `PATCH /devices/{id}`. */
export const DEVICE_WRITE_ROLES: readonly string[] = ['Device.ReadWrite.All', 'Directory.ReadWrite.All'];
/** Delegated permission that allows `PATCH /devices/{id}` (docs/graph-behaviour.md §1). */
export const DEVICE_WRITE_SCOPE = 'Directory.AccessAsUser.All';

/** Handles one device PATCH; on success stores the new state and answers 204 with no body. */
export function patchDevice(ctx: EmulatorContext, call: GraphCall, address: DeviceAddress): GraphResult {
  const device = ctx.store.resolve(address);
  const budget = checkBudget(ctx, 'write', device?.id ?? `${address.keyType}:${address.key}`, call.caller);
  if (!budget.allowed) return budget.result;
  const headers = budget.headers;
  if (call.roles && !call.roles.some((r) => DEVICE_WRITE_ROLES.includes(r)))
    return errorResult(GraphErrors.insufficientPrivileges(), headers);
  if (call.scopes && !call.scopes.includes(DEVICE_WRITE_SCOPE)) return errorResult(GraphErrors.insufficientPrivileges(), headers);
  if (call.body.kind !== 'json') return errorResult(GraphErrors.unreadableJson(), headers);
  const valid = validatePatchBody(call.body.value);
  if (!valid.ok) return errorResult(valid.error, headers);
  if (!device) return errorResult(GraphErrors.notFound(address.key), headers);
  const appOnly = call.scopes ? false : ctx.settings.appOnly;
  const denied = authorizePatch(valid.value, device, { appOnly, mdmApp: ctx.settings.mdmApp });
  if (denied) return errorResult(denied, headers);
  const { device: next, droppedClears } = applyPatch(device, valid.value, ctx.settings.dropClear === true);
  ctx.store.replace(next);
  ctx.stats.writesApplied += 1;
  ctx.stats.faults.droppedClears += droppedClears.length;
  return { status: 204, headers, applied: true };
}

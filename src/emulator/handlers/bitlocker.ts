/**
 * `GET /informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '…'` (docs/graph-behaviour.md
 * §5; learn.microsoft.com/en-us/graph/api/bitlocker-list-recoverykeys): the keys escrowed for a device,
 * without the key itself (that needs a GET per key and `BitlockerKey.Read.All`). Needs the
 * application permission `BitlockerKey.ReadBasic.All` or `BitlockerKey.Read.All` (else 403); the only
 * filter is `deviceId eq '<guid>'` (else 400).
 */
import { ODATA_JSON, errorResult, type EmulatorContext, type GraphCall, type GraphResult } from '../context.js';
import { GraphErrors } from '../errors.js';
import { checkBudget } from '../throttle.js';

/** Permissions that allow listing recovery keys. */
export const RECOVERY_KEY_ROLES: readonly string[] = ['BitlockerKey.ReadBasic.All', 'BitlockerKey.Read.All'];

/** Lists a device's recovery keys: `{"value":[{"id","createdDateTime","deviceId","volumeType"}]}`. */
export function listRecoveryKeys(ctx: EmulatorContext, call: GraphCall): GraphResult {
  if (call.roles && !call.roles.some((r) => RECOVERY_KEY_ROLES.includes(r))) return errorResult(GraphErrors.insufficientPrivileges());
  const filter = call.params.get('$filter') ?? '';
  const m = /^\s*deviceId\s+eq\s+'([0-9a-fA-F-]{36})'\s*$/.exec(filter);
  if (!m) return errorResult(GraphErrors.unsupportedFilterProperty(filter === '' ? '(none)' : filter));
  const budget = checkBudget(ctx, 'read', `bitlocker:${m[1]}`, call.caller);
  if (!budget.allowed) return budget.result;
  const deviceId = m[1]!.toLowerCase();
  const count = ctx.recoveryKeys.get(deviceId) ?? 0;
  const value = Array.from({ length: count }, (_, i) => ({
    id: `${deviceId.slice(0, 24)}${String(i + 1).padStart(12, '0')}`,
    createdDateTime: new Date(ctx.clock() - (i + 1) * 86_400_000).toISOString(),
    deviceId,
    volumeType: i === 0 ? 'operatingSystemVolume' : 'fixedDataVolume',
  }));
  return {
    status: 200,
    headers: { ...budget.headers, 'Content-Type': ODATA_JSON },
    json: { '@odata.context': `${call.baseUrl}/${call.version}/$metadata#informationProtection/bitlocker/recoveryKeys`, value },
  };
}

import { describe, expect, it } from 'vitest';
import { parseThrottleScope } from '../../src/graph/throttle-scope.js';

describe('parseThrottleScope (docs/graph-behaviour.md §3)', () => {
  it('reads the four scopes Graph names, with limit and ids', () => {
    expect(
      parseThrottleScope('Tenant_Application/ReadWrite/9A3E0000-0000-4000-8000-000000000001/72f988bf-86f1-41af-91ab-2d7cd011db47'),
    ).toEqual({
      scope: 'Tenant_Application',
      limit: 'ReadWrite',
      appId: '9a3e0000-0000-4000-8000-000000000001',
      resourceId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    });
    expect(parseThrottleScope('Tenant_User/Write/app/user')).toMatchObject({ scope: 'Tenant_User', limit: 'Write' });
    expect(parseThrottleScope(' tenant/write/app/t ')).toMatchObject({ scope: 'Tenant', limit: 'Write', appId: 'app', resourceId: 't' });
    expect(parseThrottleScope('Application/Write/app/t')).toMatchObject({ scope: 'Application' });
    expect(parseThrottleScope('Tenant_Application')).toEqual({ scope: 'Tenant_Application' });
  });

  it('unknown scope words and missing values are undefined', () => {
    expect(parseThrottleScope(undefined)).toBeUndefined();
    expect(parseThrottleScope('')).toBeUndefined();
    expect(parseThrottleScope('Application_Tenant/WriteLimitExceeded/app/Tenant')).toBeUndefined();
  });
});

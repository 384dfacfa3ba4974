/** The stale-device lifecycle's decision per device (docs/graph-behaviour.md §5). */
import { describe, expect, it } from 'vitest';
import {
  checkStaleSettings,
  decideStale,
  stampDate,
  stampValue,
  staleQueryFilter,
  type StaleDevice,
  type StaleSettings,
} from '../../src/stale/decide.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 1, 12);
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const settings = (over: Partial<StaleSettings> = {}): StaleSettings => ({
  nowMs: NOW,
  staleDays: 90,
  stampAttribute: 'extensionAttribute15',
  jobName: 'stale',
  ...over,
});
const dev = (over: Partial<StaleDevice> = {}): StaleDevice => ({
  id: 'a1',
  deviceId: 'd1',
  displayName: 'WKS-1',
  accountEnabled: true,
  approximateLastSignInDateTime: ago(200),
  physicalIds: ['[HWID]:h:1'],
  onPremisesSyncEnabled: null,
  isManaged: false,
  extensionAttributes: {},
  ...over,
});

describe('decideStale', () => {
  it('stage 1: a stale, enabled, cloud-only, unmanaged device is disabled; one signed in recently is active', () => {
    expect(decideStale(dev(), settings())).toEqual({ action: 'disable', note: expect.stringContaining('last sign-in 200 days ago') });
    expect(decideStale(dev({ approximateLastSignInDateTime: ago(89) }), settings())).toMatchObject({ action: 'keep', reason: 'active' });
    expect(decideStale(dev({ approximateLastSignInDateTime: ago(90) }), settings())).toMatchObject({ action: 'disable' });
  });

  it.each([
    [{ physicalIds: ['[HWID]:h:1', '[ZTDID]:5ab5c1f1-0000-4000-8000-000000000001'] }, 'autopilot'],
    [{ onPremisesSyncEnabled: true }, 'on-premises-synced'],
    [{ isManaged: true }, 'intune-managed'],
    [{ approximateLastSignInDateTime: null }, 'no-sign-in-timestamp'],
    [{ accountEnabled: false }, 'disabled-elsewhere'],
    [{ displayName: 'wks-1' }, 'excluded'],
  ] as const)('never touched: %j → %s', (over, reason) => {
    const s = settings({ exclude: reason === 'excluded' ? new Set(['wks-1']) : undefined });
    expect(decideStale(dev(over), s)).toMatchObject({ action: 'keep', reason });
  });

  it('Intune-managed devices are disabled only when asked', () => {
    expect(decideStale(dev({ isManaged: true }), settings({ includeManaged: true }))).toMatchObject({ action: 'disable' });
  });

  it('stage 2: deletes only devices this job stamped at least M days ago and that are still disabled', () => {
    const stamped = (days: number, enabled = false, job = 'stale') =>
      dev({ accountEnabled: enabled, extensionAttributes: { extensionAttribute15: stampValue(job, NOW - days * DAY) } });
    const s = settings({ deleteAfterDays: 30 });
    expect(decideStale(stamped(30), s)).toMatchObject({ action: 'delete' });
    expect(decideStale(stamped(29), s)).toMatchObject({
      action: 'keep',
      reason: 'waiting-to-delete',
      note: expect.stringContaining('deleted from 2026-03-02'),
    });
    expect(decideStale(stamped(60), settings())).toMatchObject({
      action: 'keep',
      reason: 'waiting-to-delete',
      note: expect.stringContaining('not turned on'),
    });
    expect(decideStale(stamped(60, true), s)).toMatchObject({ action: 'keep', reason: 're-enabled' });
    // another job's stamp, or text that only looks like one, is not this job's: treated as not stamped
    expect(decideStale(stamped(60, false, 'other'), s)).toMatchObject({ action: 'keep', reason: 'disabled-elsewhere' });
    expect(
      decideStale(dev({ accountEnabled: false, extensionAttributes: { extensionAttribute15: 'stale disabled soon' } }), s),
    ).toMatchObject({
      reason: 'disabled-elsewhere',
    });
    // protections come first, even for a stamped device
    expect(decideStale({ ...stamped(60), physicalIds: ['[ZTDID]:x'] }, s)).toMatchObject({ reason: 'autopilot' });
    expect(decideStale({ ...stamped(60), bitLockerKeys: 2 }, { ...s, keepWithBitLockerKeys: true })).toMatchObject({
      reason: 'bitlocker-keys',
    });
    expect(decideStale({ ...stamped(60), bitLockerKeys: 2 }, s)).toMatchObject({ action: 'delete' });
  });

  it('stamps, settings and the query', () => {
    expect(stampValue('stale', Date.UTC(2026, 0, 5, 23))).toBe('stale disabled 2026-01-05');
    expect(stampDate('stale disabled 2026-01-05', 'stale')).toBe(Date.UTC(2026, 0, 5));
    expect(stampDate('stale disabled 2026-13-45', 'stale')).toBeUndefined();
    expect(() => checkStaleSettings({ staleDays: 20, stampAttribute: 'extensionAttribute15', jobName: 'j' })).toThrow(
      /at least 21.*14 days/,
    );
    expect(() => checkStaleSettings({ staleDays: 21, stampAttribute: 'extensionAttribute16', jobName: 'j' })).toThrow(
      'extensionAttribute1 … extensionAttribute15',
    );
    expect(() => checkStaleSettings({ staleDays: 21, deleteAfterDays: 0, stampAttribute: 'extensionAttribute1', jobName: 'j' })).toThrow(
      'deleteAfterDays',
    );
    expect(() => checkStaleSettings({ staleDays: 21, stampAttribute: 'extensionAttribute1', jobName: 'j' })).not.toThrow();
    expect(staleQueryFilter(settings())).toBe(
      "approximateLastSignInDateTime le 2025-12-01T12:00:00Z or approximateLastSignInDateTime eq null or startswith(extensionAttributes/extensionAttribute15,'stale disabled ')",
    );
  });
});

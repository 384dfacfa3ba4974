/** graph-bulk export: the query it sends, every page, advanced queries, refusals, resume, and the
 * export → edit → run round trip (docs/graph-behaviour.md §5). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { generateInventory, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runJob } from '../../src/job/run-job.js';
import { exportDevices, exportStatePath } from '../../src/query/export.js';
import {
  advancedQueryReasons,
  checkFilterText,
  checkNextLink,
  deviceListRequest,
  exportProperties,
  selectList,
} from '../../src/query/list-request.js';
import { Capture } from '../helpers/job.js';
import { readResults, tempDir } from '../helpers/results.js';

describe('the query (pure)', () => {
  it('advanced queries: ne, not, endsWith, $filter with $orderby — not words inside string literals', () => {
    expect(advancedQueryReasons("operatingSystem eq 'Windows'")).toEqual([]);
    expect(advancedQueryReasons("operatingSystem ne 'Windows' and not(startswith(displayName,'X'))")).toEqual(['ne', 'not']);
    expect(advancedQueryReasons("endsWith(displayName,'-K')")).toEqual(['endsWith']);
    expect(advancedQueryReasons("displayName eq 'not ne endswith(x)'")).toEqual([]);
    expect(advancedQueryReasons("displayName eq 'it''s not'")).toEqual([]);
    expect(advancedQueryReasons("displayName eq 'x'", 'displayName')).toEqual(['$filter with $orderby']);
    expect(advancedQueryReasons(undefined, 'displayName')).toEqual([]);
  });

  it('request: $filter, $select (extension attributes through extensionAttributes), $top 999, $count=true and the header only when advanced', () => {
    const props = exportProperties(['extensionAttribute3', 'approximateLastSignInDateTime', 'EXTENSIONATTRIBUTE5', 'id']);
    expect(props).toEqual([
      'id',
      'deviceId',
      'displayName',
      'operatingSystem',
      'extensionAttribute3',
      'approximateLastSignInDateTime',
      'extensionAttribute5',
    ]);
    expect(selectList(props)).toEqual([
      'id',
      'deviceId',
      'displayName',
      'operatingSystem',
      'extensionAttributes',
      'approximateLastSignInDateTime',
    ]);
    const basic = deviceListRequest({ filter: "operatingSystem eq 'Windows'", select: ['id', 'displayName'] });
    expect(basic).toEqual({
      path: "/devices?$filter=operatingSystem%20eq%20'Windows'&$select=id,displayName&$top=999",
      headers: {},
      advanced: [],
    });
    const adv = deviceListRequest({ filter: "operatingSystem ne 'Windows'", select: ['id'] });
    expect(adv.path).toBe("/devices?$filter=operatingSystem%20ne%20'Windows'&$select=id&$count=true&$top=999");
    expect(adv.headers).toEqual({ ConsistencyLevel: 'eventual' });
    expect(() => exportProperties(['colour'])).toThrow('unknown device property "colour"');
  });

  it('filter text and next links are checked before anything is sent', () => {
    expect(() => checkFilterText('  ')).toThrow('empty');
    expect(() => checkFilterText("displayName eq 'x")).toThrow('position 16 is not closed');
    expect(() => checkFilterText("(displayName eq 'x'")).toThrow('not closed');
    expect(() => checkFilterText("displayName eq 'x')")).toThrow('")" at position 19');
    expect(() => checkFilterText("startswith(displayName,'(')")).not.toThrow();
    expect(checkNextLink('https://graph.microsoft.com/v1.0/devices?$skiptoken=x', 'https://graph.microsoft.com/v1.0')).toMatch(/skiptoken/);
    expect(() => checkNextLink('https://evil.example/v1.0/devices?$skiptoken=x', 'https://graph.microsoft.com/v1.0')).toThrow(
      'not followed',
    );
  });
});

describe('export against the emulator', () => {
  let emu: Emulator;
  const devices = generateInventory(2300, 5);
  const windows = devices.filter((d) => d.operatingSystem === 'Windows');
  beforeAll(async () => {
    emu = await startEmulator({ devices, writeBudget: false });
  });
  afterAll(() => emu.stop());
  const base = () => ({ graphUrl: emu.url, progress: false as const });
  const ctx = (stderr = new Capture(), signal?: AbortSignal) => ({
    tokenSource: staticTokenSource(emu.token, 'test'),
    stderr,
    ...(signal ? { signal } : {}),
  });
  const listGets = () => emu.requests().filter((r) => r.method === 'GET' && r.path.startsWith('/v1.0/devices?'));

  it('a basic filter: every page ($top 999, next links followed), no ConsistencyLevel; CSV with id, read-only deviceId, displayName, operatingSystem', async () => {
    emu.resetLog();
    const output = join(tempDir(), 'windows.csv');
    const summary = await exportDevices({ ...base(), filter: "operatingSystem eq 'Windows'", output }, ctx());
    expect(summary).toMatchObject({ exitCode: 0, rows: windows.length, complete: true, advanced: [] });
    const rows = parse(readFileSync(output, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(['id', 'deviceId (read-only)', 'displayName', 'operatingSystem']);
    expect(rows.map((r) => r.id)).toEqual(windows.map((d) => d.id));
    expect(rows[0]!['deviceId (read-only)']).toBe(windows[0]!.deviceId);
    const gets = listGets();
    expect(gets).toHaveLength(Math.ceil(windows.length / 999));
    expect(gets[0]!.path).toContain('$top=999');
    expect(gets.every((g) => g.headers.consistencylevel === undefined)).toBe(true);
    expect(JSON.parse(readFileSync(exportStatePath(output), 'utf8'))).toMatchObject({ complete: true, rows: windows.length });
  });

  it('an advanced filter (ne): ConsistencyLevel: eventual and $count=true on every page; JSON Lines keep JSON types', async () => {
    emu.resetLog();
    const output = join(tempDir(), 'others.jsonl');
    const summary = await exportDevices(
      { ...base(), filter: "operatingSystem ne 'Windows'", select: 'accountEnabled,physicalIds,extensionAttribute1', output },
      ctx(),
    );
    const others = devices.filter((d) => d.operatingSystem !== 'Windows');
    expect(summary).toMatchObject({ exitCode: 0, rows: others.length, advanced: ['ne'] });
    const lines = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(others.map((d) => d.id));
    expect(typeof lines[0].accountEnabled).toBe('boolean');
    expect(Array.isArray(lines[0]['physicalIds (read-only)'])).toBe(true);
    const gets = listGets();
    expect(gets.length).toBeGreaterThan(0);
    for (const g of gets) {
      expect(g.headers.consistencylevel).toBe('eventual');
      expect(g.path).toContain('$count=true');
    }
  });

  it("a filter Graph refuses: exit 3 with Graph's code and message, nothing left behind", async () => {
    const output = join(tempDir(), 'bad.csv');
    await expect(exportDevices({ ...base(), filter: "displayName gt 'A'", output }, ctx())).rejects.toThrow(
      /Graph refused the query \(400 Request_UnsupportedQuery\): Unsupported or invalid query filter clause specified for property 'displayName'/,
    );
    expect(existsSync(output)).toBe(false);
    expect(existsSync(exportStatePath(output))).toBe(false);
    await expect(exportDevices({ ...base(), filter: "displayName eq 'x", output }, ctx())).rejects.toThrow('is not closed');
    expect(emu.requests().some((r) => r.path.includes("displayName eq 'x&"))).toBe(false);
  });

  it('interrupted after the first page, resumed: every device exactly once; an existing output is never overwritten', async () => {
    const output = join(tempDir(), 'all.csv');
    const controller = new AbortController();
    const stderr = new Capture();
    // Progress lines come after each page is on disk: stop at the first one.
    const write = stderr._write.bind(stderr);
    stderr._write = (chunk, enc, cb) => {
      if (String(chunk).startsWith('export: ')) controller.abort();
      write(chunk, enc, cb);
    };
    const first = await exportDevices({ graphUrl: emu.url, output, progress: true }, ctx(stderr, controller.signal));
    expect(first).toMatchObject({ exitCode: 4, rows: 999, complete: false });
    await expect(exportDevices({ graphUrl: emu.url, output, progress: false }, ctx())).rejects.toThrow('never overwrites');
    await expect(
      exportDevices({ graphUrl: emu.url, output, progress: false, resume: true, filter: 'accountEnabled eq true' }, ctx()),
    ).rejects.toThrow('another query');
    const again = await exportDevices({ graphUrl: emu.url, output, progress: false, resume: true }, ctx());
    expect(again).toMatchObject({ exitCode: 0, rows: devices.length, complete: true });
    const ids = (parse(readFileSync(output, 'utf8'), { columns: true }) as Array<{ id: string }>).map((r) => r.id);
    expect(ids).toEqual(devices.map((d) => d.id));
  });

  it('export → edit a column → run it as a manifest: only the edited devices change', async () => {
    const dir = tempDir();
    const output = join(dir, 'kiosks.csv');
    await exportDevices(
      {
        ...base(),
        filter: "startswith(displayName,'VDI-')",
        select: 'extensionAttribute3,approximateLastSignInDateTime,isManaged',
        output,
      },
      ctx(),
    );
    const text = readFileSync(output, 'utf8');
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual([
      'id',
      'deviceId (read-only)',
      'displayName',
      'operatingSystem',
      'extensionAttribute3',
      'approximateLastSignInDateTime (read-only)',
      'isManaged (read-only)',
    ]);
    const edited = rows.slice(0, 3).map((r) => r.id as string);
    const lines = text.trimEnd().split('\n');
    // Edit the extensionAttribute3 cell of the first three devices, as an admin would in Excel.
    for (let i = 1; i <= 3; i++) {
      const cells = parse(lines[i]!)[0] as string[];
      cells[4] = 'kiosk';
      lines[i] = cells.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
    }
    writeFileSync(output, `${lines.join('\n')}\n`);
    emu.resetLog();
    const summary = await runJob(
      { manifest: output, graphUrl: emu.url, results: join(dir, 'results.csv'), progress: false, writeBudget: false, readBudget: false },
      { tokenSource: staticTokenSource(emu.token, 'test'), stderr: new Capture() },
    );
    expect(summary.byOutcome.updated).toBe(3);
    expect(summary.byOutcome.unchanged).toBe(rows.length - 3);
    const results = readResults(join(dir, 'results.csv'));
    expect(results.filter((r) => r.outcome === 'updated').map((r) => r.key)).toEqual(edited);
    for (const id of edited) expect(emu.getDevice(id as string)!.extensionAttributes.extensionAttribute3).toBe('kiosk');
    const patches = emu.requests().filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => p.body)).toEqual(edited.map(() => ({ extensionAttributes: { extensionAttribute3: 'kiosk' } })));
  });
});

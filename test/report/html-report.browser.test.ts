/**
 * The HTML report of a real run, opened in a real headless Chromium (Debian's, driven by
 * playwright-core): the page renders, its charts are there, nothing is logged to the console, no
 * request leaves the page, and a screenshot is kept in test-artifacts/ for a person to look at.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { reportPathFor } from '../../src/report/html-report.js';
import { CASE_ID, caseInventory, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { repoRoot } from '../helpers/paths.js';
import { tempFile } from '../helpers/results.js';

const CHROMIUM = '/usr/bin/chromium';
afterAll(stopEmulators);

/** 60 rows: most updated, one device that does not exist (404), one invalid key, one invalid boolean. */
function manifest(): string {
  const ids = caseInventory().map((d) => d.id as string);
  const lines = ['id,extensionAttribute2,accountEnabled'];
  for (let i = 0; i < 57; i++) lines.push(`${ids[i % ids.length]},Wave-${i},`);
  lines.push('0badc0de-0000-4000-8000-000000000000,Wave-x,');
  lines.push('not-a-guid,Wave-y,');
  lines.push(`${CASE_ID.pc0},Wave-z,maybe`);
  return tempFile('report.csv', `${lines.join('\n')}\n`);
}

describe.skipIf(!existsSync(CHROMIUM))('the HTML report in Chromium', () => {
  it('a throttled run with failures: renders, charts present, no console errors, no network requests', async () => {
    // The emulator's budget is far below the rows, and the client does not pace: Graph answers 429s.
    const r = await runAgainstEmulator(
      { manifest: manifest(), mode: 'single', allowDuplicates: true, writeBudget: false, concurrency: 4, retryBaseDelayMs: 50 },
      { writeBudget: { burst: 10, refillPerSecond: 40 }, latencyMs: { min: 5, max: 40 } },
    );
    expect(r.summary.byOutcome.failed).toBe(1);
    expect(r.summary.throttled429).toBeGreaterThan(0);
    const report = reportPathFor(r.resultsPath);
    expect(statSync(report).mode & 0o777).toBe(0o600);
    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

    const profile = mkdtempSync(join(tmpdir(), 'gb-chromium-'));
    // A fresh profile folder (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
      });
      page.on('pageerror', (err) => consoleErrors.push(String(err)));
      page.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(report).href;
      await page.goto(url, { waitUntil: 'load' });

      expect(await page.title()).toContain('graph-bulk run');
      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBe(4); // outcomes, writes/429s, latency, retries
      for (let i = 0; i < 4; i++) expect((await charts.nth(i).boundingBox())!.width).toBeGreaterThan(500);
      // each chart drew its data: bars for the outcomes and writes, lines for 429s and latency
      expect(await page.locator('svg.chart rect.count-bar').count()).toBeGreaterThanOrEqual(3);
      expect(await page.locator('svg.chart g.bars[data-series="writes/s"] rect').count()).toBeGreaterThan(0);
      expect(await page.locator('svg.chart polyline[data-series="429s"]').count()).toBe(1);
      expect(await page.locator('svg.chart polyline[data-series="median"]').count()).toBe(1);
      const text = await page.locator('main').innerText();
      expect(text).toContain('Request_ResourceNotFound');
      expect(text).toContain('accountEnabled "…"');
      expect(text).toContain('not a GUID');
      expect(text).toContain('Slowest rows');

      expect(consoleErrors).toEqual([]);
      expect(requests).toEqual([url]); // the page itself, nothing else

      const artifacts = join(repoRoot, 'test-artifacts');
      mkdirSync(artifacts, { recursive: true });
      const shot = join(artifacts, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      console.log(`report screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

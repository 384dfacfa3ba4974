/**
 * Clock-safe waits: a Graph-like server whose clock is an hour behind or ahead of this machine's
 * answers the first PATCH 429 with `Retry-After` as an HTTP date 3 s after its own `Date`. The
 * retry must come about 3 s later: not at once (a date an hour in the past by the local clock), not
 * an hour later (a date an hour ahead). docs/graph-behaviour.md §3, §6.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource } from '../../src/auth/token-source.js';
import { runJob } from '../../src/job/run-job.js';
import { Capture } from '../helpers/job.js';
import { readResults, tempDir, tempFile } from '../helpers/results.js';

const DEVICE = '6a2f1e0c-3b7d-4c8e-9f10-2a3b4c5d6e7f';
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** HTTP-date of epoch ms, whole seconds (as servers send it). */
const httpDate = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toUTCString();

/** A server with its clock `skewMs` off: 429 with an HTTP-date Retry-After 3 s ahead of its own Date, then 204. */
async function skewedServer(skewMs: number): Promise<{ url: string; patches: number[] }> {
  const patches: number[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'PATCH') {
        res.writeHead(404).end();
        return;
      }
      patches.push(Date.now());
      const serverNow = Date.now() + skewMs;
      const headers = { Date: httpDate(serverNow), 'Content-Type': 'application/json' };
      if (patches.length === 1) {
        res.writeHead(429, { ...headers, 'Retry-After': httpDate(serverNow + 3000) });
        res.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'Too many requests' } }));
        return;
      }
      res.writeHead(204, headers).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, patches };
}

describe("Retry-After as an HTTP date is measured against the response's Date header", () => {
  it.each([
    ['an hour behind', -3_600_000],
    ['an hour ahead', 3_600_000],
  ])(
    'server clock %s: the retry comes after the 3 s asked, not early and not an hour late',
    async (_what, skewMs) => {
      const { url, patches } = await skewedServer(skewMs);
      const manifest = tempFile('manifest.csv', `id,extensionAttribute1\n${DEVICE},x\n`);
      const results = join(tempDir(), 'results.csv');
      const summary = await runJob(
        { manifest, results, graphUrl: url, mode: 'single', readFirst: false, progress: false, writeBudget: false, maxRetries: 2 },
        { tokenSource: staticTokenSource('opaque-test-token'), stderr: new Capture() },
      );
      expect(summary.exitCode).toBe(0);
      expect(readResults(results).map((r) => r.outcome)).toEqual(['updated']);
      expect(patches).toHaveLength(2);
      const waitedMs = patches[1]! - patches[0]!;
      // The server's Date is whole seconds: its 3 s may be up to 1 s less by the real clock.
      expect(waitedMs).toBeGreaterThanOrEqual(1900);
      expect(waitedMs).toBeLessThan(6000);
    },
    20_000,
  );
});

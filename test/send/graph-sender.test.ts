import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource, TokenManager } from '../../src/auth/token-source.js';
import { GraphSender } from '../../src/send/graph-sender.js';
import { sendHttp } from '../../src/send/http.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A loopback server answering with `handler`; records every request it saw. */
async function serve(handler: (req: Seen, res: ServerResponse) => void): Promise<{ root: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const r = { method: req.method!, url: req.url!, headers: req.headers, body: text ? JSON.parse(text) : undefined };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const sender = (root: string) =>
  new GraphSender({
    graphRoot: root,
    apiVersion: 'v1.0',
    tokens: new TokenManager(staticTokenSource('tok-1')),
    timeoutMs: 2000,
    throttlePriority: 'Low',
    now: () => 0,
  });
const DEVICE = '/devices/00000000-0000-4000-8000-000000000001';

describe('GraphSender', () => {
  it('single: PATCH at the version root with the bearer token and throttle priority; 204 → status and request-id', async () => {
    const s = await serve((_r, res) => {
      res.writeHead(204, { 'request-id': 'req-1' });
      res.end();
    });
    const { outcome, info } = await sender(s.root).single({ id: '1', path: DEVICE, body: { displayName: 'PC1' } });
    expect(outcome).toEqual({ status: 204, requestId: 'req-1' });
    expect(info).toMatchObject({ token: 'tok-1', outerStatus: 204 });
    expect(s.seen[0]).toMatchObject({ method: 'PATCH', url: `/v1.0${DEVICE}`, body: { displayName: 'PC1' } });
    expect(s.seen[0]!.headers).toMatchObject({ authorization: 'Bearer tok-1', 'x-ms-throttle-priority': 'Low' });
  });

  it("single: a 429's Graph error code and Retry-After (seconds → ms), the throttle-limit percentage", async () => {
    const s = await serve((_r, res) =>
      json(
        res,
        429,
        { error: { code: 'TooManyRequests', message: 'slow down' } },
        { 'retry-after': '2.128', 'x-ms-throttle-limit-percentage': '1.2' },
      ),
    );
    const { outcome, info } = await sender(s.root).single({ id: '1', path: DEVICE, body: {} });
    expect(outcome).toMatchObject({ status: 429, errorCode: 'TooManyRequests', retryAfterMs: 2128 });
    expect(info.throttleLimitPercentage).toBe(1.2);
  });

  it('batch: inner answers matched by id in any order; a request missing from the answer is a retryable 502', async () => {
    const s = await serve((_r, res) =>
      json(res, 200, {
        responses: [
          { id: '3', status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'TooManyRequests', message: 'x' } } },
          { id: '1', status: 204, headers: { 'x-ms-throttle-limit-percentage': '0.9' } },
        ],
      }),
    );
    const items = [1, 2, 3].map((n) => ({ id: String(n), path: DEVICE, body: { displayName: `D${n}` } }));
    const { outcomes, info } = await sender(s.root).batch(items);
    expect(s.seen[0]).toMatchObject({ method: 'POST', url: '/v1.0/$batch' });
    expect((s.seen[0]!.body as { requests: unknown[] }).requests).toHaveLength(3);
    expect(outcomes.get('1')).toMatchObject({ status: 204 });
    expect(outcomes.get('2')).toMatchObject({ status: 502, errorCode: 'MissingBatchResponse' });
    expect(outcomes.get('3')).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(info.throttleLimitPercentage).toBe(0.9);
    expect(info.batchRetryAfterMs).toBe(7000); // the longest inner Retry-After: every throttled request waits for it
  });

  it('batch: a failed outer request applies to every item; a network failure has no status', async () => {
    const s = await serve((_r, res) => json(res, 503, { error: { code: 'ServiceUnavailable', message: 'down' } }, { 'retry-after': '1' }));
    const { outcomes } = await sender(s.root).batchGet([
      { id: '1', path: `${DEVICE}?$select=id` },
      { id: '2', path: `${DEVICE}?$select=id` },
    ]);
    expect([...outcomes.values()].map((o) => [o.status, o.retryAfterMs])).toEqual([
      [503, 1000],
      [503, 1000],
    ]);
    s.server.close();
    await new Promise((r) => setTimeout(r, 10));
    const refused = await sendHttp({ method: 'GET', url: `${s.root}/v1.0/devices`, headers: {}, timeoutMs: 1000 });
    expect(refused).toMatchObject({ ok: false, networkError: 'refused' });
  });
});

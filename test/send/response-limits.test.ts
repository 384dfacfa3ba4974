/**
 * Failures in the send path that must not become silence (issue 14): a response body past the size
 * limit fails that request (not read whole, not retried); a request Node's HTTP client refuses to
 * build (a token with a line break) fails with RequestNotSent, its message redacted, and no request
 * reaches the server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { staticTokenSource, TokenManager } from '../../src/auth/token-source.js';
import { decideRetry, defaultRetryStrategies } from '../../src/graph/retry.js';
import { GraphSender } from '../../src/send/graph-sender.js';
import { sendHttp } from '../../src/send/http.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local server whose every answer is `bytes` of JSON-ish text (chunked, no Content-Length). */
async function hugeServer(bytes: number, requests: string[]): Promise<string> {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => {});
    pump();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('response size limit', () => {
  it('a body past the limit fails the request as too large, after reading no more than the limit', async () => {
    const url = await hugeServer(64 * 1024 * 1024, []);
    const res = await sendHttp({ method: 'GET', url, headers: {}, timeoutMs: 10_000, maxResponseBytes: 1024 * 1024 });
    expect(res).toMatchObject({ ok: false, tooLarge: true, message: expect.stringContaining('larger than 1048576 bytes') });
  });

  it('through the sender: a $batch answered with 64 MB fails each row ResponseTooLarge, which is not retried', async () => {
    const requests: string[] = [];
    const url = await hugeServer(64 * 1024 * 1024, requests);
    const sender = new GraphSender({
      graphRoot: url,
      apiVersion: 'v1.0',
      tokens: new TokenManager(staticTokenSource('t')),
      timeoutMs: 10_000,
      throttlePriority: 'Normal',
      maxResponseBytes: 1024 * 1024,
    });
    const { outcomes } = await sender.batch([
      { id: '1', path: '/devices/a', body: { extensionAttributes: { extensionAttribute1: 'x' } } },
      { id: '2', path: '/devices/b', body: { extensionAttributes: { extensionAttribute1: 'y' } } },
    ]);
    expect([...outcomes.values()].map((o) => o.errorCode)).toEqual(['ResponseTooLarge', 'ResponseTooLarge']);
    expect(decideRetry(outcomes.get('1')!, 1, 8, defaultRetryStrategies())).toMatchObject({ final: true });
    expect(requests).toEqual(['POST /v1.0/$batch']);
  });
});

describe('a request that cannot be sent', () => {
  it('a token with CR/LF: RequestNotSent, redacted, not retried, nothing reaches the server', async () => {
    const requests: string[] = [];
    const url = await hugeServer(10, requests);
    const secret = 'eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ0In0.c2VjcmV0LXBhcnQ';
    const sender = new GraphSender({
      graphRoot: url,
      apiVersion: 'v1.0',
      tokens: new TokenManager(staticTokenSource(`${secret}\r\nX-Injected: 1`)),
      timeoutMs: 10_000,
      throttlePriority: 'Normal',
    });
    const { outcome } = await sender.single({ id: '1', path: '/devices/a', body: { displayName: 'x' } });
    expect(outcome).toMatchObject({ errorCode: 'RequestNotSent', errorMessage: expect.stringContaining('request not sent') });
    expect(outcome.errorMessage).not.toContain('c2VjcmV0LXBhcnQ');
    expect(decideRetry(outcome, 1, 8, defaultRetryStrategies())).toMatchObject({ final: true });
    expect(requests).toEqual([]);
  });
});

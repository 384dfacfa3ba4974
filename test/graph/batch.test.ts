import { describe, expect, it } from 'vitest';
import {
  BatchBuildError,
  BatchResponseError,
  MAX_BATCH_REQUESTS,
  buildBatchBody,
  decodeInnerBody,
  longestRetryAfterMs,
  parseBatchResponse,
  type BatchItem,
  type InnerResponse,
} from '../../src/graph/batch.js';
import { devicePath } from '../../src/graph/urls.js';

const G1 = '6a59ea83-02bd-468f-a40b-f2c3d1821983';
const G2 = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const NOW = Date.UTC(2024, 8, 19, 11, 52, 23);

const patch = (id: string, url = `/devices/${G1}`, body: unknown = { displayName: 'x' }): BatchItem => ({
  id,
  method: 'PATCH',
  url,
  body,
});

describe('buildBatchBody (graph-facts §2)', () => {
  it('MAX_BATCH_REQUESTS is 20', () => {
    expect(MAX_BATCH_REQUESTS).toBe(20);
  });

  it('builds requests in order, adding Content-Type when there is a body', () => {
    const body = buildBatchBody([
      patch('1', devicePath(G1, 'id'), { extensionAttributes: { extensionAttribute1: null } }),
      { id: '2', method: 'GET', url: `${devicePath(G2, 'deviceId')}?$select=extensionAttributes` },
      { id: '3', method: 'PATCH', url: `/devices/${G2}`, body: { accountEnabled: false }, headers: { 'x-ms-throttle-priority': 'Low' } },
    ]);
    expect(body).toEqual({
      requests: [
        {
          id: '1',
          method: 'PATCH',
          url: `/devices/${G1}`,
          headers: { 'Content-Type': 'application/json' },
          body: { extensionAttributes: { extensionAttribute1: null } },
        },
        { id: '2', method: 'GET', url: `/devices(deviceId='${G2}')?$select=extensionAttributes` },
        {
          id: '3',
          method: 'PATCH',
          url: `/devices/${G2}`,
          headers: { 'Content-Type': 'application/json', 'x-ms-throttle-priority': 'Low' },
          body: { accountEnabled: false },
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
    expect('headers' in body.requests[1]!).toBe(false);
    expect('body' in body.requests[1]!).toBe(false);
  });

  it('keeps a caller JSON Content-Type, any case', () => {
    const b = buildBatchBody([{ ...patch('1'), headers: { 'content-type': 'application/json; charset=utf-8' } }]);
    expect(b.requests[0]!.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
  });

  it('copies headers (no aliasing)', () => {
    const headers = { 'x-a': '1' };
    const b = buildBatchBody([{ id: '1', method: 'GET', url: '/devices', headers }]);
    expect(b.requests[0]!.headers).toEqual(headers);
    expect(b.requests[0]!.headers).not.toBe(headers);
  });

  it('accepts exactly 20', () => {
    const items = Array.from({ length: 20 }, (_, i) => patch(String(i + 1)));
    expect(buildBatchBody(items).requests).toHaveLength(20);
  });

  it.each<[string, BatchItem[], RegExp]>([
    ['no items', [], /at least one/],
    ['21 items', Array.from({ length: 21 }, (_, i) => patch(String(i))), /at most 20/],
    ['duplicate ids', [patch('1'), patch('1')], /duplicates/],
    ['ids differing only in case', [patch('row-a'), patch('ROW-A')], /case-insensitively/],
    ['empty id', [patch('')], /non-empty/],
    ['absolute url', [patch('1', `https://graph.microsoft.com/v1.0/devices/${G1}`)], /absolute/],
    ['http url without slash', [patch('1', 'http://x/devices')], /absolute/],
    ['/v1.0/ prefix', [patch('1', `/v1.0/devices/${G1}`)], /API version/],
    ['/beta/ prefix', [patch('1', `/beta/devices/${G1}`)], /API version/],
    ['/V1.0/ prefix', [patch('1', `/V1.0/devices/${G1}`)], /API version/],
    ['relative without slash', [patch('1', `devices/${G1}`)], /start with '\/'/],
    ['protocol-relative', [patch('1', `//evil.example/devices`)], /'\/\/'/],
    ['empty url', [patch('1', '')], /empty/],
    ['dot-dot segment', [patch('1', '/devices/../users/x')], /'\.\.'/],
    ['encoded dot-dot', [patch('1', '/devices/%2e%2e/users')], /'\.\.'/],
    ['whitespace in url', [patch('1', `/devices/ ${G1}`)], /whitespace/],
    ['newline in url', [patch('1', `/devices/${G1}\r\nX: y`)], /whitespace/],
    ['bad method', [{ id: '1', method: 'PUT' as 'GET', url: '/devices' }], /method/],
    ['DELETE with body', [{ id: '1', method: 'DELETE', url: '/devices/x', body: {} }], /DELETE must not/],
    ['GET with body', [{ id: '1', method: 'GET', url: '/devices', body: {} }], /GET must not/],
    ['non-JSON content type', [{ ...patch('1'), headers: { 'Content-Type': 'text/plain' } }], /not application\/json/],
  ])('throws on %s', (_name, items, msg) => {
    expect(() => buildBatchBody(items)).toThrow(BatchBuildError);
    expect(() => buildBatchBody(items)).toThrow(msg);
  });

  it('a versioned-looking but different first segment is fine', () => {
    expect(() => buildBatchBody([patch('1', '/v1.0x/devices')])).not.toThrow();
  });
});

describe('parseBatchResponse', () => {
  const sent = ['1', '2', 'Row-3'];

  it('matches out-of-order and case-differing ids, keyed as sent', () => {
    const res = parseBatchResponse(
      {
        responses: [
          { id: 'row-3', status: 429, headers: { 'Retry-After': '2.128' }, body: { error: { code: 'TooManyRequests' } } },
          { id: '1', status: 204, body: null },
          { id: '2', status: 404, headers: { 'Content-Type': 'application/json' }, body: { error: { code: 'Request_ResourceNotFound' } } },
        ],
      },
      sent,
    );
    expect([...res.byId.keys()].sort()).toEqual(['1', '2', 'Row-3']);
    expect(res.byId.get('Row-3')).toEqual({
      id: 'row-3',
      status: 429,
      headers: { 'retry-after': '2.128' },
      body: { error: { code: 'TooManyRequests' } },
    });
    expect(res.byId.get('1')).toEqual({ id: '1', status: 204, headers: {}, body: null });
    expect(res.byId.get('2')!.headers).toEqual({ 'content-type': 'application/json' });
    expect(res.missing).toEqual([]);
    expect(res.unexpected).toEqual([]);
  });

  it('reports missing responses in sent order, and unexpected ids', () => {
    const res = parseBatchResponse(
      {
        responses: [
          { id: '2', status: 204 },
          { id: '99', status: 204 },
        ],
      },
      sent,
    );
    expect(res.missing).toEqual(['1', 'Row-3']);
    expect(res.unexpected).toEqual(['99']);
    expect(res.byId.size).toBe(1);
  });

  it('an empty responses array → everything missing', () => {
    expect(parseBatchResponse({ responses: [] }, sent).missing).toEqual(sent);
  });

  it('duplicate answers: first kept, repeat listed as unexpected', () => {
    const res = parseBatchResponse(
      {
        responses: [
          { id: '1', status: 429 },
          { id: '1', status: 204 },
          { id: '2', status: 204 },
          { id: 'ROW-3', status: 204 },
        ],
      },
      sent,
    );
    expect(res.byId.get('1')!.status).toBe(429);
    expect(res.unexpected).toEqual(['1']);
    expect(res.missing).toEqual([]);
  });

  it('accepts JSON text, numeric ids and numeric-string statuses', () => {
    const res = parseBatchResponse('{"responses":[{"id":1,"status":"204"}]}', ['1']);
    expect(res.byId.get('1')).toEqual({ id: '1', status: 204, headers: {}, body: undefined });
  });

  it('stringifies non-string header values and joins arrays', () => {
    const res = parseBatchResponse({ responses: [{ id: '1', status: 429, headers: { 'Retry-After': 3, 'X-A': ['a', 'b'] } }] }, ['1']);
    expect(res.byId.get('1')!.headers).toEqual({ 'retry-after': '3', 'x-a': 'a, b' });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['array', []],
    ['no responses', { value: [] }],
    ['responses not an array', { responses: {} }],
    ['invalid JSON text', '<html>503</html>'],
    ['entry not an object', { responses: [1] }],
    ['entry without id', { responses: [{ status: 204 }] }],
    ['entry with empty id', { responses: [{ id: '', status: 204 }] }],
    ['entry without status', { responses: [{ id: '1' }] }],
    ['entry with bad status', { responses: [{ id: '1', status: 99 }] }],
    ['entry with fractional status', { responses: [{ id: '1', status: 204.5 }] }],
  ])('throws BatchResponseError on %s', (_n, json) => {
    expect(() => parseBatchResponse(json, ['1'])).toThrow(BatchResponseError);
  });

  it('throws on case-insensitively duplicated sent ids', () => {
    expect(() => parseBatchResponse({ responses: [] }, ['a', 'A'])).toThrow(BatchResponseError);
  });

  it('decodes a base64 body that is not JSON (docs/graph-behaviour.md §2) and leaves JSON bodies alone', () => {
    const html = '<html><body><h1>Service Unavailable</h1></body></html>';
    const { byId } = parseBatchResponse(
      {
        responses: [
          { id: '1', status: 503, headers: { 'Content-Type': 'text/html' }, body: Buffer.from(html).toString('base64') },
          { id: '2', status: 404, headers: { 'Content-Type': 'application/json' }, body: { error: { code: 'Request_ResourceNotFound' } } },
          { id: '3', status: 200, headers: { 'content-type': 'application/json;odata.metadata=minimal' }, body: 'aGVsbG8=' },
        ],
      },
      ['1', '2', '3'],
    );
    expect(byId.get('1')?.body).toBe(html);
    expect(byId.get('2')?.body).toEqual({ error: { code: 'Request_ResourceNotFound' } });
    expect(byId.get('3')?.body).toBe('aGVsbG8=');
  });

  it('decodeInnerBody: URL-safe base64 too; text that is not base64, or without a Content-Type, as is', () => {
    expect(decodeInnerBody(Buffer.from('a?b>c').toString('base64url'), 'text/plain')).toBe('a?b>c');
    expect(decodeInnerBody('<html>not base64</html>', 'text/html')).toBe('<html>not base64</html>');
    expect(decodeInnerBody('aGVsbG8=', undefined)).toBe('aGVsbG8=');
  });
});

describe('longestRetryAfterMs', () => {
  const r = (status: number, headers: Record<string, string> = {}): InnerResponse => ({
    id: String(status),
    status,
    headers,
    body: undefined,
  });

  it('max over inner 429/503/504 Retry-After', () => {
    expect(
      longestRetryAfterMs(
        [r(429, { 'retry-after': '2.128' }), r(429, { 'retry-after': '0.249' }), r(503, { 'retry-after': '3' }), r(204)],
        NOW,
      ),
    ).toBe(3000);
  });

  it('reads HTTP dates and ignores non-throttling statuses', () => {
    expect(longestRetryAfterMs([r(429, { 'retry-after': 'Thu, 19 Sep 2024 11:52:33 GMT' }), r(400, { 'retry-after': '60' })], NOW)).toBe(
      10_000,
    );
  });

  it('works on a parsed batch (headers lower-cased) and on a Map', () => {
    const { byId } = parseBatchResponse(
      {
        responses: [
          { id: 'a', status: 429, headers: { 'RETRY-AFTER': '7' } },
          { id: 'b', status: 204 },
        ],
      },
      ['a', 'b'],
    );
    expect(longestRetryAfterMs(byId.values(), NOW)).toBe(7000);
  });

  it.each<[string, InnerResponse[]]>([
    ['empty', []],
    ['429 without Retry-After', [r(429)]],
    ['garbage Retry-After', [r(429, { 'retry-after': 'soon' }), r(503, { 'retry-after': '-1' })]],
    ['success only', [r(204, { 'retry-after': '5' })]],
  ])('undefined for %s', (_n, rs) => {
    expect(longestRetryAfterMs(rs, NOW)).toBeUndefined();
  });

  it('tolerates mixed-case names in hand-built responses', () => {
    expect(longestRetryAfterMs([r(429, { 'Retry-After': '1' })], NOW)).toBe(1000);
  });
});

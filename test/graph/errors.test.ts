import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_CHARS,
  MAX_SUMMARY_CHARS,
  parseGraphError,
  redactSecrets,
  rememberEnvironmentSecrets,
  rememberSecret,
  statusErrorCode,
  summarizeText,
  truncate,
} from '../../src/graph/errors.js';

const RID = '7f3c2e1a-0000-4000-8000-000000000001';
const CRID = '7f3c2e1a-0000-4000-8000-000000000002';
const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLWJ5dGVz_-AbC';

const notFound = {
  error: {
    code: 'Request_ResourceNotFound',
    message:
      "Resource '6a59ea83-02bd-468f-a40b-f2c3d1821983' does not exist or one of its queried reference-property objects are not present.",
    innerError: { date: '2024-09-19T11:52:23', 'request-id': RID, 'client-request-id': CRID },
  },
};

const html503 = `<!DOCTYPE html>
<html><head><title>503 Service Unavailable</title><style>body{color:red}</style>
<script>var secret = 1;</script></head>
<body><h1>Service   Unavailable</h1>
<p>The service is temporarily unavailable &amp; will be back&nbsp;soon.</p>
<!-- server: frontend-17 --></body></html>`;

describe('parseGraphError: JSON bodies', () => {
  it('parsed object (graph-facts §1 shape)', () => {
    expect(parseGraphError(404, notFound)).toEqual({
      status: 404,
      code: 'Request_ResourceNotFound',
      message: notFound.error.message,
      requestId: RID,
      clientRequestId: CRID,
    });
  });

  it('the same as text', () => {
    expect(parseGraphError(404, JSON.stringify(notFound))).toEqual(parseGraphError(404, notFound));
  });

  it('the same as bytes', () => {
    expect(parseGraphError(404, new TextEncoder().encode(JSON.stringify(notFound)))).toEqual(parseGraphError(404, notFound));
  });

  it('lower-case innererror (older Graph shape)', () => {
    const e = parseGraphError(403, {
      error: {
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
        innererror: { 'request-id': RID },
      },
    });
    expect(e).toEqual({
      status: 403,
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
      requestId: RID,
    });
  });

  it('429 body', () => {
    const e = parseGraphError(429, {
      error: {
        code: 'TooManyRequests',
        message: 'Too many requests from Identifier:abc+def under category:throttle.aad.ags.write.',
        innerError: {},
      },
    });
    expect(e.code).toBe('TooManyRequests');
    expect(e.message).toMatch(/^Too many requests/);
    expect(e.requestId).toBeUndefined();
  });

  it('request ids fall back to the headers (any case, Headers or object)', () => {
    const body = { error: { code: 'Request_BadRequest', message: 'bad' } };
    expect(parseGraphError(400, body, { 'Request-Id': RID, 'client-request-id': CRID })).toMatchObject({
      requestId: RID,
      clientRequestId: CRID,
    });
    expect(parseGraphError(400, body, new Headers({ 'request-id': RID }))).toMatchObject({ requestId: RID });
  });

  it('innerError ids win over headers', () => {
    expect(parseGraphError(404, notFound, { 'request-id': 'other' }).requestId).toBe(RID);
  });

  it('missing code → from status; missing message → status summary', () => {
    expect(parseGraphError(503, { error: { message: 'down' } })).toEqual({
      status: 503,
      code: 'ServiceUnavailable',
      message: 'down',
    });
    const e = parseGraphError(400, { error: { code: 'Request_BadRequest' } });
    expect(e.code).toBe('Request_BadRequest');
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
  });

  it('JSON without an error member', () => {
    expect(parseGraphError(500, {})).toEqual({
      status: 500,
      code: 'InternalServerError',
      message: 'Internal Server Error (HTTP 500, no error details)',
    });
    expect(parseGraphError(502, '{"foo":1}')).toEqual({ status: 502, code: 'BadGateway', message: '{"foo":1}' });
  });

  it('OAuth-style error', () => {
    expect(parseGraphError(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' })).toEqual({
      status: 401,
      code: 'invalid_client',
      message: 'AADSTS7000215: Invalid client secret provided.',
    });
  });

  it('long JSON messages are cut to MAX_MESSAGE_CHARS, whitespace collapsed', () => {
    const e = parseGraphError(400, { error: { code: 'X', message: `a\n\n b\t${'y'.repeat(2000)}` } });
    expect(e.message.startsWith('a b y')).toBe(true);
    expect(e.message.length).toBe(MAX_MESSAGE_CHARS);
    expect(e.message.endsWith('…')).toBe(true);
  });

  it('malformed JSON text is summarised as text', () => {
    expect(parseGraphError(500, '{"error": {"code": ')).toEqual({
      status: 500,
      code: 'InternalServerError',
      message: '{"error": {"code":',
    });
  });
});

describe('parseGraphError: non-JSON bodies', () => {
  it.each<[number, string]>([
    [503, 'ServiceUnavailable'],
    [504, 'GatewayTimeout'],
    [429, 'TooManyRequests'],
    [502, 'BadGateway'],
    [500, 'InternalServerError'],
    [404, 'HTTP404'],
    [418, 'HTTP418'],
    [501, 'HTTP501'],
  ])('empty body, status %d → code %s', (status, code) => {
    for (const body of [undefined, '', '   ', null, new Uint8Array()]) {
      const e = parseGraphError(status, body);
      expect(e.code).toBe(code);
      expect(e.status).toBe(status);
      expect(e.message).toMatch(new RegExp(`HTTP ${status}, empty body`));
    }
    expect(statusErrorCode(status)).toBe(code);
  });

  it('503 with an empty body reads well', () => {
    expect(parseGraphError(503, '').message).toBe('Service Unavailable (HTTP 503, empty body)');
  });

  it('HTML 503 page → short plain text', () => {
    const e = parseGraphError(503, html503, { 'request-id': RID });
    expect(e.code).toBe('ServiceUnavailable');
    expect(e.requestId).toBe(RID);
    expect(e.message).toBe('503 Service Unavailable Service Unavailable The service is temporarily unavailable & will be back soon.');
    expect(e.message).not.toMatch(/[<>]/);
    expect(e.message).not.toMatch(/secret|color|frontend/);
  });

  it('a huge HTML page never lands whole', () => {
    const page = `<html><body>${'<p>Lorem ipsum dolor sit amet</p>\n'.repeat(5000)}</body></html>`;
    const e = parseGraphError(502, page);
    expect(e.message.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    expect(e.message).not.toContain('<');
    expect(e.message.startsWith('Lorem ipsum dolor sit amet Lorem')).toBe(true);
  });

  it('HTML inside error.message', () => {
    const e = parseGraphError(503, {
      error: { code: 'UnknownError', message: `<html><body><h1>Service Unavailable</h1>${'<p>x</p>'.repeat(500)}</body></html>` },
    });
    expect(e.code).toBe('UnknownError');
    expect(e.message.startsWith('Service Unavailable x x')).toBe(true);
    expect(e.message.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    expect(e.message).not.toContain('<');
  });

  it('plain text body', () => {
    expect(parseGraphError(504, 'upstream request timeout\n')).toEqual({
      status: 504,
      code: 'GatewayTimeout',
      message: 'upstream request timeout',
    });
  });

  it('a message with a < that is not HTML is kept', () => {
    expect(parseGraphError(400, { error: { code: 'X', message: 'value must be < 256' } }).message).toBe('value must be < 256');
  });

  it('secrets in server text are redacted', () => {
    const e = parseGraphError(401, `<html><body>Authorization: Bearer ${JWT}</body></html>`);
    expect(e.message).not.toContain(JWT);
    expect(e.message).toContain('<redacted>');
    const j = parseGraphError(400, { error: { code: 'X', message: `echo: client_secret=abc~DEF.123&x=1 token ${JWT}` } });
    expect(j.message).toBe('echo: client_secret=<redacted>&x=1 token <redacted>');
  });

  it('never throws on odd input', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.string(), fc.json(), fc.jsonValue(), fc.constant(undefined)), (s, b) => {
        const e = parseGraphError(s, b);
        return e.status === s && e.code.length > 0 && e.message.length > 0 && e.message.length <= MAX_MESSAGE_CHARS;
      }),
    );
  });
});

describe('redactSecrets', () => {
  it.each<[string, string]>([
    [`Authorization: Bearer ${JWT}`, 'Authorization: <redacted>'],
    [`authorization:Bearer abc`, 'authorization:<redacted>'],
    [`GET /x\r\nAuthorization: Basic dXNlcjpwdw==\r\nHost: h`, 'GET /x\r\nAuthorization: <redacted>\r\nHost: h'],
    [`{"Authorization": "Bearer ${JWT}", "x": 1}`, '{"Authorization": "<redacted>", "x": 1}'],
    [`{"authorization":"Basic abc\\"def"}`, '{"authorization":"<redacted>"}'],
    [`{'Authorization': 'Bearer abc'}`, `{'Authorization': '<redacted>'}`],
    [`token is Bearer abc.def-ghi_jkl~mno+pqr/stu== ok`, 'token is Bearer <redacted> ok'],
    [`bearer xyz`, 'bearer <redacted>'],
    [`BEARER xyz`, 'BEARER <redacted>'],
    [`jwt=${JWT};`, 'jwt=<redacted>;'],
    [`(${JWT})`, '(<redacted>)'],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', '<redacted>'],
    ['client_secret=s3cr3t~value&grant_type=client_credentials', 'client_secret=<redacted>&grant_type=client_credentials'],
    ['CLIENT_SECRET=abc', 'CLIENT_SECRET=<redacted>'],
    ['refresh_token=0.AAA-bbb&x', 'refresh_token=<redacted>&x'],
    ['access_token=abc def', 'access_token=<redacted> def'],
    ['{"client_secret":"abc","client_id":"id"}', '{"client_secret":"<redacted>","client_id":"id"}'],
    ['{"access_token": "abc"}', '{"access_token": "<redacted>"}'],
  ])('%j → %j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it.each([
    'Resource does not exist.',
    'Insufficient privileges to complete the operation.',
    'Authorization_RequestDenied',
    'eyJ alone is fine',
    'version 1.2.3',
    'client_id=abc&scope=https://graph.microsoft.com/.default',
    '',
  ])('leaves %j alone', (s) => {
    expect(redactSecrets(s)).toBe(s);
  });

  it('is idempotent and removes every embedded JWT', () => {
    const seg = fc.stringMatching(/^[A-Za-z0-9_-]{4,40}$/);
    fc.assert(
      fc.property(fc.string(), seg, seg, seg, fc.string(), (pre, a, b, c, post) => {
        const jwt = `eyJ${a}.${b}.${c}`;
        const out = redactSecrets(`${pre} ${jwt} ${post}`);
        return !out.includes(jwt) && redactSecrets(out) === out;
      }),
    );
  });
});

describe('truncate / summarizeText', () => {
  it('truncate', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('ab  cd', 5)).toBe('ab…');
    expect(truncate('a😀b', 3)).toBe('a…');
  });

  it('summarizeText keeps a title and drops scripts', () => {
    expect(summarizeText('<html><head><title>Oops</title><script>x()</script></head><body>Down</body></html>')).toBe('Oops Down');
  });

  it('decodes entities', () => {
    expect(summarizeText('<p>a &lt;b&gt; &quot;c&quot; &#39;d&#39; &#x41; &#65; &amp;amp;</p>')).toBe(`a <b> "c" 'd' A A &amp;`);
  });
});

// Last in this file: remembered secrets are process-wide.
describe('rememberSecret: bare secret values are redacted wherever they appear', () => {
  it('a remembered token or secret is removed from any text, patterns or not; short values are ignored', () => {
    const token = 'opaque-token-0123456789';
    expect(redactSecrets(`invalid token ${token}.`)).toBe(`invalid token ${token}.`); // no pattern knows it
    rememberSecret(token, undefined, 'short', '  ');
    expect(redactSecrets(`invalid token ${token}. again:${token}`)).toBe('invalid token <redacted>. again:<redacted>');
    expect(redactSecrets('a short word')).toBe('a short word');
    expect(redactSecrets(redactSecrets(`x ${token}`))).toBe('x <redacted>');
  });

  it('rememberEnvironmentSecrets takes the secret variables only', () => {
    rememberEnvironmentSecrets({
      AZURE_CLIENT_SECRET: 'env-client-secret-42',
      AZURE_CLIENT_CERTIFICATE_PASSWORD: 'env-cert-password-42',
      GRAPH_ACCESS_TOKEN: ' env-access-token-42\n',
      AZURE_CLIENT_ID: '3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d',
    });
    expect(redactSecrets('env-client-secret-42 env-cert-password-42 env-access-token-42')).toBe('<redacted> <redacted> <redacted>');
    expect(redactSecrets('client 3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d')).toBe('client 3c9b1e52-6f2a-4c1e-9a55-0e1d2b3a4c5d');
  });

  it('also percent-encoded (a form body) and JSON-escaped', () => {
    rememberSecret('s3c~r+t/"x\\y');
    expect(redactSecrets(`body: grant=1&secret=${encodeURIComponent('s3c~r+t/"x\\y')}`)).toBe('body: grant=1&secret=<redacted>');
    expect(redactSecrets(`{"value": ${JSON.stringify('s3c~r+t/"x\\y')}}`)).toBe('{"value": "<redacted>"}');
  });

  it('parseGraphError redacts a remembered secret echoed in a message', () => {
    rememberSecret('echoed-secret-value-7');
    const e = parseGraphError(400, { error: { code: 'BadRequest', message: 'bad secret echoed-secret-value-7' } });
    expect(e.message).toBe('bad secret <redacted>');
  });
});

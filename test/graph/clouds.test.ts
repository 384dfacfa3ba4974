import { describe, expect, it } from 'vitest';
import {
  CLOUDS,
  checkAuthorityHost,
  GraphConfigError,
  isCloud,
  isLoopbackHost,
  resolveGraphRoot,
  tokenScope,
  type Cloud,
} from '../../src/graph/clouds.js';

describe('CLOUDS (graph-facts §4)', () => {
  it.each<[Cloud, string, string]>([
    ['global', 'https://graph.microsoft.com', 'https://login.microsoftonline.com'],
    ['usgov', 'https://graph.microsoft.us', 'https://login.microsoftonline.us'],
    ['usgov-dod', 'https://dod-graph.microsoft.us', 'https://login.microsoftonline.us'],
    ['china', 'https://microsoftgraph.chinacloudapi.cn', 'https://login.chinacloudapi.cn'],
  ])('%s', (cloud, graphRoot, authorityHost) => {
    expect(CLOUDS[cloud]).toEqual({ graphRoot, authorityHost });
  });

  it('has exactly four clouds and is frozen', () => {
    expect(Object.keys(CLOUDS).sort()).toEqual(['china', 'global', 'usgov', 'usgov-dod']);
    expect(Object.isFrozen(CLOUDS)).toBe(true);
    expect(Object.isFrozen(CLOUDS.global)).toBe(true);
  });

  it('isCloud', () => {
    expect(isCloud('usgov-dod')).toBe(true);
    expect(isCloud('toString')).toBe(false);
    expect(isCloud('Global')).toBe(false);
    expect(isCloud(undefined)).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['128.0.0.1', false],
    ['127.0.0.256', false],
    ['127.0.0', false],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['localhost.evil.com', false],
    ['evil.localhost', false],
    ['127.0.0.1.evil.com', false],
    ['::2', false],
    ['[::2]', false],
    ['', false],
    ['graph.microsoft.com', false],
  ])('%j → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('resolveGraphRoot', () => {
  it('defaults to the global cloud', () => {
    expect(resolveGraphRoot({})).toBe('https://graph.microsoft.com');
  });

  it.each<[Cloud, string]>([
    ['global', 'https://graph.microsoft.com'],
    ['usgov', 'https://graph.microsoft.us'],
    ['usgov-dod', 'https://dod-graph.microsoft.us'],
    ['china', 'https://microsoftgraph.chinacloudapi.cn'],
  ])('cloud %s → %s', (cloud, root) => {
    expect(resolveGraphRoot({ cloud })).toBe(root);
  });

  it('throws on an unknown cloud', () => {
    expect(() => resolveGraphRoot({ cloud: 'mars' as Cloud })).toThrow(GraphConfigError);
  });

  it.each([
    ['https://graph.microsoft.com', 'https://graph.microsoft.com'],
    ['https://graph.microsoft.com/', 'https://graph.microsoft.com'],
    ['https://GRAPH.Microsoft.com', 'https://graph.microsoft.com'],
    ['https://graph.microsoft.com:443/', 'https://graph.microsoft.com'],
    ['https://graph.microsoft.us', 'https://graph.microsoft.us'],
    ['https://dod-graph.microsoft.us/', 'https://dod-graph.microsoft.us'],
    ['https://microsoftgraph.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn'],
    ['http://127.0.0.1:4567', 'http://127.0.0.1:4567'],
    ['http://127.0.0.1:4567/', 'http://127.0.0.1:4567'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['http://[::1]:9000/', 'http://[::1]:9000'],
    ['https://localhost:8443', 'https://localhost:8443'],
    ['http://127.9.9.9', 'http://127.9.9.9'],
  ])('graphUrl %s → %s', (graphUrl, root) => {
    expect(resolveGraphRoot({ graphUrl })).toBe(root);
  });

  it('graphUrl wins over cloud', () => {
    expect(resolveGraphRoot({ graphUrl: 'https://graph.microsoft.us', cloud: 'global' })).toBe('https://graph.microsoft.us');
  });

  it.each([
    ['http://graph.microsoft.com', /http/],
    ['http://example.com', /http/],
    ['http://10.0.0.5:4567', /http/],
    ['http://localhost.evil.com', /http/],
    ['https://graph.microsoft.com/v1.0', /path/i],
    ['https://graph.microsoft.com/v1.0/', /path/i],
    ['https://graph.microsoft.com/beta', /path/i],
    ['https://graph.microsoft.com?x=1', /query/],
    ['https://graph.microsoft.com/?', /query/],
    ['https://graph.microsoft.com/#frag', /query or fragment/],
    ['https://user:pw@graph.microsoft.com', /credentials/],
    ['graph.microsoft.com', /valid/],
    ['', /empty/],
    ['   ', /empty/],
    [' https://graph.microsoft.com', /whitespace/],
    ['ftp://graph.microsoft.com', /https/],
    ['file:///etc/passwd', /https/],
    ['https://evil.example.com', /not a Microsoft Graph root/],
    ['https://graph.microsoft.com.evil.com', /not a Microsoft Graph root/],
    ['https://graph.microsoft.com:8443', /not a Microsoft Graph root/],
    ['https://login.microsoftonline.com', /not a Microsoft Graph root/],
  ])('refuses %j', (graphUrl, msg) => {
    expect(() => resolveGraphRoot({ graphUrl })).toThrow(GraphConfigError);
    expect(() => resolveGraphRoot({ graphUrl })).toThrow(msg);
  });

  it('accepts an unknown https host only with allowHost', () => {
    expect(() => resolveGraphRoot({ graphUrl: 'https://graph.contoso.example' })).toThrow(GraphConfigError);
    expect(resolveGraphRoot({ graphUrl: 'https://graph.contoso.example/', allowHost: true })).toBe('https://graph.contoso.example');
    expect(resolveGraphRoot({ graphUrl: 'https://graph.microsoft.com:8443', allowHost: true })).toBe('https://graph.microsoft.com:8443');
  });

  it('allowHost never allows http to a non-loopback host, nor a path', () => {
    expect(() => resolveGraphRoot({ graphUrl: 'http://graph.contoso.example', allowHost: true })).toThrow(/http/);
    expect(() => resolveGraphRoot({ graphUrl: 'https://graph.contoso.example/v1.0', allowHost: true })).toThrow(/path/);
  });

  it('GraphConfigError is an Error with its own name', () => {
    const e = new GraphConfigError('x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('GraphConfigError');
    expect(e.message).toBe('x');
  });
});

describe('tokenScope', () => {
  it.each([
    ['https://graph.microsoft.com', 'https://graph.microsoft.com/.default'],
    ['https://graph.microsoft.us', 'https://graph.microsoft.us/.default'],
    ['https://microsoftgraph.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/.default'],
    ['http://127.0.0.1:4567', 'http://127.0.0.1:4567/.default'],
    ['https://graph.microsoft.com/', 'https://graph.microsoft.com/.default'],
  ])('%s → %s', (root, scope) => {
    expect(tokenScope(root)).toBe(scope);
  });

  it('composes with resolveGraphRoot', () => {
    expect(tokenScope(resolveGraphRoot({ cloud: 'usgov-dod' }))).toBe('https://dod-graph.microsoft.us/.default');
  });
});

describe('Graph URL messages never repeat credentials', () => {
  it.each([
    'https://admin:S3cret-pw@graph.microsoft.com',
    'ftp://admin:S3cret-pw@graph.microsoft.com',
    'http://admin:S3cret-pw@evil.example/',
  ])('%s', (graphUrl) => {
    expect(() => resolveGraphRoot({ graphUrl })).toThrow(GraphConfigError);
    try {
      resolveGraphRoot({ graphUrl, allowHost: true });
    } catch (err) {
      expect((err as Error).message).not.toContain('S3cret-pw');
      expect((err as Error).message).toContain('…@');
    }
  });
});

describe('checkAuthorityHost', () => {
  it.each([
    'https://login.microsoftonline.com',
    'https://login.microsoftonline.com/',
    'https://login.microsoftonline.us',
    'https://login.chinacloudapi.cn',
    'https://127.0.0.1:8443',
    'https://localhost:9443',
  ])('accepts %s', (host) => {
    expect(checkAuthorityHost(host)).toBe(host.replace(/\/$/, ''));
  });

  it.each([
    ['https://evil.example', /not a Microsoft Entra sign-in host.*allowUnknownHost/],
    ['https://login.microsoftonline.com.evil.example', /not a Microsoft Entra sign-in host/],
    ['https://login.microsoftonline.com:8443', /not a Microsoft Entra sign-in host/],
    ['http://login.microsoftonline.com', /must be an https URL/],
    ['http://127.0.0.1:8080', /must be an https URL/],
    ['login.microsoftonline.com', /not a valid absolute URL/],
    ['https://user:pw-in-url@login.microsoftonline.com', /must not contain credentials/],
    ['https://login.microsoftonline.com/?x=1', /query or fragment/],
  ])('refuses %s', (host, message) => {
    expect(() => checkAuthorityHost(host)).toThrow(message);
    try {
      checkAuthorityHost(host);
    } catch (err) {
      expect((err as Error).message).not.toContain('pw-in-url');
    }
  });

  it('allowHost accepts a private https authority, never http', () => {
    expect(checkAuthorityHost('https://sts.contoso.example/', { allowHost: true })).toBe('https://sts.contoso.example');
    expect(() => checkAuthorityHost('http://sts.contoso.example', { allowHost: true })).toThrow(/https/);
  });
});

import { describe, expect, it } from 'vitest';
import { checkGraphUrl, connect, preflight } from '../../src/job/connect.js';
import { JobError } from '../../src/job/errors.js';
import { parseJobOptions } from '../../src/job/options.js';

/** An unsigned JWT-shaped token with `claims` (the preflight reads claims, never signatures). */
const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"none"}', JSON.stringify(claims), ''].map((p) => Buffer.from(p).toString('base64url')).join('.');

function logger() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => void lines.push(`info ${m}`), warn: (m: string) => void lines.push(`warn ${m}`) } };
}

describe('preflight', () => {
  it('app-only with Device.ReadWrite.All passes; delegated is told apart; an opaque token is a warning', () => {
    const l = logger();
    expect(preflight(jwt({ roles: ['Device.ReadWrite.All'] }), false, l.log as never)).toBe(true);
    expect(preflight(jwt({ scp: 'Directory.AccessAsUser.All Device.Read.All' }), false, l.log as never)).toBe(false);
    expect(preflight('opaque-token', false, l.log as never)).toBeUndefined();
    expect(l.lines[0]).toMatch(/^info signed in: app-only/);
    expect(l.lines[2]).toMatch(/^warn the token is not a readable JWT/);
  });

  it('a token without a device-write permission stops a run (exit 3); for a plan it is a warning', () => {
    const l = logger();
    const token = jwt({ roles: ['Device.Read.All'] });
    expect(() => preflight(token, false, l.log as never)).toThrow(/permission missing, nothing sent/);
    expect(preflight(token, true, l.log as never)).toBe(true);
    expect(l.lines.at(-1)).toMatch(/^warn a run with this token would stop before writing/);
  });
});

describe('connect', () => {
  it('an unknown Graph host is refused; loopback and the known clouds are not', () => {
    const o = { cloud: 'global', allowUnknownHost: false } as const;
    expect(() => checkGraphUrl('https://graph.example.com', o)).toThrow(JobError);
    expect(checkGraphUrl('http://127.0.0.1:5555', o)).toBe('http://127.0.0.1:5555');
    expect(checkGraphUrl(undefined, o)).toBe('https://graph.microsoft.com');
  });

  it('a sign-in that fails is a JobError naming the token source, without the secret; the emulator it started is stopped', async () => {
    const options = parseJobOptions({ manifest: 'm.csv', emulator: {} }, 'test');
    const l = logger();
    const failing = {
      description: 'test credential',
      getToken: async () => Promise.reject(new Error('bad client_secret=hunter2-secret-value')),
    };
    const err = await connect({
      options,
      env: {},
      log: l.log as never,
      path: (p) => p,
      tokenSource: failing,
      plan: false,
      abandon: new AbortController().signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as Error).message).toMatch(/^sign-in failed \(test credential\)/);
    expect((err as Error).message).not.toContain('hunter2-secret-value');
    const url = /emulator at (\S+)/.exec(l.lines.join('\n'))![1]!;
    await expect(fetch(`${url}/v1.0/devices`)).rejects.toThrow(); // stopped: nothing listens there any more
  });
});

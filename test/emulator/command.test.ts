/** `graph-bulk emulator` flags and serving. */
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { resolveGraphRoot } from '../../src/graph/clouds.js';
import { emulatorCommand, emulatorOptionsFromArgs, parseLatency, serveEmulator, type EmulatorArgs } from '../../src/emulator/command.js';

const parse = async (argv: string[]): Promise<EmulatorArgs> => {
  let captured: EmulatorArgs | undefined;
  await yargs(argv)
    .command({ ...emulatorCommand, handler: (a) => void (captured = a) })
    .strict()
    .exitProcess(false)
    .parseAsync();
  if (!captured) throw new Error('handler not called');
  return captured;
};

describe('emulator command', () => {
  it('maps flags to options', async () => {
    const args = await parse([
      'emulator',
      '--port',
      '0',
      '--token',
      'tok',
      '--write-burst',
      '20',
      '--write-refill',
      '5',
      '--latency-ms',
      '10-30',
      '--no-app-only',
      '--mdm-app',
      '--rate-503',
      '0.1',
      '--rate-inner-500',
      '0.2',
      '--drop-clear',
      '--seed',
      '7',
      '--token-lifetime-ms',
      '60000',
      '--count',
      '12',
    ]);
    const o = emulatorOptionsFromArgs(args);
    expect(o).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      token: 'tok',
      writeBudget: { burst: 20, refillPerSecond: 5 },
      latencyMs: { min: 10, max: 30 },
      appOnly: false,
      mdmApp: true,
      rate503: 0.1,
      rateInner500: 0.2,
      dropClear: true,
      seed: 7,
      tokenLifetimeMs: 60000,
    });
    expect(o.devices).toHaveLength(12);
    expect(emulatorOptionsFromArgs(await parse(['emulator', '--no-throttle'])).writeBudget).toBe(false);
    expect(emulatorOptionsFromArgs(await parse(['emulator'])).appOnly).toBe(true);
    expect(() => emulatorOptionsFromArgs({ rate503: 2 })).toThrow(/--rate-503/);
    expect(parseLatency('25')).toBe(25);
    expect(() => parseLatency('fast')).toThrow();
  });

  it('serves until told to stop, printing the base URL and the token', async () => {
    let output = '';
    const stats = await serveEmulator(emulatorOptionsFromArgs({ token: 'cli-token', count: 3 }), {
      out: (t) => {
        output += t;
      },
      until: async (emu) => {
        const res = await fetch(`${emu.url}/v1.0/devices?$select=id`, { headers: { authorization: 'Bearer cli-token' } });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { value: unknown[] }).value).toHaveLength(3);
      },
    });
    expect(output).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain('Bearer token   : cli-token');
    expect(stats.requests.total).toBe(1);
    // The banner's --graph-url line is a root that graph-bulk run --graph-url accepts as it is.
    const root = /--graph-url\s+: (\S+)/.exec(output)?.[1];
    expect(root).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(resolveGraphRoot({ graphUrl: root! })).toBe(root);
  });

  it('--https --entra: prints the CA path for NODE_EXTRA_CA_CERTS and the sign-in variables; --roles and --revoke-tokens-after-ms reach the options', async () => {
    const args = await parse([
      'emulator',
      '--https',
      '--entra',
      '--client-secret',
      'cli-secret',
      '--roles',
      'Device.Read.All, Directory.ReadWrite.All',
      '--revoke-tokens-after-ms',
      '900',
      '--count',
      '2',
    ]);
    const options = emulatorOptionsFromArgs(args);
    expect(options).toMatchObject({ https: true, revokeTokensAfterMs: 900, entra: { clientSecret: 'cli-secret' } });
    const entra = options.entra as { apps: Array<{ roles: string[]; secrets: string[] }> };
    expect(entra.apps[0]).toMatchObject({ roles: ['Device.Read.All', 'Directory.ReadWrite.All'], secrets: ['cli-secret'] });
    let output = '';
    let caPath = '';
    await serveEmulator(options, {
      out: (t) => (output += t),
      until: async (emu) => {
        caPath = emu.caPath!;
      },
    });
    expect(output).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain(`NODE_EXTRA_CA_CERTS=${caPath}`);
    expect(output).toMatch(/AZURE_AUTHORITY_HOST=https:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain('AZURE_CLIENT_SECRET=cli-secret');
    expect(output).toMatch(/IDENTITY_ENDPOINT=https:\/\/127\.0\.0\.1:\d+\/msi\/token/);
  });
});

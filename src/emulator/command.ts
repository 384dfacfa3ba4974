/**
 * `graph-bulk emulator`: serves the Graph emulator until SIGINT/SIGTERM, printing its base URL
 * and the bearer token it accepts (and, with `--entra`, the sign-in variables for its local Entra).
 */
import type { Argv, CommandModule } from 'yargs';
import { ExitCode } from '../job/exit-codes.js';
import { type EmulatorArgs, EMULATOR_FLAGS, emulatorOptionsFromArgs, flagName } from './flags.js';
import { DEFAULT_ENTRA_TOKEN_LIFETIME_MS, DEFAULT_FEDERATED_SUBJECT, startEmulator, type Emulator, type EmulatorOptions } from './index.js';

export { parseLatency } from './faults.js';
export { type EmulatorArgs, emulatorOptionsFromArgs } from './flags.js';

/** The banner printed once the emulator listens. */
export function describeEmulator(emu: Emulator, options: EmulatorOptions): string {
  const budget = options.writeBudget ?? { burst: 3000, refillPerSecond: 20 };
  const devices = typeof options.devices === 'string' ? `from ${options.devices}` : 'generated';
  return [
    `graph-bulk emulator listening on ${emu.url}`,
    `  --graph-url    : ${emu.url}   (the root graph-bulk run --graph-url takes; API at ${emu.url}/v1.0 and /beta)`,
    `  Bearer token   : ${emu.token}`,
    `  Devices        : ${emu.devices().length} (${devices})`,
    `  Write budget   : ${budget === false ? 'off' : `burst ${budget.burst}, refill ${budget.refillPerSecond}/s`}`,
    `  Caller         : ${options.appOnly === false ? 'delegated' : 'app-only'}${options.mdmApp ? ', MDM app' : ''}`,
    `  Stats          : ${emu.url}/_emulator/stats   Requests: ${emu.url}/_emulator/requests`,
    ...(emu.caPath ? [`  CA certificate : ${emu.caPath}   (export NODE_EXTRA_CA_CERTS=${emu.caPath})`] : []),
    ...(emu.entra
      ? [
          `  Entra (https)  : AZURE_AUTHORITY_HOST=${emu.entra.url}`,
          `                   AZURE_TENANT_ID=${emu.entra.tenantId}  AZURE_CLIENT_ID=${emu.entra.clientId}`,
          `                   AZURE_CLIENT_SECRET=${emu.entra.clientSecret}`,
          `                   managed identity: IDENTITY_ENDPOINT=${emu.entra.identityEndpoint}  IDENTITY_HEADER=${emu.entra.identityHeader}`,
          `                   federated tokens from issuer ${emu.entra.federatedIssuer} (subject ${DEFAULT_FEDERATED_SUBJECT})`,
          `                   tokens live ${Math.round((options.tokenLifetimeMs ?? DEFAULT_ENTRA_TOKEN_LIFETIME_MS) / 1000)} s${options.revokeTokensAfterMs !== undefined ? `, Graph rejects them ${options.revokeTokensAfterMs} ms after issue` : ''}`,
        ]
      : []),
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/**
 * Starts an emulator, prints the banner to `out`, and stops it when `until` resolves.
 * @returns the emulator's stats at shutdown.
 */
export async function serveEmulator(
  options: EmulatorOptions,
  io: { out: (text: string) => void; until: (emu: Emulator) => Promise<void> },
): Promise<ReturnType<Emulator['stats']>> {
  const emu = await startEmulator(options);
  io.out(describeEmulator(emu, options));
  await io.until(emu);
  const stats = emu.stats();
  await emu.stop();
  io.out(
    `graph-bulk emulator stopped after ${stats.requests.total} requests (${stats.writesApplied} writes applied, ${stats.throttled.total} throttled).\n`,
  );
  return stats;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** `graph-bulk emulator`: a Microsoft Graph emulator on loopback, for tests, demos and benchmarks. */
export const emulatorCommand: CommandModule<object, EmulatorArgs> = {
  command: 'emulator',
  describe: 'Serve a local Microsoft Graph emulator (devices, $batch, throttling, faults) until Ctrl+C',
  builder: (y: Argv<object>) => {
    let out = y;
    for (const [name, f] of Object.entries(EMULATOR_FLAGS) as [
      string,
      { type: 'string' | 'number' | 'boolean'; describe: string; default?: unknown },
    ][]) {
      out = out.option(flagName(name), { type: f.type, describe: f.describe, ...(f.default !== undefined ? { default: f.default } : {}) });
    }
    return out as unknown as Argv<EmulatorArgs>;
  },
  handler: async (args) => {
    try {
      await serveEmulator(emulatorOptionsFromArgs(args), {
        out: (text) => process.stdout.write(text),
        until: () => untilSignal(),
      });
    } catch (err) {
      // A bad --devices file, a port in use, a bad flag value: one line, no stack trace.
      process.stderr.write(`graph-bulk emulator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = ExitCode.NothingSent;
    }
  },
};

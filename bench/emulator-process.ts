/**
 * Bench-only entry: runs the Graph emulator in its own process (forked by `bench/main.ts` with an IPC
 * channel), so that the contenders and the emulator do not share an event loop.
 *
 * argv[2] is a JSON {@link EmulatorProcessOptions}. The inventory is generated here (`count` devices,
 * seeded), and the manifest of the first `manifestRows` devices is written to `manifestPath` when
 * asked, so a 1,000,000-device inventory is generated once, in this process only.
 *
 * IPC (process.send / 'message'):
 * - child → parent once listening: `{ type: 'ready', url, token }`;
 * - parent → child `{ type: 'report' }` → child → parent `{ type: 'report', stats, updated }` where
 *   `updated` counts manifest devices whose `extensionAttributes[attribute]` equals `value` now;
 * - SIGTERM or a closed IPC channel stops the emulator and the process.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { generateInventory, startEmulator, type EmulatorStats } from '../src/emulator/index.js';

/** What the bench asks of its emulator process. */
export interface EmulatorProcessOptions {
  /** Devices to generate (seeded, deterministic). */
  count: number;
  /** Write budget of the emulator, or false for none. */
  writeBudget: { burst: number; refillPerSecond: number } | false;
  /** Latency added to every request, ms. */
  latencyMs: number;
  /** Write the manifest here (CSV: id + the attribute column), of the first `manifestRows` devices. */
  manifestPath?: string;
  manifestRows: number;
  /** The extension attribute the manifest sets, e.g. `extensionAttribute4`, and its value. */
  attribute: string;
  value: string;
  /** The caller is a signed-in user (a delegated token, `scp`): the per-user budget applies (Graph's by default). */
  delegated?: boolean;
  /** The application-wide budget (all tenants), when set. */
  appWriteBudget?: { burst: number; refillPerSecond: number };
  /** Also issue an app-only token for each of these tenant ids (one app, several tenants). */
  tenantIds?: string[];
}

/** Messages from the emulator process to the bench. */
export type EmulatorProcessMessage =
  | { type: 'ready'; url: string; token: string; tenantTokens: Record<string, string> }
  | { type: 'report'; stats: EmulatorStats; updated: number };

const MANIFEST_CHUNK_ROWS = 10_000;

async function writeManifest(path: string, ids: readonly string[], attribute: string, value: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`id,${attribute}\n`);
  for (let i = 0; i < ids.length; i += MANIFEST_CHUNK_ROWS) {
    const chunk = ids
      .slice(i, i + MANIFEST_CHUNK_ROWS)
      .map((id) => `${id},${value}\n`)
      .join('');
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorProcessOptions;
  let inventory: ReturnType<typeof generateInventory> | undefined = generateInventory(options.count, 1);
  const ids = inventory.slice(0, options.manifestRows).map((d) => d.id);
  if (options.manifestPath) await writeManifest(options.manifestPath, ids, options.attribute, options.value);
  const emu = await startEmulator({
    devices: inventory,
    writeBudget: options.writeBudget,
    latencyMs: options.latencyMs,
    ...(options.delegated ? { appOnly: false } : {}),
    ...(options.appWriteBudget ? { appWriteBudget: options.appWriteBudget } : {}),
    seed: 1,
    // The log would hold every request's body; the bench reads only counters.
    maxLogEntries: 0,
  });
  inventory = undefined;
  const stop = async () => {
    await emu.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('disconnect', () => void stop());
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type !== 'report') return;
    let updated = 0;
    for (const id of ids) {
      const attributes = emu.getDevice(id)?.extensionAttributes as Record<string, unknown> | undefined;
      if (attributes?.[options.attribute] === options.value) updated++;
    }
    process.send!({ type: 'report', stats: emu.stats(), updated } satisfies EmulatorProcessMessage);
  });
  const tenantTokens = Object.fromEntries(
    (options.tenantIds ?? []).map((tenantId) => [tenantId, emu.issueToken(undefined, { roles: ['Device.ReadWrite.All'], tenantId })]),
  );
  process.send!({ type: 'ready', url: emu.url, token: emu.token, tenantTokens } satisfies EmulatorProcessMessage);
}

await main();

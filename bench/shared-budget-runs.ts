/**
 * Shared-budget runs for the bench (`npm run bench:redis`) and the tests: manifests over distinct
 * devices, and what "the writes Graph saw stayed within its budget" means, computed from the emulator's request
 * log: every PATCH it saw (single or inside a `$batch`, answered or refused) counts as a write.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { generateInventory } from '../src/emulator/index.js';

/** Figures of one run, as the emulator saw it. Times in ms. */
export interface BudgetFigures {
  /** PATCHes seen (attempts, retries included). */
  writes: number;
  /** 429 answers (outer and inner). */
  throttled: number;
  /** First to last PATCH arrival. */
  spanMs: number;
  /** Most PATCHes that arrived within any 1-second window. */
  maxPerSecond: number;
  /** PATCHes per whole second from the first arrival. */
  perSecond: number[];
}

/** Computes {@link BudgetFigures} from the emulator's log. */
export function budgetFigures(emu: Emulator): BudgetFigures {
  const times = emu
    .requests()
    .filter((r) => r.method === 'PATCH')
    .map((r) => r.at)
    .sort((a, b) => a - b);
  const first = times[0] ?? 0;
  let maxPerSecond = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    maxPerSecond = Math.max(maxPerSecond, i - j + 1);
  }
  const perSecond: number[] = [];
  for (const t of times) {
    const s = Math.floor((t - first) / 1000);
    perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  return {
    writes: times.length,
    throttled: emu.stats().throttled.total,
    spanMs: times.length ? times.at(-1)! - first : 0,
    maxPerSecond,
    perSecond: Array.from(perSecond, (n) => n ?? 0),
  };
}

/**
 * Writes `count` manifests of `rows` rows each into `dir`, over distinct devices of a generated
 * inventory (returned, to seed the emulator with): `id,extensionAttribute1` = `batch-<n>`.
 */
export function distinctManifests(dir: string, count: number, rows: number, seed = 9): { devices: unknown[]; paths: string[] } {
  const devices = generateInventory(count * rows, seed);
  const paths = Array.from({ length: count }, (_, m) => {
    const lines = ['id,extensionAttribute1'];
    for (let i = 0; i < rows; i++) lines.push(`${devices[m * rows + i]!.id},batch-${m + 1}`);
    const path = join(dir, `manifest-${m + 1}.csv`);
    writeFileSync(path, lines.join('\n') + '\n');
    return path;
  });
  return { devices, paths };
}

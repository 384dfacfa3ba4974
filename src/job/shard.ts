import { GuidRowTable } from '../validate/duplicates.js';

/** Shard `index` of `count` (1-based: 1/4 … 4/4). */
export interface Shard {
  index: number;
  count: number;
}

/** Most shards a run may be split into. */
export const MAX_SHARDS = 10_000;

/**
 * Parses `--shard`: `i/n` (1 ≤ i ≤ n), or `auto/n`, which takes i from Kubernetes' Indexed Job
 * variable `JOB_COMPLETION_INDEX` (0-based, so index 0 is shard 1/n;
 * kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode).
 * @throws {Error} naming the value and what is expected, also when `auto` finds no valid JOB_COMPLETION_INDEX.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const m = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/i.exec(text);
  if (!m) throw new Error(`shard: expected i/n (e.g. 2/4) or auto/n, got "${text}"`);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new Error(`shard: n must be 1…${MAX_SHARDS}, got "${text}"`);
  let index: number;
  if (m[1]!.toLowerCase() === 'auto') {
    const raw = env.JOB_COMPLETION_INDEX;
    if (raw === undefined || !/^\d+$/.test(raw.trim())) {
      throw new Error(
        `shard: "${text}" takes the shard from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is ${raw === undefined ? 'not set' : `"${raw}"`}`,
      );
    }
    index = Number(raw.trim()) + 1;
    if (index > count)
      throw new Error(`shard: JOB_COMPLETION_INDEX ${raw.trim()} is outside 0…${count - 1} for "${text}" (completions must equal n)`);
  } else {
    index = Number(m[1]);
    if (index < 1 || index > count) throw new Error(`shard: i must be 1…${count}, got "${text}"`);
  }
  return { index, count };
}

/**
 * Which manifest rows belong to a shard: row r (1-based data row) goes to shard ((r − 1) mod n) + 1,
 * so shards get interleaved rows and finish together. With `deviceAffinity` (for `allowDuplicates`),
 * a row for a device seen in an earlier row goes to that earlier row's shard, so the rows of one
 * device are still applied in manifest order by one process. Every shard reads the whole manifest
 * and must see every row, in order, through {@link owns}.
 */
export class ShardFilter {
  readonly #affinity: GuidRowTable | undefined;

  constructor(
    readonly shard: Shard,
    options: { deviceAffinity?: boolean } = {},
  ) {
    this.#affinity = options.deviceAffinity ? new GuidRowTable() : undefined;
  }

  /**
   * Whether row `row` is this shard's.
   * @param key the row's canonical device GUID when it has a valid one (used only with device affinity).
   */
  owns(row: number, key?: string): boolean {
    const owner = (key !== undefined && this.#affinity?.firstRowOrAdd(key, row)) || row;
    return (owner - 1) % this.shard.count === this.shard.index - 1;
  }

  /** Rows of a `total`-row manifest this shard gets by row number (the exact count without device affinity). */
  expectedRows(total: number): number {
    const { index, count } = this.shard;
    return total >= index ? Math.floor((total - index) / count) + 1 : 0;
  }

  /** `i/n`, for logs and file names. */
  toString(): string {
    return `${this.shard.index}/${this.shard.count}`;
  }
}

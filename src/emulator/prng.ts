/**
 * Seeded pseudo-random numbers for the emulator: fault decisions, batch response shuffling,
 * generated inventories. Same seed and same sequence of calls → same numbers, on every platform.
 *
 * Algorithm: sfc32 (Small Fast Counter), seeded through splitmix32 from a number or a string.
 */

/** A deterministic random source. All methods advance the same internal state. */
export interface Prng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). `n` must be ≥ 1. */
  int(n: number): number;
  /** Uniform integer in [min, max] (both inclusive). */
  range(min: number, max: number): number;
  /** `true` with probability `p` (0..1). Always draws one number, so call sequences stay aligned. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** One element chosen by weight: `[[value, weight], …]`, weights > 0. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** A random (version 4, variant 1) GUID in lower case, e.g. `3f2b…-4…-8…`. */
  uuid(): string;
  /** Fisher–Yates shuffle of a copy of `items`. */
  shuffle<T>(items: readonly T[]): T[];
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hashes a string seed to 32 bits (FNV-1a). */
function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Creates a seeded PRNG.
 * @param seed any finite number (fractional parts are hashed in) or string.
 */
export function createPrng(seed: number | string): Prng {
  const base = typeof seed === 'string' ? hashSeed(seed) : hashSeed(String(seed));
  const init = splitmix32(base);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const nextU32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 mixes poorly right after seeding.
  for (let i = 0; i < 12; i++) nextU32();

  const prng: Prng = {
    next: () => nextU32() / 4294967296,
    int: (n) => Math.floor(prng.next() * n),
    range: (min, max) => min + prng.int(max - min + 1),
    chance: (p) => prng.next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick() from an empty array');
      return items[prng.int(items.length)] as (typeof items)[number];
    },
    weighted: (items) => {
      const total = items.reduce((sum, [, w]) => sum + w, 0);
      let r = prng.next() * total;
      for (const [value, weight] of items) {
        r -= weight;
        if (r < 0) return value;
      }
      const last = items[items.length - 1];
      if (!last) throw new RangeError('weighted() from an empty array');
      return last[0];
    },
    uuid: () => {
      const hex: string[] = [];
      for (let i = 0; i < 4; i++) hex.push(nextU32().toString(16).padStart(8, '0'));
      const s = hex.join('').split('');
      s[12] = '4';
      s[16] = '89ab'.charAt(parseInt(s[16] ?? '0', 16) & 3);
      const h = s.join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = prng.int(i + 1);
        const tmp = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = tmp;
      }
      return out;
    },
  };
  return prng;
}

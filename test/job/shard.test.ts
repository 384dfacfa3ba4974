import { describe, expect, it } from 'vitest';
import { parseShard, ShardFilter } from '../../src/job/shard.js';

describe('parseShard', () => {
  it('reads i/n and auto/n (JOB_COMPLETION_INDEX is 0-based)', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 4 });
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 4, count: 4 });
  });

  it('refuses bad values with a message naming them', () => {
    expect(() => parseShard('0/4')).toThrow(/i must be 1…4, got "0\/4"/);
    expect(() => parseShard('5/4')).toThrow(/i must be 1…4/);
    expect(() => parseShard('2-4')).toThrow(/expected i\/n .* got "2-4"/);
    expect(() => parseShard('1/0')).toThrow(/n must be/);
    expect(() => parseShard('auto/4', {})).toThrow(/JOB_COMPLETION_INDEX .* not set/);
    expect(() => parseShard('auto/4', { JOB_COMPLETION_INDEX: '4' })).toThrow(/outside 0…3/);
    expect(() => parseShard('auto/4', { JOB_COMPLETION_INDEX: 'x' })).toThrow(/"x"/);
  });
});

describe('ShardFilter', () => {
  it('every row belongs to exactly one shard, interleaved by row number, and expectedRows counts them', () => {
    for (const n of [1, 3, 4]) {
      const filters = Array.from({ length: n }, (_, i) => new ShardFilter({ index: i + 1, count: n }));
      const owned = filters.map(() => 0);
      for (let row = 1; row <= 101; row++) {
        const owners = filters.filter((f) => f.owns(row));
        expect(owners).toHaveLength(1);
        owned[filters.indexOf(owners[0]!)]!++;
        expect(owners[0]!.shard.index).toBe(((row - 1) % n) + 1);
      }
      expect(filters.map((f) => f.expectedRows(101))).toEqual(owned);
    }
    expect(new ShardFilter({ index: 4, count: 4 }).expectedRows(3)).toBe(0);
  });

  it('with device affinity, later rows of a device follow its first row', () => {
    const key = '7a031398-8bd3-4603-a0a6-dc0fc19df892';
    const filters = [1, 2, 3].map((i) => new ShardFilter({ index: i, count: 3 }, { deviceAffinity: true }));
    const ownerOf = (row: number, k?: string) => filters.filter((f) => f.owns(row, k)).map((f) => f.shard.index);
    expect(ownerOf(2, key)).toEqual([2]);
    expect(ownerOf(3)).toEqual([3]);
    expect(ownerOf(4)).toEqual([1]);
    expect(ownerOf(7, key)).toEqual([2]);
  });
});

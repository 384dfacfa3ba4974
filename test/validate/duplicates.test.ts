/**
 * The compact duplicate table: behaves like a Map from GUID to first row, through growth.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GuidRowTable } from '../../src/validate/duplicates.js';

describe('GuidRowTable', () => {
  it('agrees with a Map over 50,000 random and sequential GUIDs with repeats', () => {
    const table = new GuidRowTable(16);
    const reference = new Map<string, number>();
    const pool: string[] = [];
    for (let i = 0; i < 25_000; i++) pool.push(randomUUID());
    for (let i = 0; i < 25_000; i++) pool.push(`00000000-0000-0000-0000-${i.toString(16).padStart(12, '0')}`);
    let row = 0;
    for (let i = 0; i < 80_000; i++) {
      const guid = pool[(i * 7919) % pool.length]!;
      row++;
      const expected = reference.get(guid);
      if (expected === undefined) reference.set(guid, row);
      expect(table.firstRowOrAdd(guid, row)).toBe(expected);
    }
    expect(table.size).toBe(reference.size);
  });

  it('compares case-insensitively', () => {
    const table = new GuidRowTable();
    const g = randomUUID();
    expect(table.firstRowOrAdd(g, 1)).toBeUndefined();
    expect(table.firstRowOrAdd(g.toUpperCase(), 2)).toBe(1);
  });

  it('stays compact: about 40 bytes per GUID at 200,000 GUIDs', () => {
    const table = new GuidRowTable();
    for (let i = 0; i < 200_000; i++) table.firstRowOrAdd(randomUUID(), i + 1);
    expect(table.byteLength / table.size).toBeLessThan(60);
  });
});

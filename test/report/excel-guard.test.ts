/**
 * The Excel guard round-trips exactly (issue 14): every value graph-bulk writes into a results file or
 * rollback manifest comes back byte for byte, values starting with an apostrophe included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neutraliseCell, unguardCell } from '../../src/report/excel-guard.js';

describe('Excel guard', () => {
  it('guards formula starts and apostrophes, and undoes the guard exactly', () => {
    for (const [value, cell] of [
      ['=x', "'=x"],
      ["'=x", "''=x"],
      ["'+cmd", "''+cmd"],
      ['+cmd', "'+cmd"],
      ["'", "''"],
      ["'plain", "''plain"],
      ['  padded value  ', '  padded value  '],
      ['Kiosk 7', 'Kiosk 7'],
    ]) {
      expect(neutraliseCell(value!), value).toBe(cell);
      expect(unguardCell(cell!), cell).toBe(value);
    }
  });

  it('unguardCell(neutraliseCell(v)) === v for any text (fast-check, seed 14)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', ' ', 'a', '"', ',') }), (v) => {
        expect(unguardCell(neutraliseCell(v))).toBe(v);
        expect(neutraliseCell(v)).not.toMatch(/^[=+\-@\t\r]/);
      }),
      { seed: 14, numRuns: 2000 },
    );
  });
});

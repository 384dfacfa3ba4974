/** Size limits of the manifest reader, guarding memory against binary or mis-delimited input. */

/** Longest CSV record, JSON element or JSON Lines line accepted, in characters. */
export const MAX_RECORD_CHARS = 1_000_000;

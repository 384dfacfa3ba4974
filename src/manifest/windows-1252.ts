/**
 * Windows-1252 ("ANSI" on Western Windows, Excel's plain "CSV") to text.
 * Node 20's `TextDecoder('windows-1252')` decodes bytes 0x80–0x9F as C1 controls (ISO-8859-1), so
 * `€` (0x80), curly quotes (0x91–0x94) and dashes (0x96, 0x97) would come out wrong; this applies the
 * WHATWG windows-1252 index instead. Every byte maps to a character, so decoding never fails.
 */

/** Code points of bytes 0x80–0x9F (WHATWG encoding standard, index-windows-1252). */
const HIGH: readonly number[] = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/** Decodes windows-1252 bytes. */
export function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\u0080-\u009f]/g, (c) => String.fromCharCode(HIGH[c.charCodeAt(0) - 0x80]!));
}

/**
 * Byte → text layer of the manifest reader: reads a file as a stream, recognises the encoding
 * (byte-order mark or option), decodes strictly (invalid bytes are an error naming the line, never
 * silently replaced), and normalises line endings (CRLF and lone CR become LF) so that every later
 * stage counts lines the same way. Memory stays bounded by the read chunk size.
 */
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { ManifestError } from './errors.js';
import type { ManifestEncoding } from './types.js';
import { decodeWindows1252 } from './windows-1252.js';

const ENCODING_ALIASES: Record<string, ManifestEncoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'utf-16le': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16be': 'utf-16be',
  utf16be: 'utf-16be',
  'windows-1252': 'windows-1252',
  windows1252: 'windows-1252',
  cp1252: 'windows-1252',
  // WHATWG (and so TextDecoder) decodes latin1 / iso-8859-1 as windows-1252.
  latin1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
};

/**
 * Canonical encoding for an `encoding` option value (case-insensitive; `undefined` → `utf-8`).
 * @throws ManifestError for an unsupported encoding name.
 */
export function resolveEncoding(file: string, option: string | undefined): ManifestEncoding {
  if (option === undefined || option.trim() === '') return 'utf-8';
  const found = ENCODING_ALIASES[option.trim().toLowerCase()];
  if (!found) {
    throw new ManifestError(file, `unsupported encoding ${JSON.stringify(option)}; use utf-8, windows-1252, utf-16le or utf-16be`, {
      value: option,
    });
  }
  return found;
}

/** Encoding and length of a byte-order mark at the start of `head`, if any. */
export function sniffBom(head: Uint8Array): { encoding: ManifestEncoding; length: number } | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

/** Options of {@link openText}. */
export interface OpenTextOptions {
  /** Encoding used when the file has no byte-order mark (see {@link resolveEncoding}). */
  encoding?: string;
  /** Called with every chunk of raw bytes read, in order (for hashing). */
  onBytes?: (chunk: Buffer) => void;
  /** Read chunk size in bytes (default 64 KiB). */
  chunkSize?: number;
}

/** An opened manifest: its encoding and its text as LF-normalised pieces. */
export interface TextSource {
  encoding: ManifestEncoding;
  bom: boolean;
  /**
   * The decoded text in pieces of arbitrary size (a piece may end mid-line). Line endings are `\n`.
   * Iterating it throws {@link ManifestError} for undecodable bytes or NUL characters.
   */
  pieces: AsyncGenerator<string, void, undefined>;
}

/**
 * Opens a manifest file for streaming text. Reads the first bytes to recognise a byte-order mark.
 * @throws ManifestError when the file cannot be read, is a ZIP/OLE (Excel workbook) file, or the
 *   encoding option is unsupported.
 */
export async function openText(file: string, options: OpenTextOptions = {}): Promise<TextSource> {
  const requested = resolveEncoding(file, options.encoding);
  const stream = createReadStream(file, { highWaterMark: options.chunkSize ?? 64 * 1024 });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  try {
    while (headLength < 4) {
      const next = await chunks.next();
      if (next.done) {
        done = true;
        break;
      }
      options.onBytes?.(next.value);
      head.push(next.value);
      headLength += next.value.length;
    }
  } catch (err) {
    stream.destroy();
    throw readError(file, err);
  }
  const first = Buffer.concat(head);
  checkNotWorkbook(file, first, stream);
  const bom = sniffBom(first);
  const encoding = bom?.encoding ?? requested;
  const start = first.subarray(bom?.length ?? 0);
  return {
    encoding,
    bom: bom !== undefined,
    pieces: decodePieces(file, encoding, start, done ? undefined : chunks, options.onBytes, () => stream.destroy()),
  };
}

function checkNotWorkbook(file: string, first: Buffer, stream: { destroy(): void }): void {
  const zip = first[0] === 0x50 && first[1] === 0x4b && first[2] === 0x03 && first[3] === 0x04;
  const ole = first[0] === 0xd0 && first[1] === 0xcf && first[2] === 0x11 && first[3] === 0xe0;
  if (zip || ole) {
    stream.destroy();
    throw new ManifestError(
      file,
      `this is ${zip ? 'a ZIP archive (an Excel .xlsx workbook?)' : 'an OLE file (an Excel .xls workbook?)'}, not a text manifest; ` +
        'save it as "CSV UTF-8" or export JSON',
      { line: 1 },
    );
  }
}

function readError(file: string, err: unknown): ManifestError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (code ?? String(err));
  return new ManifestError(file, `cannot read the file: ${why}`);
}

/** Bytes per code unit and a code-unit reader for an encoding. */
function unitReader(encoding: ManifestEncoding): { size: 1 | 2; at: (b: Uint8Array, i: number) => number } {
  if (encoding === 'utf-16le') return { size: 2, at: (b, i) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) };
  if (encoding === 'utf-16be') return { size: 2, at: (b, i) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0) };
  return { size: 1, at: (b, i) => b[i] ?? 0 };
}

/**
 * Length of the prefix of `buf` that ends on a character boundary, so that a multi-byte character
 * split across read chunks is decoded whole. Invalid bytes are left for the strict decoder to reject.
 */
export function safeCut(buf: Uint8Array, encoding: ManifestEncoding): number {
  const len = buf.length;
  if (encoding === 'windows-1252') return len;
  if (encoding === 'utf-8') {
    for (let k = 1; k <= Math.min(4, len); k++) {
      const b = buf[len - k] ?? 0;
      if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
      if (b < 0xc0) return len; // ASCII (or stray byte): boundary at the end
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return need > k ? len - k : len;
    }
    return len;
  }
  const { at } = unitReader(encoding);
  const even = len - (len % 2);
  if (even >= 2) {
    const unit = at(buf, even - 2);
    if (unit >= 0xd800 && unit <= 0xdbff) return even - 2; // high surrogate: wait for its pair
  }
  return even;
}

async function* decodePieces(
  file: string,
  encoding: ManifestEncoding,
  start: Buffer,
  rest: AsyncIterator<Buffer> | undefined,
  onBytes: ((chunk: Buffer) => void) | undefined,
  close: () => void,
): AsyncGenerator<string, void, undefined> {
  const decode = strictDecoder(encoding);
  let linesDone = 0; // line breaks already yielded
  let pendingCR = false;

  const nulError = (line: number): ManifestError =>
    new ManifestError(
      file,
      'contains a NUL character: this is a binary file, not a text manifest (or UTF-16 text without a byte-order mark: ' +
        'save it again as "CSV UTF-8", or as Excel\'s "Unicode Text", which writes one)',
      { line },
    );

  const convert = (bytes: Uint8Array): string => {
    let text: string;
    try {
      text = decode(bytes);
    } catch {
      // A NUL byte: a binary file (an image, an archive), not a text in another encoding.
      const nulByte = encoding === 'utf-8' ? bytes.indexOf(0) : -1;
      if (nulByte >= 0) throw nulError(linesDone + countByte(bytes, 0x0a, nulByte) + 1);
      const line = linesDone + locateBadLine(bytes, encoding, decode);
      throw new ManifestError(
        file,
        `not valid ${encoding === 'utf-8' ? 'UTF-8' : encoding.toUpperCase()} text` +
          (encoding === 'utf-8' ? '; if Excel saved it as plain "CSV" rather than "CSV UTF-8", pass encoding \'windows-1252\'' : ''),
        { line },
      );
    }
    if (pendingCR) {
      text = `\r${text}`;
      pendingCR = false;
    }
    if (text.endsWith('\r')) {
      pendingCR = true;
      text = text.slice(0, -1);
    }
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    const nul = text.indexOf('\0');
    if (nul >= 0) throw nulError(linesDone + countLines(text, 0, nul) + 1);
    linesDone += countLines(text, 0, text.length);
    return text;
  };

  try {
    let carry: Buffer = start;
    for (;;) {
      const next = rest
        ? await rest.next().catch((err: unknown) => {
            throw readError(file, err);
          })
        : { done: true as const, value: undefined };
      if (next.done) break;
      onBytes?.(next.value);
      const buf = carry.length ? Buffer.concat([carry, next.value]) : next.value;
      const cut = safeCut(buf, encoding);
      carry = Buffer.from(buf.subarray(cut));
      if (cut > 0) {
        const text = convert(buf.subarray(0, cut));
        if (text) yield text;
      }
    }
    if (carry.length) {
      const text = convert(carry);
      if (text) yield text;
    }
    if (pendingCR) yield '\n';
  } finally {
    close();
  }
}

/** How many times `byte` occurs in `bytes` before index `to`. */
function countByte(bytes: Uint8Array, byte: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte); i >= 0 && i < to; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * A decoder for whole pieces that throws on invalid input (never substitutes U+FFFD) and keeps a
 * leading U+FEFF (the byte-order mark is removed before decoding).
 */
function strictDecoder(encoding: ManifestEncoding): (bytes: Uint8Array) => string {
  if (encoding === 'windows-1252') return decodeWindows1252;
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  return (bytes) => decoder.decode(bytes);
}

/** 1-based line, within `bytes`, of the first line that does not decode. */
function locateBadLine(bytes: Uint8Array, encoding: ManifestEncoding, decode: (bytes: Uint8Array) => string): number {
  const { size, at } = unitReader(encoding);
  let line = 1;
  let segmentStart = 0;
  for (let i = 0; i + size <= bytes.length; i += size) {
    if (at(bytes, i) !== 0x0a) continue;
    const segment = bytes.subarray(segmentStart, i + size);
    try {
      const text = decode(segment);
      line += (text.replace(/\r\n?/g, '\n').match(/\n/g) ?? []).length;
    } catch {
      return line;
    }
    segmentStart = i + size;
  }
  return line;
}

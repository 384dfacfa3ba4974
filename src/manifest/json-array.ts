/**
 * A small streaming splitter for a JSON manifest: a top-level array of objects, `[{…}, {…}]`.
 * It only finds where each element starts and ends (tracking strings, escapes and nesting);
 * each element's text is then parsed by `JSON.parse`, so JSON syntax is still checked by the runtime.
 * Memory: one element at a time.
 */
import { ManifestError } from './errors.js';
import { MAX_RECORD_CHARS } from './limits.js';

/** One element of the top-level array, as text. */
export interface JsonElement {
  /** The element's JSON text (an object). */
  text: string;
  /** 1-based line where the element starts. */
  line: number;
  /** 1-based position in the array. */
  index: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);

/**
 * Streams the elements of a top-level JSON array of objects.
 * @throws ManifestError when the text is empty, is not an array, has an element that is not an object,
 *   a missing or extra comma, text after the closing `]`, an element longer than
 *   {@link MAX_RECORD_CHARS}, or ends before the array is closed.
 */
export async function* jsonArrayElements(file: string, pieces: AsyncIterable<string>): AsyncGenerator<JsonElement, void, undefined> {
  type State = 'start' | 'before' | 'in' | 'after-element' | 'done';
  let state = 'start' as State;
  let afterComma = false;
  let line = 1;
  let index = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let buffer = '';
  let elementLine = 1;
  let sawText = false;

  const fail = (detail: string, at = line): never => {
    throw new ManifestError(file, detail, { line: at });
  };

  for await (const piece of pieces) {
    let segStart = 0; // start of the element text within this piece, when state is 'in'
    for (let i = 0; i < piece.length; i++) {
      const ch = piece[i]!;
      if (state === 'in') {
        if (ch === '\n') line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (ch === '\\') escaped = true;
          else if (ch === '"') inString = false;
          continue;
        }
        if (ch === '"') inString = true;
        else if (ch === '{' || ch === '[') depth++;
        else if (ch === '}' || ch === ']') {
          depth--;
          if (depth === 0) {
            buffer += piece.slice(segStart, i + 1);
            if (buffer.length > MAX_RECORD_CHARS) fail(`element ${index} is longer than ${MAX_RECORD_CHARS} characters`, elementLine);
            yield { text: buffer, line: elementLine, index };
            buffer = '';
            state = 'after-element';
          }
        }
        continue;
      }
      if (ch === '\n') {
        line++;
        continue;
      }
      if (WS.has(ch)) continue;
      sawText = true;
      switch (state) {
        case 'start':
          if (ch !== '[') {
            fail(
              'not a JSON array: a JSON manifest is an array of objects, [{"id": "…", …}, …]' +
                (ch === '{' ? '; for one object per line, name the file .jsonl or pass format jsonl' : ''),
            );
          }
          state = 'before';
          afterComma = false;
          break;
        case 'before':
          if (ch === ']') {
            if (afterComma) fail('a comma before "]" (trailing comma) is not allowed in JSON');
            state = 'done';
          } else if (ch === '{') {
            index++;
            state = 'in';
            depth = 1;
            inString = false;
            escaped = false;
            elementLine = line;
            segStart = i;
            buffer = '';
          } else if (ch === ',') {
            fail(afterComma ? 'two commas in a row' : 'a comma before the first element');
          } else {
            fail(`element ${index + 1} is not an object: every element of the array must be {…}`);
          }
          break;
        case 'after-element':
          if (ch === ',') {
            state = 'before';
            afterComma = true;
          } else if (ch === ']') {
            state = 'done';
          } else {
            fail(`expected "," or "]" after element ${index}, found ${JSON.stringify(ch)}`);
          }
          break;
        case 'done':
          fail(`unexpected text after the closing "]": ${JSON.stringify(ch)}`);
      }
    }
    if (state === 'in') {
      buffer += piece.slice(segStart);
      if (buffer.length > MAX_RECORD_CHARS) fail(`element ${index} is longer than ${MAX_RECORD_CHARS} characters`, elementLine);
    }
  }
  if (!sawText) fail('the file is empty: expected a JSON array of objects', 1);
  if (state === 'in') fail(`the file ends inside element ${index} (an unclosed "{" or string)`, elementLine);
  if (state !== 'done') fail('the file ends before the array is closed with "]"');
}

/**
 * Splitting LF-normalised text pieces into lines (for JSON Lines manifests), streamed.
 */
import { ManifestError } from './errors.js';
import { MAX_RECORD_CHARS } from './limits.js';

/** One line of text without its line break, with its 1-based line number. */
export interface TextLine {
  text: string;
  line: number;
}

/**
 * Streams the lines of the text (a final line without a line break included).
 * @throws ManifestError when a line is longer than {@link MAX_RECORD_CHARS}.
 */
export async function* textLines(file: string, pieces: AsyncIterable<string>): AsyncGenerator<TextLine, void, undefined> {
  let rest = '';
  let line = 1;
  for await (const piece of pieces) {
    let text = rest + piece;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield { text: text.slice(start, nl), line: line++ };
      start = nl + 1;
    }
    rest = text.slice(start);
    text = '';
    if (rest.length > MAX_RECORD_CHARS) {
      throw new ManifestError(file, `line is longer than ${MAX_RECORD_CHARS} characters`, { line });
    }
  }
  if (rest !== '') yield { text: rest, line };
}

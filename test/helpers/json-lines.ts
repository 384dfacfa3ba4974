/** Reading a `--log-format json` run's stderr. */

/** Every stderr line as parsed JSON; fails naming the first line that is not one JSON object. */
export function jsonLines(stderr: string): Array<Record<string, unknown>> {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`stderr line is not JSON: ${line}\n--- whole stderr ---\n${stderr}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`stderr line is not a JSON object: ${line}`);
    return parsed as Record<string, unknown>;
  });
}

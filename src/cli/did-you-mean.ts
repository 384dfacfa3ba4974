/** "Did you mean --dry-run?": the nearest known name to a mistyped command or flag. Pure. */

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate nearest to `word` (case-insensitive), if it is near enough: at most 1 edit for short words, 2 for 5+ characters, 3 for 10+. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const limit = w.length >= 10 ? 3 : w.length >= 5 ? 2 : 1;
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { name: c, d };
  }
  return best?.name;
}

/** Yargs' "Unknown argument(s): a, b" with a suggestion for each, among the command's flags (kebab-case). */
export function withFlagSuggestions(message: string, flags: readonly string[]): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  if (!m) return message;
  const hints = m[1]!
    .split(', ')
    .filter((a) => !/[A-Z]/.test(a)) // yargs names a mistyped --dry-rn twice, as dry-rn and dryRn
    .map((a) => [a, didYouMean(a, flags)] as const)
    .filter(([, s]) => s !== undefined)
    .map(([a, s]) => `--${a}: did you mean --${s}?`);
  return hints.length ? `${message} (${hints.join('; ')})` : message;
}

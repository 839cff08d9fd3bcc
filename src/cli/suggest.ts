// "Did you mean…?" for a mistyped setting key or command: the same name in another case, or the
// closest name within a small edit distance.

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The known name the user most likely meant, or null when none is close enough. */
export function closest(word: string, known: readonly string[]): string | null {
  const same = known.find((k) => k.toLowerCase() === word.toLowerCase());
  if (same) return same;
  // A third of the word's length, at least 1 and at most 3 edits: "smtpHots" finds smtpHost,
  // "x" finds nothing.
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : null;
}

// "Did you mean" for names an operator typed: the closest candidate by edit distance.

/** Case-insensitive Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
    }
    row = next;
  }
  return row[t.length] ?? 0;
}

/**
 * The candidate closest to `word`, if it is close enough to be a typo (at most a third of the
 * word's length in edits, at least one) or reads as an abbreviation of it (same first letter,
 * the word's letters in order: mnt for mount). Ties go to the earlier candidate.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Long words are never typos of short names, and this keeps the cost bounded.
  if (word.length > 100) return undefined;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best ?? candidates.find((c) => abbreviates(word, c));
}

function abbreviates(short: string, long: string): boolean {
  const s = short.toLowerCase();
  const l = long.toLowerCase();
  if (s.length < 3 || s.length >= l.length || s[0] !== l[0]) return false;
  let i = 0;
  for (const c of l) if (c === s[i]) i++;
  return i === s.length;
}

// One word for /bin/sh: used wherever Haven writes a command line a shell will read (the dead
// man switch's halt script, the traces' command lines, the fixes an error message suggests).

/** `word` as one shell word: as it is when it needs no quoting, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// Durations in the cluster file are written with a unit, as an administrator would say them:
// "200ms", "5s", "2m", "1h30m". A bare number is refused, because "interval: 1" is ambiguous.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** The pattern the JSON Schema publishes for editors; parseDuration is the authority. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 32) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(text); m !== null; m = PART.exec(text)) {
    const [all, amount, unit] = m;
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    consumed += all.length;
  }
  if (consumed !== text.length) return undefined;
  return Math.round(total);
}

/** A short human form: 800 -> "800ms", 1500 -> "1.5s", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Number(((ms % 60_000) / 1000).toFixed(3));
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/**
 * Wording helpers shared by the schema and the issue mapper: how to show a
 * user's value inside a one-line message, and the did-you-mean suggestion.
 */

const MAX_SHOWN = 60;

/** A value as it appears in a message: JSON-quoted (so control characters stay visible), cut to one short line. */
export function quote(value: unknown): string {
  const text = JSON.stringify(String(value)) ?? '""';
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 2)}…"` : text;
}

/** `a string "x"`, `the number 5`, `a list`, `a mapping`, `an empty value`: what the user wrote. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value (null)';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = [];
  for (let i = 0; i <= s.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= t.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return (rows[s.length] as number[])[t.length] as number;
}

/** The allowed word nearest to `word`, when it is near enough to be a plausible typo. */
export function nearest(word: string, allowed: readonly string[]): string | undefined {
  // Long keys are compared cut short: a hostile key of a megabyte must not cost a megabyte squared.
  const probe = word.slice(0, 64);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(probe, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(probe.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** `unknown key "nmae"; did you mean "name"? allowed keys: name, region`. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const guess = nearest(key, allowed);
  const hint = guess === undefined ? '' : `; did you mean ${quote(guess)}?`;
  const list = allowed.length > 0 ? ` allowed keys: ${allowed.join(', ')}` : ' no keys are allowed here';
  return `unknown key ${quote(key)}${hint}${hint ? '' : ';'}${list}`;
}

/**
 * Optimal-string-alignment distance (edits, with a swap of neighbours counting as one), with an
 * early exit once every alignment costs more than `limit`.
 */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const up = rows[i - 1] ?? [];
      let v = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > limit) return limit + 1;
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? limit + 1;
}

/**
 * The closest known name to a misspelled one, if it is close enough to be a plausible typo: the
 * same name in another case, a known name it abbreviates (4+ characters), or one within a third of
 * its length in edits (at least 1, at most 3). Ties go to the name listed first.
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  if (name.length > 64) return undefined;
  const lower = name.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase(), limit);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  if (best) return best;
  return lower.length >= 4 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
}

/** `(did you mean "x"?)` or `(expected one of: a, b, c)`, for an unknown name among known ones. */
export function hint(name: string, known: readonly string[]): string {
  const near = closest(name, known);
  return near ? `(did you mean "${near}"?)` : `(expected one of: ${known.join(', ')})`;
}

/** Quotes a user-provided value for a message, cut short so a 10 MB value cannot flood the output. */
export function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(shown);
}

/** Like hint, for references: says so when nothing of the kind is defined at all. */
export function refHint(name: string, known: readonly string[], none: string): string {
  return known.length === 0 ? `(${none})` : hint(name, known);
}

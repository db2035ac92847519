// "Did you mean": PMU names close to a misspelt one.

/** Names sharing a word (of 3+ letters) with `name`, or within a small edit distance. */
export function closeMatches(name: string, names: readonly string[]): string[] {
  const words = name
    .toLowerCase()
    .split(/[_\-.\d]+/)
    .filter((w) => w.length >= 3 && w !== 'pmu');
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return d[b.length]!;
  };
  return names
    .map((n) => ({ n, d: dist(name.slice(0, 64), n) }))
    .filter(({ n, d }) => d <= 3 || words.some((w) => n.toLowerCase().includes(w)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 6)
    .map(({ n }) => n);
}

// perf list GLOB's event test: `*GLOB*` over `pmu/event/` or the event's own name, case-insensitively, in time linear in each tried string times the glob.

type Token = { readonly kind: 'star' } | { readonly kind: 'one'; readonly test: (ch: string) => boolean };

/** The glob's tokens: `*`, `?`, a `[...]` class (ranges allowed), a backslash-quoted or plain character; all compared in lower case. */
function tokens(glob: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    const close = ch === '[' ? glob.indexOf(']', i + 2) : -1;
    if (ch === '*') out.push({ kind: 'star' });
    else if (ch === '?') out.push({ kind: 'one', test: () => true });
    else if (close > 0) {
      const set = glob.slice(i + 1, close).toLowerCase();
      i = close;
      out.push({ kind: 'one', test: (c) => inClass(set, c) });
    } else {
      const lit = (ch === '\\' && i + 1 < glob.length ? glob[++i]! : ch).toLowerCase();
      out.push({ kind: 'one', test: (c) => c === lit });
    }
  }
  return out;
}

function inClass(set: string, c: string): boolean {
  for (let k = 0; k < set.length; k++) {
    if (set[k + 1] === '-' && k + 2 < set.length) {
      if (c >= set[k]! && c <= set[k + 2]!) return true;
      k += 2;
    } else if (set[k] === c) return true;
  }
  return false;
}

/** Whole-string match, backtracking only to the last star: at most (string length) x (tokens) steps. */
function matches(pattern: readonly Token[], text: string): boolean {
  const s = text.toLowerCase();
  let p = 0;
  let i = 0;
  let star = -1;
  let resume = 0;
  while (i < s.length) {
    const t = pattern[p];
    if (t?.kind === 'star') {
      star = p++;
      resume = i;
    } else if (t?.test(s[i]!)) {
      p++;
      i++;
    } else if (star >= 0) {
      p = star + 1;
      i = ++resume;
    } else return false;
  }
  while (pattern[p]?.kind === 'star') p++;
  return p === pattern.length;
}

/** Whether perf list GLOB shows the event: perf wraps the glob in stars and tries `pmu/event/`, then the bare name. */
export function perfListMatcher(glob: string): (pmu: string, event: string) => boolean {
  const pattern = tokens(`*${glob}*`);
  return (pmu, event) => matches(pattern, `${pmu}/${event}/`) || matches(pattern, event);
}

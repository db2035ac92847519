// perf list GLOB's event test: `*GLOB*` over `pmu/event/` or the event's own name, as perf's glob matches, in time linear in each tried string times the glob.

type Token = { readonly kind: 'star' } | { readonly kind: 'one'; readonly test: (ch: string) => boolean };

/**
 * The glob's tokens as perf's glob reads them: `*`, `?`, a `[...]` or
 * `[!...]` class, a backslash-quoted or plain character. Plain characters
 * compare in any case; a class compares each character as it is.
 */
function tokens(glob: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') out.push({ kind: 'star' });
    else if (ch === '?') out.push({ kind: 'one', test: () => true });
    else if (ch === '[') {
      const complement = glob[i + 1] === '!';
      const first = i + (complement ? 2 : 1);
      // The first character is a member even when it is ']'; the class ends at the next ']'.
      const close = first < glob.length ? glob.indexOf(']', first + 1) : -1;
      if (close < 0) {
        // An unclosed class matches nothing (perf's matcher gives up there).
        out.push({ kind: 'one', test: () => false });
        break;
      }
      const members = glob.slice(first, close);
      i = close;
      out.push({ kind: 'one', test: (c) => inClass(members, complement, c) });
    } else {
      const lit = (ch === '\\' && i + 1 < glob.length ? glob[++i]! : ch).toLowerCase();
      out.push({ kind: 'one', test: (c) => c.toLowerCase() === lit });
    }
  }
  return out;
}

/**
 * A class test in perf's order: members are tried left to right, and a range
 * whose ends are reversed fails the whole test when it is reached (without
 * the complement), so `[3-1]` matches only '3'.
 */
function inClass(members: string, complement: boolean, c: string): boolean {
  if (members[0] === c) return !complement;
  for (let k = 1; k < members.length; ) {
    if (members[k] === '-' && k + 1 < members.length) {
      const lo = members[k - 1]!;
      const hi = members[k + 1]!;
      if (lo <= c && c <= hi) return !complement;
      if (lo > hi) return false;
      k += 2;
    } else if (members[k++] === c) return !complement;
  }
  return complement;
}

/** Whole-string match, backtracking only to the last star: at most (string length) x (tokens) steps. */
function matches(pattern: readonly Token[], text: string): boolean {
  const s = text;
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

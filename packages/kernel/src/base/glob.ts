/**
 * Shell-style globs (`*`, `?`, everything else literal) matched without
 * backtracking: the pattern splits at `*` into segments, the first must match
 * the start, the last the end, and each middle one is taken at its leftmost
 * place. Leftmost is always safe for globs, so the cost is at most
 * (|text| + 1) x (|pattern| + 1) character comparisons, however many stars.
 */
import type { WorkCounter } from '../time/work.js';
import { describeValue, kerr } from './errors.js';

export interface GlobMatcher {
  readonly pattern: string;
  test(text: string): boolean;
}

function segmentAt(text: string, at: number, seg: string): boolean {
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Compile a glob; `work`, if given, is charged one step per character compared. */
export function compileGlob(pattern: string, work?: WorkCounter): GlobMatcher {
  if (typeof pattern !== 'string') throw kerr('EINVAL', `a glob must be a string, got ${describeValue(pattern)}`);
  const segments = pattern.split('*');
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const starred = segments.length > 1;
  const test = (text: string): boolean => {
    let steps = 0;
    try {
      if (!starred) {
        steps += first.length;
        return text.length === first.length && segmentAt(text, 0, first);
      }
      if (text.length < first.length + last.length) return false;
      steps += first.length + last.length;
      if (!segmentAt(text, 0, first) || !segmentAt(text, text.length - last.length, last)) return false;
      let at = first.length;
      const end = text.length - last.length;
      for (let s = 1; s < segments.length - 1; s++) {
        const seg = segments[s]!;
        if (seg.length === 0) continue;
        let found = -1;
        for (let i = at; i + seg.length <= end; i++) {
          steps += seg.length;
          if (segmentAt(text, i, seg)) {
            found = i;
            break;
          }
        }
        if (found < 0) return false;
        at = found + seg.length;
      }
      return true;
    } finally {
      work?.add(steps + 1);
    }
  };
  return { pattern, test };
}

// The lexical rules of perf's event grammar: numbers, modifiers and the splitting of lists into items and terms.
import { KernelError } from '@cspmu/kernel';

/** A parse error with the column (1-based) and the offending text. */
export class EventParseError extends KernelError {
  constructor(
    readonly input: string,
    readonly column: number,
    readonly term: string,
    message: string,
  ) {
    super('EINVAL', `event syntax error at column ${column} ('${term}'): ${message}\n  ${input}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
    this.name = 'EventParseError';
  }
}

const U64_MAX = (1n << 64n) - 1n;
/** perf's lexer: decimal digits, or a lower-case `0x` and hex digits; the value must fit a u64 (strtoull without ERANGE). */
const NUM = /^(?:0x[0-9a-fA-F]+|[0-9]+)$/;

export function parseNumber(v: string, input: string, col: number, term: string): bigint {
  if (!NUM.test(v))
    throw new EventParseError(input, col, term, `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}' is not a number (decimal, or 0x and hex digits)`);
  const n = BigInt(v.startsWith('0x') ? v : v.replace(/^0+(?=\d)/, ''));
  if (n > U64_MAX) throw new EventParseError(input, col, term, `${v.length > 40 ? `${v.slice(0, 40)}…` : v} does not fit in 64 bits`);
  return n;
}

/** What a modifier string sets, as perf's get_event_modifier computes it. */
export interface ModifierBits {
  readonly exclude_user: boolean;
  readonly exclude_kernel: boolean;
  readonly exclude_hv: boolean;
  readonly exclude_guest: boolean;
  readonly exclude_host: boolean;
  readonly exclude_idle: boolean;
  readonly precise_ip: number;
  readonly pinned: boolean;
  readonly exclusive: boolean;
  /** A G or H modifier was given: later u/p modifiers leave exclude_guest alone. */
  readonly excludeGH: boolean;
}

/** Without modifiers perf counts host only: exclude_guest is its default. */
export const NO_MODIFIERS: ModifierBits = {
  exclude_user: false,
  exclude_kernel: false,
  exclude_hv: false,
  exclude_guest: true,
  exclude_host: false,
  exclude_idle: false,
  precise_ip: 0,
  pinned: false,
  exclusive: false,
  excludeGH: false,
};

/** perf 6.1's event modifiers (R came later). Each may appear once, except p (up to three times). */
export const MODIFIER_CHARS = 'ukhpPGHSDIWeb';

export function checkModifiers(mods: string, input: string, col: number): void {
  const seen = new Set<string>();
  let p = 0;
  for (let i = 0; i < mods.length; i++) {
    const m = mods[i]!;
    if (!MODIFIER_CHARS.includes(m)) throw new EventParseError(input, col + i, m, `unknown modifier '${m}'; perf's modifiers are ${MODIFIER_CHARS}`);
    if (m === 'p') {
      if (++p > 3) throw new EventParseError(input, col + i, m, 'at most three p (precise) modifiers');
    } else if (seen.has(m)) throw new EventParseError(input, col + i, m, `modifier '${m}' is given twice`);
    seen.add(m);
  }
}

/**
 * The attr bits a modifier string sets, starting from `base` (an event's own
 * modifiers when a group's are applied on top). u/k/h first exclude all three
 * privilege levels then include the named ones; u and p also exclude guests;
 * G/H likewise for guest and host.
 */
export function modifierBits(mods: string, base?: ModifierBits): ModifierBits {
  if (mods === '') return base ?? NO_MODIFIERS;
  // An event's own modifiers start from nothing (the host-only default is dropped); a group's start from the member's bits.
  const b = base ?? { ...NO_MODIFIERS, exclude_guest: false };
  let eu = b.exclude_user,
    ek = b.exclude_kernel,
    eh = b.exclude_hv;
  let eG = b.exclude_guest,
    eH = b.exclude_host;
  let exclude = eu || ek || eh;
  let excludeGH = b.excludeGH;
  let eI = b.exclude_idle,
    precise = b.precise_ip,
    pinned = b.pinned,
    exclusive = b.exclusive;
  for (const m of mods) {
    if (m === 'u' || m === 'k' || m === 'h') {
      if (!exclude) exclude = eu = ek = eh = true;
      if (m === 'u') {
        if (!excludeGH) eG = true;
        eu = false;
      } else if (m === 'k') ek = false;
      else eh = false;
    } else if (m === 'G' || m === 'H') {
      if (!excludeGH) excludeGH = eG = eH = true;
      if (m === 'G') eG = false;
      else eH = false;
    } else if (m === 'I') eI = true;
    else if (m === 'p') {
      precise++;
      if (!excludeGH) eG = true;
    } else if (m === 'D') pinned = true;
    else if (m === 'e') exclusive = true;
  }
  return {
    exclude_user: eu,
    exclude_kernel: ek,
    exclude_hv: eh,
    exclude_guest: eG,
    exclude_host: eH,
    exclude_idle: eI,
    precise_ip: precise,
    pinned,
    exclusive,
    excludeGH,
  };
}

/** Splits `text` at top-level commas (outside {} and /…/), keeping columns. */
export function splitTop(text: string, base: number, input: string): { text: string; col: number }[] {
  const out: { text: string; col: number }[] = [];
  let depth = 0;
  let slash = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '/') slash = !slash;
    else if (!slash && c === '{') depth++;
    else if (!slash && c === '}') {
      depth--;
      if (depth < 0) throw new EventParseError(input, base + i, '}', "'}' without a matching '{'");
    } else if ((c === ',' && depth === 0 && !slash) || c === undefined) {
      out.push({ text: text.slice(start, i), col: base + start });
      start = i + 1;
    }
  }
  if (depth > 0) throw new EventParseError(input, base + text.lastIndexOf('{'), '{', "'{' is never closed");
  if (slash) throw new EventParseError(input, base + text.lastIndexOf('/'), '/', "the PMU's term list is never closed with '/'");
  return out;
}

export interface Term {
  readonly key: string;
  readonly value: string | undefined;
  readonly col: number;
}

/** `a=1,b,c=0x2` → terms with their columns. */
export function splitTerms(body: string, col: number, input: string): Term[] {
  if (body.trim() === '') return [];
  const terms: Term[] = [];
  let at = 0;
  for (const raw of body.split(',')) {
    const c = col + at;
    at += raw.length + 1;
    const t = raw.trim();
    if (t === '') throw new EventParseError(input, c, ',', 'empty term');
    const eq = t.indexOf('=');
    const key = eq < 0 ? t : t.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new EventParseError(input, c, t, `'${key}' is not a term name`);
    terms.push({ key, value: eq < 0 ? undefined : t.slice(eq + 1), col: c + (raw.length - raw.trimStart().length) });
  }
  return terms;
}

import { compileGlob, KernelError } from '@cspmu/kernel';
import type { PerfEventAttr } from './attr.js';
import { PERF_COUNT_SW, PERF_TYPE } from './constants.js';
import { encodeFormat, formatMask, parseFormat, type ConfigField, type FormatField } from './format.js';

/** What the grammar needs to know of a PMU (what perf reads from sysfs). */
export interface PmuDescription {
  readonly name: string;
  readonly type: number;
  /** format name → `config1:0-9` */
  readonly formats: ReadonlyMap<string, string>;
  /** event name → `event=0x1a5` (may carry several terms) */
  readonly events: ReadonlyMap<string, string>;
}

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

export interface ParsedEvent {
  /** As perf would print it (`nvidia_scf_pmu_0/cmem_rd_data/`). */
  readonly display: string;
  readonly pmu: string;
  readonly attr: PerfEventAttr;
  /** Events with the same group number form one group; the first is its leader. */
  readonly group: number | undefined;
  readonly modifiers: string;
  /** The named event used (from the PMU's events directory), for its .scale and .unit. */
  readonly eventName?: string;
}

const MODIFIERS = 'ukhpPGHSDIWebR';
const NUM = /^(?:0[xX][0-9a-fA-F]{1,16}|[0-9]+)$/;
const STATIC_TERMS: ReadonlySet<string> = new Set(['config', 'config1', 'config2', 'config3', 'name', 'period', 'freq']);

interface Term {
  readonly key: string;
  readonly value: string | undefined;
  readonly col: number;
}

/** Splits `text` at top-level commas (outside {} and /…/), keeping columns. */
function splitTop(text: string, base: number, input: string): { text: string; col: number }[] {
  const out: { text: string; col: number }[] = [];
  let depth = 0;
  let slash = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '/' ) slash = !slash;
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

function parseNumber(v: string, input: string, col: number, term: string): bigint {
  if (!NUM.test(v)) throw new EventParseError(input, col, term, `'${v}' is not a number (decimal, or 0x followed by 1 to 16 hex digits)`);
  return BigInt(v.toLowerCase().startsWith('0x') ? v : v.replace(/^0+(?=\d)/, ''));
}

function checkModifiers(mods: string, input: string, col: number): void {
  const seen = new Set<string>();
  for (let i = 0; i < mods.length; i++) {
    const m = mods[i]!;
    if (!MODIFIERS.includes(m)) throw new EventParseError(input, col + i, m, `unknown modifier '${m}'; modifiers are ${MODIFIERS}`);
    if (seen.has(m)) throw new EventParseError(input, col + i, m, `modifier '${m}' is given twice`);
    seen.add(m);
  }
}

/** Exclude bits from u/k/h modifiers, as perf sets them. */
function excludeBits(mods: string): Partial<PerfEventAttr> {
  const u = mods.includes('u'), k = mods.includes('k'), h = mods.includes('h');
  if (!u && !k && !h) return {};
  return { exclude_user: !u, exclude_kernel: !k, exclude_hv: !h };
}

/** Names sharing a word (of 3+ letters) with `name`, or within a small edit distance. */
export function closeMatches(name: string, names: readonly string[]): string[] {
  const words = name.toLowerCase().split(/[_\-.\d]+/).filter((w) => w.length >= 3 && w !== 'pmu');
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
    .map((n) => ({ n, d: dist(name, n) }))
    .filter(({ n, d }) => d <= 3 || words.some((w) => n.toLowerCase().includes(w)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 6)
    .map(({ n }) => n);
}


/**
 * The perf event grammar: `pmu/term=value,…/mods`, groups `{…}:mods`,
 * named events from a PMU's events, format fields (non-contiguous bit lists
 * filled from the lowest bit up), config/config1/config2/config3, decimal and
 * 0x values, PMU prefix and glob matching across instances, `cpu-clock`,
 * `task-clock` and raw `rNNN`.
 */
export class EventGrammar {
  private readonly formats = new Map<string, Map<string, FormatField>>();

  constructor(private readonly pmus: readonly PmuDescription[]) {
    for (const p of pmus) {
      const m = new Map<string, FormatField>();
      for (const [name, text] of p.formats) m.set(name, parseFormat(name, text));
      this.formats.set(p.name, m);
    }
  }

  /** PMUs a name selects: exact, glob, or prefix of `<name>_<n>` instances. */
  matchPmus(name: string): PmuDescription[] {
    const exact = this.pmus.filter((p) => p.name === name);
    if (exact.length) return exact;
    if (/[*?]/.test(name)) {
      const re = compileGlob(name);
      return this.pmus.filter((p) => re.test(p.name));
    }
    return this.pmus.filter((p) => p.name.startsWith(`${name}_`) && /^\d+$/.test(p.name.slice(name.length + 1)));
  }

  parse(input: string): ParsedEvent[] {
    if (typeof input !== 'string' || input.trim() === '') throw new EventParseError(String(input), 1, '', 'no event given');
    const out: ParsedEvent[] = [];
    let groups = 0;
    for (const item of splitTop(input, 1, input)) {
      const t = item.text;
      const lead = t.length - t.trimStart().length;
      const text = t.trim();
      const col = item.col + lead;
      if (text === '') throw new EventParseError(input, col, ',', 'empty event (two commas in a row?)');
      if (text.startsWith('{')) {
        const close = text.lastIndexOf('}');
        const after = text.slice(close + 1);
        let mods = '';
        if (after !== '') {
          if (!after.startsWith(':')) throw new EventParseError(input, col + close + 1, after, "after a group only ':modifiers' may follow");
          mods = after.slice(1);
          checkModifiers(mods, input, col + close + 2);
        }
        const g = groups++;
        const members = splitTop(text.slice(1, close), col + 1, input);
        for (const m of members) {
          const mt = m.text.trim();
          const mc = m.col + (m.text.length - m.text.trimStart().length);
          if (mt === '') throw new EventParseError(input, mc, '{', 'empty event in group');
          for (const ev of this.parseOne(mt, mc, input)) out.push({ ...ev, group: g, modifiers: ev.modifiers + mods, attr: { ...ev.attr, ...excludeBits(ev.modifiers + mods) } });
        }
      } else {
        out.push(...this.parseOne(text, col, input));
      }
    }
    return out;
  }

  private parseOne(text: string, col: number, input: string): ParsedEvent[] {
    const slash = text.indexOf('/');
    if (slash < 0) return [this.parseSymbolic(text, col, input)];
    const pmuName = text.slice(0, slash);
    const close = text.indexOf('/', slash + 1);
    if (close < 0) throw new EventParseError(input, col + slash, '/', "the PMU's term list is never closed with '/'");
    const mods = text.slice(close + 1).replace(/^:/, '');
    checkModifiers(mods, input, col + close + 1 + (text[close + 1] === ':' ? 1 : 0));
    if (!/^[A-Za-z0-9_.*?:-]+$/.test(pmuName)) throw new EventParseError(input, col, pmuName || '/', `'${pmuName}' is not a PMU name`);
    const pmus = this.matchPmus(pmuName);
    if (pmus.length === 0) {
      const close = closeMatches(pmuName, this.pmus.map((p) => p.name));
      throw new EventParseError(input, col, pmuName, `unknown PMU '${pmuName}'${close.length ? `; close matches: ${close.slice(0, 6).join(', ')}` : ''}`);
    }
    const terms = this.splitTerms(text.slice(slash + 1, close), col + slash + 1, input);
    return pmus.map((p) => {
      const { attr, name, eventName } = this.applyTerms(p, terms, input);
      const display = name ?? (pmus.length > 1 ? `${p.name}${text.slice(slash)}` : text);
      return { display, pmu: p.name, attr: { ...attr, ...excludeBits(mods) }, group: undefined, modifiers: mods, ...(eventName ? { eventName } : {}) };
    });
  }

  private splitTerms(body: string, col: number, input: string): Term[] {
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

  private applyTerms(p: PmuDescription, terms: readonly Term[], input: string): { attr: PerfEventAttr; name: string | undefined; eventName: string | undefined } {
    const words: Record<ConfigField, bigint> = { config: 0n, config1: 0n, config2: 0n, config3: 0n };
    const set: Record<ConfigField, bigint> = { config: 0n, config1: 0n, config2: 0n, config3: 0n };
    let name: string | undefined;
    let eventName: string | undefined;
    let period = 0;
    let freq = 0;
    const formats = this.formats.get(p.name)!;
    const put = (f: FormatField, v: bigint, t: Term) => {
      let enc: bigint;
      try {
        enc = encodeFormat(f, v);
      } catch (e) {
        throw new EventParseError(input, t.col, `${t.key}=${t.value ?? ''}`, (e as KernelError).detail);
      }
      const mask = formatMask(f);
      words[f.config] = (words[f.config] & ~mask) | enc;
      set[f.config] |= mask;
    };
    const apply = (t: Term, fromEvent: string | undefined): void => {
      const where = fromEvent ? ` (from event '${fromEvent}')` : '';
      if (STATIC_TERMS.has(t.key)) {
        if (t.key === 'name') {
          if (!t.value) throw new EventParseError(input, t.col, t.key, 'name= needs a value');
          name = t.value;
          return;
        }
        const v = t.value === undefined ? 1n : parseNumber(t.value, input, t.col, t.key);
        if (t.key === 'period') period = Number(v);
        else if (t.key === 'freq') freq = Number(v);
        else {
          if (v >= 1n << 64n) throw new EventParseError(input, t.col, t.key, `value too big for ${t.key}`);
          words[t.key as ConfigField] = v;
          set[t.key as ConfigField] = (1n << 64n) - 1n;
        }
        return;
      }
      const f = formats.get(t.key);
      if (f) {
        if (t.value === '?') throw new EventParseError(input, t.col, t.key, `event needs a value for '${t.key}'${where}`);
        put(f, t.value === undefined ? 1n : parseNumber(t.value, input, t.col, t.key), t);
        return;
      }
      const ev = fromEvent === undefined ? p.events.get(t.key) : undefined;
      if (ev !== undefined) {
        if (t.value !== undefined) throw new EventParseError(input, t.col, t.key, `'${t.key}' is an event of ${p.name}; it takes no value`);
        eventName ??= t.key;
        for (const part of ev.trim().split(',')) {
          const eq = part.indexOf('=');
          apply({ key: (eq < 0 ? part : part.slice(0, eq)).trim(), value: eq < 0 ? undefined : part.slice(eq + 1).trim(), col: t.col }, t.key);
        }
        return;
      }
      const valid = [...formats.keys(), ...STATIC_TERMS].join(', ');
      throw new EventParseError(input, t.col, t.key, `unknown term '${t.key}' for PMU '${p.name}'${where}; valid terms: ${valid}; or an event name (cspmu list ${p.name})`);
    };
    for (const t of terms) apply(t, undefined);
    return {
      attr: {
        type: p.type,
        config: words.config,
        config1: words.config1,
        config2: words.config2,
        config3: words.config3,
        ...(period ? { sample_period: period } : {}),
        ...(freq ? { sample_freq: freq, freq: true } : {}),
      },
      name,
      eventName,
    };
  }

  private parseSymbolic(text: string, col: number, input: string): ParsedEvent {
    const [base, ...rest] = text.split(':');
    const mods = rest.join(':');
    if (rest.length > 1) throw new EventParseError(input, col + base!.length + 1 + rest[0]!.length, ':', 'only one :modifiers part is allowed');
    checkModifiers(mods, input, col + base!.length + 1);
    const name = base!;
    if (name === 'cpu-clock' || name === 'task-clock') {
      const config = BigInt(name === 'cpu-clock' ? PERF_COUNT_SW.CPU_CLOCK : PERF_COUNT_SW.TASK_CLOCK);
      return { display: text, pmu: 'software', attr: { type: PERF_TYPE.SOFTWARE, config, ...excludeBits(mods) }, group: undefined, modifiers: mods };
    }
    const raw = /^r([0-9a-fA-F]{1,16})$/.exec(name);
    if (raw) return { display: text, pmu: '', attr: { type: PERF_TYPE.RAW, config: BigInt(`0x${raw[1]}`), ...excludeBits(mods) }, group: undefined, modifiers: mods };
    const owners = this.pmus.filter((p) => p.events.has(name));
    if (owners.length === 1) {
      const p = owners[0]!;
      const { attr } = this.applyTerms(p, [{ key: name, value: undefined, col }], input);
      return { display: `${p.name}/${name}/${mods}`, pmu: p.name, attr: { ...attr, ...excludeBits(mods) }, group: undefined, modifiers: mods, eventName: name };
    }
    if (owners.length > 1) {
      throw new EventParseError(input, col, name, `event '${name}' exists on ${owners.length} PMUs (${owners.slice(0, 4).map((p) => p.name).join(', ')}${owners.length > 4 ? ', …' : ''}); write PMU/${name}/ or a PMU prefix like ${owners[0]!.name.replace(/_\d+$/, '')}/${name}/`);
    }
    throw new EventParseError(input, col, name, `unknown event '${name}'; use PMU/term=value/ (see cspmu list)`);
  }
}

/** A PmuDescription of a registered PMU from its sysfs text, as perf would read it. */
export function describeFromSysfs(name: string, type: number, formats: Iterable<[string, string]>, events: Iterable<[string, string]>): PmuDescription {
  const f = new Map<string, string>();
  for (const [k, v] of formats) f.set(k, v.trim());
  const e = new Map<string, string>();
  for (const [k, v] of events) if (!k.endsWith('.scale') && !k.endsWith('.unit')) e.set(k, v.trim());
  return { name, type, formats: f, events: e };
}

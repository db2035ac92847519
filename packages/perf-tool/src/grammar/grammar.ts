// The perf event grammar as perf 6.1 parses an -e value: PMU term lists, symbolic and raw events, bare event names, groups, modifiers.
import { compileGlob, describeValue, type KernelError, kerr } from '@cspmu/kernel';
import { PERF_TYPE, type PerfEventAttr } from '@cspmu/perf';
import { type ConfigField, encodeFormat, type FormatField, parsedFormat } from '../format.js';
import { closeMatches } from './close-matches.js';
import { checkModifiers, EventParseError, type ModifierBits, modifierBits, parseNumber, splitTerms, splitTop, type Term } from './lexical.js';
import { symbolicEvent } from './symbols.js';

/** What the grammar needs to know of a PMU (what perf reads from sysfs). */
export interface PmuDescription {
  readonly name: string;
  readonly type: number;
  /** format name → `config1:0-9` */
  readonly formats: ReadonlyMap<string, string>;
  /** event name → `event=0x1a5` (may carry several terms) */
  readonly events: ReadonlyMap<string, string>;
}

export interface ParsedEvent {
  /** The name perf prints: the event as written (`nvidia_scf_pmu/cycles/`, `task-clock:u`), or its name= term. */
  readonly display: string;
  /** The PMU this copy opens on: a sysfs PMU name; `software` or `` for the generic types. */
  readonly pmu: string;
  /** The attr perf builds: type, configs, modifier bits (exclude_guest by default, as perf sets it). */
  readonly attr: PerfEventAttr;
  /** precise_ip from p modifiers (the emulated kernel has no such field). */
  readonly precise: number;
  /** Events with the same group number form one group; the first is its leader. */
  readonly group: number | undefined;
  /** The name of a named group (`name{…}`). */
  readonly groupName?: string;
  /**
   * The groups are perf stat's final ones (settleGroups): each opens whole.
   * Otherwise a group's copies of a wildcard open as one group per PMU.
   */
  readonly groupSettled?: boolean;
  /** A copy of a bare event name (perf's uncore alias), which perf 6.1 regroups per PMU. */
  readonly alias?: boolean;
  readonly modifiers: string;
  /** The named event used (from the PMU's events directory), for its .scale and .unit. */
  readonly eventName?: string;
  /** One of the copies of a PMU wildcard or bare event name: perf merges such copies into one line. */
  readonly autoMerge: boolean;
  /** The name came from a name= term. */
  readonly configName?: boolean;
  /** period= and freq= terms (perf stat parses them and then counts without sampling). */
  readonly period?: bigint;
  readonly freq?: bigint;
}

/** perf 6.1's static terms (config3 came later). */
const STATIC_TERMS: ReadonlySet<string> = new Set(['config', 'config1', 'config2', 'name', 'period', 'freq']);
const U64_MAX = (1n << 64n) - 1n;

function withBits(attr: PerfEventAttr, b: ModifierBits): PerfEventAttr {
  const out: { -readonly [K in keyof PerfEventAttr]: PerfEventAttr[K] } = { ...attr };
  for (const k of ['exclude_user', 'exclude_kernel', 'exclude_hv', 'exclude_guest', 'exclude_host', 'exclude_idle', 'pinned', 'exclusive'] as const) {
    if (b[k]) out[k] = true;
    else delete out[k];
  }
  return out;
}

interface Built {
  readonly attr: PerfEventAttr;
  readonly name: string | undefined;
  readonly eventName: string | undefined;
  readonly period: bigint | undefined;
  readonly freq: bigint | undefined;
}

/**
 * The perf event grammar over a set of PMUs: `pmu/term=value,…/mods`,
 * groups `{…}:mods`, named events from a PMU's events, format fields
 * (non-contiguous bit lists filled from the lowest bit up, repeated terms
 * OR-ed as perf does), config/config1/config2, PMU prefix and glob matching
 * across instances, bare event names on every PMU that has them, generic
 * hardware and software names and raw `rNNN`.
 */
export class EventGrammar {
  private readonly formats = new Map<string, Map<string, FormatField>>();

  constructor(private readonly pmus: readonly PmuDescription[]) {
    for (const p of pmus) {
      const m = new Map<string, FormatField>();
      for (const [name, text] of p.formats) m.set(name, parsedFormat(name, text));
      this.formats.set(p.name, m);
    }
  }

  /** PMUs a name selects: exact, glob, or prefix of `<name>_<n>` instances. */
  matchPmus(name: string): PmuDescription[] {
    if (typeof name !== 'string') throw kerr('EINVAL', `a PMU name or glob must be a string, got ${describeValue(name)}`);
    const exact = this.pmus.filter((p) => p.name === name);
    if (exact.length) return exact;
    if (/[*?]/.test(name)) {
      const re = compileGlob(name);
      return this.pmus.filter((p) => re.test(p.name));
    }
    return this.pmus.filter((p) => p.name.startsWith(`${name}_`) && /^\d+$/.test(p.name.slice(name.length + 1)));
  }

  parse(input: string): ParsedEvent[] {
    if (typeof input !== 'string') throw new EventParseError(describeValue(input), 1, '', 'an event list must be a string');
    if (input.trim() === '') throw new EventParseError(input, 1, '', 'no event given');
    const out: ParsedEvent[] = [];
    let groups = 0;
    for (const item of splitTop(input, 1, input)) {
      const t = item.text;
      const col = item.col + (t.length - t.trimStart().length);
      const text = t.trim();
      if (text === '') throw new EventParseError(input, col, ',', 'empty event (two commas in a row?)');
      // A group may be named: name{a,b}.
      const named = /^([A-Za-z_][A-Za-z0-9_.]*)\{/.exec(text);
      const open = named ? named[1]!.length : 0;
      if (text[open] !== '{') {
        out.push(...this.parseOne(text, col, input));
        continue;
      }
      const close = text.lastIndexOf('}');
      const after = text.slice(close + 1);
      let mods = '';
      if (after !== '') {
        if (!after.startsWith(':')) throw new EventParseError(input, col + close + 1, after, "after a group only ':modifiers' may follow");
        mods = after.slice(1);
        checkModifiers(mods, input, col + close + 2);
      }
      const g = groups++;
      for (const m of splitTop(text.slice(open + 1, close), col + open + 1, input)) {
        const mt = m.text.trim();
        const mc = m.col + (m.text.length - m.text.trimStart().length);
        if (mt === '') throw new EventParseError(input, mc, '{', 'empty event in group');
        for (const ev of this.parseOne(mt, mc, input)) {
          const own = modifierBits(ev.modifiers);
          const bits = modifierBits(mods, own);
          out.push({
            ...ev,
            group: g,
            ...(named ? { groupName: named[1]! } : {}),
            modifiers: ev.modifiers + mods,
            attr: withBits(ev.attr, bits),
            precise: bits.precise_ip,
          });
        }
      }
    }
    return out;
  }

  private parseOne(text: string, col: number, input: string): ParsedEvent[] {
    const slash = text.indexOf('/');
    if (slash < 0) return this.parseSymbolic(text, col, input);
    const pmuName = text.slice(0, slash);
    const close = text.indexOf('/', slash + 1);
    if (close < 0) throw new EventParseError(input, col + slash, '/', "the PMU's term list is never closed with '/'");
    // perf takes modifiers straight after the closing slash: pmu/event/u, never pmu/event/:u.
    const mods = text.slice(close + 1);
    if (mods.startsWith(':')) throw new EventParseError(input, col + close + 1, ':', "modifiers follow the closing '/' directly (pmu/event/u), without ':'");
    checkModifiers(mods, input, col + close + 1);
    if (!/^[A-Za-z0-9_.*?-]+$/.test(pmuName)) throw new EventParseError(input, col, pmuName || '/', `'${pmuName}' is not a PMU name`);
    const pmus = this.matchPmus(pmuName);
    if (pmus.length === 0) {
      const near = closeMatches(
        pmuName,
        this.pmus.map((p) => p.name),
      );
      throw new EventParseError(input, col, pmuName, `unknown PMU '${pmuName}'${near.length ? `; close matches: ${near.join(', ')}` : ''}`);
    }
    const terms = splitTerms(text.slice(slash + 1, close), col + slash + 1, input);
    const bits = modifierBits(mods);
    const wildcard = pmus.length > 1 || pmus[0]!.name !== pmuName;
    return pmus.map((p) => {
      const b = this.applyTerms(p, terms, input);
      return this.event(b.name ?? text, p.name, withBits(b.attr, bits), bits, mods, b, wildcard);
    });
  }

  private event(display: string, pmu: string, attr: PerfEventAttr, bits: ModifierBits, mods: string, b: Partial<Built>, autoMerge: boolean): ParsedEvent {
    return {
      display,
      pmu,
      attr,
      precise: bits.precise_ip,
      group: undefined,
      modifiers: mods,
      autoMerge,
      ...(b.name !== undefined ? { configName: true } : {}),
      ...(b.eventName ? { eventName: b.eventName } : {}),
      ...(b.period !== undefined ? { period: b.period } : {}),
      ...(b.freq !== undefined ? { freq: b.freq } : {}),
    };
  }

  private applyTerms(p: PmuDescription, terms: readonly Term[], input: string): Built {
    const words: Record<ConfigField, bigint> = { config: 0n, config1: 0n, config2: 0n, config3: 0n };
    const formatted: Record<ConfigField, bigint> = { config: 0n, config1: 0n, config2: 0n, config3: 0n };
    let name: string | undefined;
    let eventName: string | undefined;
    let period: bigint | undefined;
    let freq: bigint | undefined;
    const formats = this.formats.get(p.name)!;
    const put = (f: FormatField, v: bigint, t: Term) => {
      try {
        formatted[f.config] |= encodeFormat(f, v);
      } catch (e) {
        throw new EventParseError(input, t.col, `${t.key}=${t.value ?? ''}`, (e as KernelError).detail);
      }
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
        if (v > U64_MAX) throw new EventParseError(input, t.col, t.key, `value too big for ${t.key}`);
        if (t.key === 'period') period = v;
        else if (t.key === 'freq') freq = v;
        else words[t.key as ConfigField] = v;
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
        if (eventName !== undefined) throw new EventParseError(input, t.col, t.key, `only one named event per term list ('${eventName}' is already given)`);
        eventName = t.key;
        for (const part of ev.trim().split(',')) {
          const eq = part.indexOf('=');
          apply({ key: (eq < 0 ? part : part.slice(0, eq)).trim(), value: eq < 0 ? undefined : part.slice(eq + 1).trim(), col: t.col }, t.key);
        }
        return;
      }
      const valid = [...formats.keys(), ...STATIC_TERMS].join(', ');
      throw new EventParseError(
        input,
        t.col,
        t.key,
        `unknown term '${t.key}' for PMU '${p.name}'${where}; valid terms: ${valid}; or an event name (cspmu list ${p.name})`,
      );
    };
    for (const t of terms) apply(t, undefined);
    // config= terms set a word; format terms are OR-ed on top of it, as perf applies them after.
    const attr: PerfEventAttr = {
      type: p.type,
      config: words.config | formatted.config,
      config1: words.config1 | formatted.config1,
      config2: words.config2 | formatted.config2,
      config3: words.config3 | formatted.config3,
    };
    return { attr, name, eventName, period, freq };
  }

  private parseSymbolic(text: string, col: number, input: string): ParsedEvent[] {
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    const mods = colon < 0 ? '' : text.slice(colon + 1);
    checkModifiers(mods, input, col + name.length + 1);
    const bits = modifierBits(mods);
    const sym = symbolicEvent(name);
    if (sym) {
      const pmu = sym.type === PERF_TYPE.SOFTWARE ? 'software' : '';
      return [this.event(text, pmu, withBits({ type: sym.type, config: sym.config }, bits), bits, mods, {}, false)];
    }
    const raw = /^r([0-9a-fA-F]+)$/.exec(name);
    if (raw) {
      const config = parseNumber(`0x${raw[1]}`, input, col, name);
      return [this.event(text, '', withBits({ type: PERF_TYPE.RAW, config }, bits), bits, mods, {}, false)];
    }
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new EventParseError(input, col, name, `'${name}' is not an event name`);
    const owners = this.pmus.filter((p) => p.events.has(name));
    if (owners.length === 0) throw new EventParseError(input, col, name, `unknown event '${name}'; use PMU/term=value/ (see cspmu list)`);
    // A bare event name opens on every PMU that has it, and the copies are shown as one line.
    return owners.map((p) => {
      const b = this.applyTerms(p, [{ key: name, value: undefined, col }], input);
      return { ...this.event(text, p.name, withBits(b.attr, bits), bits, mods, b, true), alias: true };
    });
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

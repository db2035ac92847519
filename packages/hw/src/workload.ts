// Workload descriptions: phases of event streams per PMU, compiled into rate functions by device, event code and filter.
import { compileGlob, type GlobMatcher, kerr } from '@cspmu/kernel';
import { ConstantRate, PhasedRate, type RateFunction, ZERO_RATE } from './rate-function.js';
import { toNumber, validateOrThrow, validateWorkload } from './schema.js';
import {
  conditionsHold,
  FILTER_WORDS,
  type FilterCondition,
  fieldConstant,
  impdefWordsOf,
  parseField,
  type RateShape,
  shapeRate,
  WORD,
} from './workload-filters.js';

/**
 * One source of events in a phase. Its rate is given one way: `rate` (the
 * same whatever the filters), `ports` (shorthand for `bits` on `filter`),
 * `bits` (bit i of a filter field set adds rates[i]) or `values` (a rate per
 * value of a filter field). `when` adds conditions on other fields, all of
 * which must hold for the stream to count. Streams that match one counter add up.
 */
export interface StreamSpec {
  /** Device label or glob (`scf*`, `pcie1`). */
  readonly pmu: string;
  /** Event code as programmed in PMEVTYPER (number or "0x…"), or "cycles": the cycle counter, whose `filter` is PMCCFILTR. */
  readonly event: number | string;
  /** Events per second, whatever the filter. */
  readonly rate?: number;
  /** Events per second per port: filter bit i (PMEVFILTR) selects ports[i]. */
  readonly ports?: readonly number[];
  /** Events per second per bit of a filter field: the rates of the set bits add up. */
  readonly bits?: { readonly field: string; readonly rates: readonly number[] };
  /** Events per second per value of a filter field (keys decimal or "0x…"), `otherwise` (default 0) for the rest. */
  readonly values?: { readonly field: string; readonly rates: Readonly<Record<string, number>>; readonly otherwise?: number };
  /** Conditions on filter fields, each with exactly one test. */
  readonly when?: readonly FilterConditionSpec[];
}

/** A condition on a filter field: equal to a value, some bit of a mask set, or no bit of a mask set. */
export interface FilterConditionSpec {
  /** `filter`, `filter2` or `impdef0`..`impdef31`, optionally with bits: `impdef1:0-15`. */
  readonly field: string;
  readonly equals?: number | string;
  readonly anyBit?: number | string;
  readonly noBit?: number | string;
}

export interface PhaseSpec {
  readonly name?: string;
  readonly durationNs: number;
  readonly streams: readonly StreamSpec[];
}

export interface WorkloadSpec {
  readonly name: string;
  readonly description?: string;
  /** Repeat the phases forever (default); otherwise the last phase goes on. */
  readonly repeat?: boolean;
  readonly phases: readonly PhaseSpec[];
}

/** The event a workload stream of `event: "cycles"` gives: the cycle counter's (no event type selects it). */
export const CYCLES = 'cycles';

/** What a counter is programmed with, as the workload needs it. */
export interface CounterSelection {
  readonly label: string;
  /** The event type, or CYCLES for the cycle counter (whose `filter` is PMCCFILTR). */
  readonly event: number | typeof CYCLES;
  readonly filter: number;
  readonly filter2: number;
  /** High words of 64-bit filters (FEAT_CSPMU_EXT64); 0 if not given. */
  readonly filterHi?: number;
  readonly filter2Hi?: number;
  /** PMIMPDEF words 0..31 of the PMU's page 0; missing words read 0. */
  readonly impdef?: ArrayLike<number>;
}

interface CompiledStream {
  readonly pmu: GlobMatcher;
  readonly event: number | typeof CYCLES;
  readonly shape: RateShape;
  readonly when: readonly FilterCondition[];
  /** PMIMPDEF words the stream reads. */
  readonly impdef: readonly number[];
}

/** The register words of a selection (see WORD). */
export function selectionWords(sel: CounterSelection): number[] {
  const w = new Array<number>(FILTER_WORDS).fill(0);
  w[WORD.filter] = sel.filter >>> 0;
  w[WORD.filter + 1] = (sel.filterHi ?? 0) >>> 0;
  w[WORD.filter2] = sel.filter2 >>> 0;
  w[WORD.filter2 + 1] = (sel.filter2Hi ?? 0) >>> 0;
  const imp = sel.impdef;
  if (imp) for (let i = 0; i < 32 && i < imp.length; i++) w[WORD.impdef + i] = imp[i]! >>> 0;
  return w;
}

/**
 * A deterministic workload: phases of fixed length, each with event rates
 * per PMU (by label), event code and filter values. A counter's events are a
 * RateFunction of virtual time, so counting is lazy and exact.
 */
export class Workload {
  private readonly phases: { durationNs: number; streams: CompiledStream[] }[];
  readonly name: string;
  readonly repeat: boolean;

  constructor(readonly spec: WorkloadSpec) {
    validateOrThrow(validateWorkload, spec, `workload '${(spec as { name?: string })?.name ?? '?'}'`);
    this.name = spec.name;
    this.repeat = spec.repeat ?? true;
    // Array.from, not map(): V8 11.3's map() gives a packed array until the caller is optimised and a holey one after, which
    // deoptimises the optimised code that walks the phases and streams ("wrong map").
    this.phases = Array.from(spec.phases, (p, i) => ({
      durationNs: p.durationNs,
      streams: Array.from(p.streams, (s, j) => compileStream(s, `workload '${spec.name}': phases.${i}.streams.${j}`)),
    }));
  }

  /** Events per second in phase `i` for a counter so programmed. */
  rateIn(i: number, sel: CounterSelection, words: ArrayLike<number> = selectionWords(sel)): number {
    let r = 0;
    for (const s of this.phases[i]!.streams) {
      if (s.event !== sel.event || !s.pmu.test(sel.label)) continue;
      if (s.when.length > 0 && !conditionsHold(s.when, words)) continue;
      r += shapeRate(s.shape, words);
    }
    return r;
  }

  /** The cumulative event count function for a counter so programmed. */
  resolve(sel: CounterSelection): RateFunction {
    const words = selectionWords(sel);
    const rates = this.phases.map((_, i) => this.rateIn(i, sel, words));
    if (rates.every((r) => r === 0)) return ZERO_RATE;
    if (rates.every((r) => r === rates[0])) return new ConstantRate(rates[0]!);
    return new PhasedRate(
      this.phases.map((p) => p.durationNs),
      rates,
      this.repeat,
    );
  }

  /** Exact expected count for a counter enabled over [t0, t1) with this selection. */
  expected(sel: CounterSelection, t0: number, t1: number): number {
    const f = this.resolve(sel);
    return f.at(t1) - f.at(t0);
  }

  /** The PMIMPDEF words any stream for PMU `label` reads, ascending: writes to others cannot change its counts. */
  impdefWordsFor(label: string): number[] {
    const out = new Set<number>();
    for (const p of this.phases) for (const s of p.streams) if (s.pmu.test(label)) for (const w of s.impdef) out.add(w);
    return [...out].sort((a, b) => a - b);
  }

  /** True if the workload gives PMU `label`'s cycle counter its rate (else the counter counts the PMU clock). */
  countsCycles(label: string): boolean {
    return this.phases.some((p) => p.streams.some((s) => s.event === CYCLES && s.pmu.test(label)));
  }
}

function compileStream(s: StreamSpec, where: string): CompiledStream {
  const given = (['rate', 'ports', 'bits', 'values'] as const).filter((k) => s[k] !== undefined);
  if (given.length !== 1) {
    throw kerr('EINVAL', `${where}: give exactly one of 'rate', 'ports', 'bits' or 'values'${given.length ? ` (got ${given.join(', ')})` : ''}`);
  }
  const event = s.event === CYCLES ? CYCLES : toNumber(s.event, `${where}.event`);
  const field = (text: string, at: string) => {
    const f = parseField(text, `${where}.${at}`);
    if (event === CYCLES && f.word >= WORD.filter2 && f.word < WORD.impdef) {
      throw kerr('EINVAL', `${where}.${at}: the cycle counter has no PMEVFILT2R; its filter is PMCCFILTR ('filter')`);
    }
    return f;
  };
  let shape: RateShape;
  if (s.rate !== undefined) shape = { kind: 'fixed', rate: s.rate };
  else if (s.ports !== undefined) shape = { kind: 'bits', field: field('filter', 'ports'), rates: s.ports };
  else if (s.bits !== undefined) {
    const f = field(s.bits.field, 'bits.field');
    if (s.bits.rates.length > f.width) throw kerr('EINVAL', `${where}.bits.rates: ${s.bits.rates.length} rates for the ${f.width} bits of ${f.text}`);
    shape = { kind: 'bits', field: f, rates: s.bits.rates };
  } else {
    const v = s.values!;
    const f = field(v.field, 'values.field');
    const rates = new Map<number, number>();
    for (const [k, r] of Object.entries(v.rates)) rates.set(fieldConstant(f, toNumber(k, `${where}.values.rates`), `${where}.values.rates.${k}`), r);
    shape = { kind: 'values', field: f, rates, otherwise: v.otherwise ?? 0 };
  }
  const when = (s.when ?? []).map((c, k): FilterCondition => {
    const f = field(c.field, `when.${k}.field`);
    const test = c.equals !== undefined ? 'equals' : c.anyBit !== undefined ? 'anyBit' : c.noBit !== undefined ? 'noBit' : undefined;
    if (test === undefined) throw kerr('EINVAL', `${where}.when.${k}: give one of 'equals', 'anyBit' or 'noBit'`);
    return { field: f, test, value: fieldConstant(f, toNumber(c[test]!, `${where}.when.${k}.${test}`), `${where}.when.${k}.${test}`) };
  });
  const fields = [...when.map((c) => c.field), ...(shape.kind === 'fixed' ? [] : [shape.field])];
  return { pmu: compileGlob(s.pmu), event, shape, when, impdef: [...new Set(fields.flatMap(impdefWordsOf))] };
}

/** A workload with no traffic: only cycle counters move. */
export const IDLE_WORKLOAD: WorkloadSpec = { name: 'idle', phases: [{ durationNs: 1_000_000_000, streams: [] }] };

// perf stat's aggregation: counters summed per CPU, socket, node or core (or not at all), copies of one wildcard event merged, multiplexed counts scaled.
import type { Counter } from '../open.js';
import type { CounterCounts, StatSnapshot } from './runner.js';

export type AggrMode = 'global' | 'none' | 'socket' | 'node' | 'core';

/** Where each CPU sits (perf reads it from /sys/devices/system/cpu). */
export interface CpuTopology {
  socketOf(cpu: number): number;
  nodeOf(cpu: number): number;
  /** The core's id within its socket (topology/core_id). */
  coreOf(cpu: number): number;
}

export interface AggrId {
  readonly mode: AggrMode;
  /** S0, N1, S0-D0-C5 or the CPU number for `none`. */
  readonly label: string;
  /** How many of the counter's CPUs fell into it. */
  readonly nr: number;
  readonly cpu?: number;
}

export type LineStatus = 'counted' | 'not-counted' | 'not-supported';

/** One printed line of perf stat: a counter (or merged copies) in one aggregation bucket. */
export interface StatLine {
  readonly counter: Counter;
  readonly aggr: AggrId | undefined;
  readonly name: string;
  readonly unit: string;
  readonly scale: number;
  readonly status: LineStatus;
  /** The count times the event's scale, scaled up by enabled/running when multiplexed. */
  readonly value: number;
  /** The raw count (before .scale), scaled by enabled/running; what clocks and rates use. */
  readonly raw: number;
  readonly ena: number;
  readonly run: number;
}

export interface AggregateOptions {
  readonly mode: AggrMode;
  readonly noMerge: boolean;
  readonly topology: CpuTopology;
  /**
   * The CPUs the user asked for (-C, or every online CPU with -a): perf prints
   * a socket, node or core line for each of theirs, `<not counted>` where an
   * event has no CPU in it.
   */
  readonly cpus: readonly number[];
}

/** The name perf prints for one copy of a split wildcard: the PMU's own name before the terms, or `name [pmu]`. */
export function uniquifiedName(c: Counter): string {
  const p = c.parsed;
  if (p.pmu === '' || p.pmu === 'software' || p.configName || p.display.startsWith(p.pmu)) return p.display;
  const slash = p.display.indexOf('/');
  return slash >= 0 ? `${p.pmu}${p.display.slice(slash)}` : `${p.display} [${p.pmu}]`;
}

/** Later counters merged into `c`: copies of the same wildcard event on other PMUs, as perf's collect_all_aliases picks them. */
function aliasesOf(c: Counter, all: readonly CounterCounts[]): CounterCounts[] {
  if (!c.parsed.autoMerge) return [];
  return all.filter(
    ({ counter: a }) =>
      a.index > c.index &&
      a.parsed.display === c.parsed.display &&
      a.scale === c.scale &&
      a.unit === c.unit &&
      a.isClock === c.isClock &&
      a.parsed.pmu !== c.parsed.pmu,
  );
}

function labelOf(mode: AggrMode, cpu: number, topo: CpuTopology): string {
  if (mode === 'socket') return `S${topo.socketOf(cpu)}`;
  if (mode === 'node') return `N${topo.nodeOf(cpu)}`;
  if (mode === 'core') return `S${topo.socketOf(cpu)}-D0-C${topo.coreOf(cpu)}`;
  return String(cpu);
}

interface Sum {
  val: number;
  ena: number;
  run: number;
  nr: number;
  bad: boolean;
}

function status(c: Counter, s: Sum): LineStatus {
  if (!c.supported) return 'not-supported';
  if (c.groupBroken || s.bad || s.ena === 0 || s.run === 0) return 'not-counted';
  return 'counted';
}

function line(c: Counter, name: string, aggr: AggrId | undefined, s: Sum, scaleAfterSum: boolean): StatLine {
  const st = status(c, s);
  const ok = st === 'counted';
  const raw = !ok ? 0 : scaleAfterSum && s.run < s.ena ? Math.trunc((s.val * s.ena) / s.run) : s.val;
  return { counter: c, aggr, name, unit: c.unit, scale: c.scale, status: st, value: raw * c.scale, raw, ena: ok ? s.ena : 0, run: ok ? s.run : 0 };
}

/** A CPU's reading scaled by enabled/running, as perf scales per-CPU counts outside global mode. */
function scaled(v: { val: number; ena: number; run: number }): number {
  return v.run > 0 && v.run < v.ena ? Math.trunc((v.val * v.ena) / v.run) : v.val;
}

/**
 * -A: a line per CPU of each event. Copies of a wildcard are merged by their
 * place in each copy's CPU list and shown at the first copy's CPU, as perf 6.1
 * does (on Grace, both sockets' scf counts print as CPU0); --no-merge shows them apart.
 */
function perCpuLines(snap: StatSnapshot, opts: AggregateOptions): StatLine[] {
  const out: StatLine[] = [];
  const merged = new Set<Counter>();
  for (const cc of snap.counts) {
    const c = cc.counter;
    if (merged.has(c)) continue;
    const group = opts.noMerge ? [cc] : [cc, ...aliasesOf(c, snap.counts)];
    for (const g of group.slice(1)) merged.add(g.counter);
    for (const [i, cpu] of c.cpus.entries()) {
      const s: Sum = { val: 0, ena: 0, run: 0, nr: 1, bad: !cc.perCpu[i] };
      for (const { perCpu } of group) {
        const v = perCpu[i];
        if (!v) continue;
        s.val += scaled(v);
        s.ena += v.ena;
        s.run += v.run;
      }
      out.push(line(c, opts.noMerge ? uniquifiedName(c) : c.parsed.display, { mode: 'none', label: String(cpu), nr: 0, cpu }, s, false));
    }
  }
  return out;
}

/**
 * One counter (with its merged copies) in one socket, node or core, as perf
 * 6.1 sums it: `nr` counts the first copy's CPUs there, and the first CPU
 * that did not count zeroes the times and ends that copy's CPUs (so `nr`
 * stops there too).
 */
function sumIn(id: string, group: readonly CounterCounts[], opts: AggregateOptions): Sum {
  const s: Sum = { val: 0, ena: 0, run: 0, nr: 0, bad: false };
  for (const [k, { counter, perCpu }] of group.entries()) {
    for (const [i, cpu] of counter.cpus.entries()) {
      if (labelOf(opts.mode, cpu, opts.topology) !== id) continue;
      if (k === 0) s.nr++;
      // perf reads nothing of an event it could not open on every CPU: its counts stay zero.
      const v = counter.supported ? perCpu[i] : undefined;
      if (!v || v.ena === 0 || v.run === 0) {
        s.bad = s.bad || !v;
        s.ena = 0;
        s.run = 0;
        break;
      }
      s.val += scaled(v);
      s.ena += v.ena;
      s.run += v.run;
    }
  }
  return s;
}

/** The lines perf stat prints for a snapshot, in its order. */
export function aggregate(snap: StatSnapshot, opts: AggregateOptions): StatLine[] {
  const { mode, topology } = opts;
  if (mode === 'none') return perCpuLines(snap, opts);
  const out: StatLine[] = [];
  const merged = new Set<Counter>();
  if (mode === 'global') {
    for (const cc of snap.counts) {
      const c = cc.counter;
      if (merged.has(c)) continue;
      const group = opts.noMerge ? [cc] : [cc, ...aliasesOf(c, snap.counts)];
      for (const g of group.slice(1)) merged.add(g.counter);
      const s: Sum = { val: 0, ena: 0, run: 0, nr: 0, bad: false };
      for (const { perCpu } of group) {
        for (const v of perCpu) {
          if (!v) {
            s.bad = true;
            continue;
          }
          s.val += v.val;
          s.ena += v.ena;
          s.run += v.run;
        }
      }
      out.push(line(c, opts.noMerge ? uniquifiedName(c) : c.parsed.display, undefined, s, true));
    }
    return out;
  }
  // Every socket, node or core of the CPUs asked for, in perf's order (socket, die, core).
  const ids = [...new Set(opts.cpus.map((cpu) => labelOf(mode, cpu, topology)))].sort(compareLabels);
  const groups = new Map<Counter, CounterCounts[]>();
  for (const cc of snap.counts) {
    if (merged.has(cc.counter)) continue;
    const group = opts.noMerge ? [cc] : [cc, ...aliasesOf(cc.counter, snap.counts)];
    for (const g of group.slice(1)) merged.add(g.counter);
    groups.set(cc.counter, group);
  }
  for (const id of ids) {
    for (const [c, group] of groups) {
      const s = sumIn(id, group, opts);
      out.push(line(c, opts.noMerge ? uniquifiedName(c) : c.parsed.display, { mode, label: id, nr: s.nr }, s, false));
    }
  }
  return out;
}

function compareLabels(a: string, b: string): number {
  const na = a.match(/\d+/g)!.map(Number);
  const nb = b.match(/\d+/g)!.map(Number);
  for (let i = 0; i < Math.max(na.length, nb.length); i++) if ((na[i] ?? 0) !== (nb[i] ?? 0)) return (na[i] ?? 0) - (nb[i] ?? 0);
  return 0;
}

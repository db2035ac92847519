// The counter map: PMCFGR decoded into counter geometry, and allocation of physical counters (the cycle counter and event counters) to events.
import type { PerfEvent } from '@cspmu/perf';
import * as regs from './regs.js';
import { CYCLE_CNTR_IDX_NONE, PMCFGR_CC, PMCFGR_N, PMCFGR_SIZE, PMCFGR_SIZE_SHIFT } from './regs.js';

const EAGAIN = -11;
/** pmu->add asks toPhys on every open (a local copy: see regs.ts). */
const { CYCLE_CNTR_PHYS } = regs;

/** The map group validation tries a group against: one for all instances, as validation runs to its end without yielding. */
const SCRATCH = new Uint32Array(8);

/**
 * The lowest index in [from, to) whose bit in `used` is clear, or -1: a
 * word at a time, the lowest set bit of the free bits picked with clz32.
 */
export function lowestFree(used: Uint32Array, from: number, to: number): number {
  for (let base = from & ~31; base < to; base += 32) {
    let free = ~used[base >> 5]!;
    if (base < from) free &= -1 << (from - base);
    if (to - base < 32) free &= (1 << (to - base)) - 1;
    if (free !== 0) return base + 31 - Math.clz32(free & -free);
  }
  return -1;
}

/** The counter geometry PMCFGR describes. */
export interface CounterGeometry {
  readonly numLogicalCounters: number;
  readonly hasCycleCounter: boolean;
  /** The logical index of the cycle counter, or CYCLE_CNTR_IDX_NONE. */
  readonly cycleCounterLogicalIdx: number;
  /** Words in each PMCNTEN/PMINTEN/PMOVS set-clear register group. */
  readonly numSetClrReg: number;
  readonly counterBits: number;
}

/**
 * Decode PMCFGR: N+1 counters of SIZE+1 bits, and a cycle counter when CC is
 * set. The cycle counter's logical index is the last counter when there are
 * at most 32 (the counter at physical index 31 otherwise).
 */
export function decodePmcfgr(pmcfgr: number): CounterGeometry {
  const n = (pmcfgr & PMCFGR_N) + 1;
  const hasCycleCounter = (pmcfgr & PMCFGR_CC) !== 0;
  return {
    numLogicalCounters: n,
    hasCycleCounter,
    cycleCounterLogicalIdx: hasCycleCounter ? (n <= CYCLE_CNTR_PHYS ? n - 1 : CYCLE_CNTR_PHYS) : CYCLE_CNTR_IDX_NONE,
    numSetClrReg: Math.ceil(n / 32),
    counterBits: ((pmcfgr >> PMCFGR_SIZE_SHIFT) & PMCFGR_SIZE) + 1,
  };
}

/** How the counter map asks about an event: is it the cycle event, and does the backend accept it. */
export interface CounterRules {
  isCycleEvent(event: PerfEvent): boolean;
  /** Throws (a KernelError) to refuse the event. */
  validate(event: PerfEvent): void;
}

/**
 * Which logical counters are in use and by which event (hw_events), and the
 * allocation rule of get_event_idx: the cycle event takes the cycle counter,
 * others the lowest free counter, skipping the cycle counter. A scratch map
 * lets group validation try a whole group without touching the real one.
 */
export class CounterMap {
  readonly used = new Uint32Array(8);
  private readonly events: (PerfEvent | undefined)[];
  /** Why the backend's validate_event last refused an event (for the EINVAL message). */
  lastRefusal = '';

  constructor(
    readonly geometry: CounterGeometry,
    private readonly rules: CounterRules,
  ) {
    this.events = new Array<PerfEvent | undefined>(geometry.numLogicalCounters).fill(undefined);
  }

  /** The physical counter behind a logical index (the cycle counter is physical 31). */
  toPhys(logical: number): number {
    return logical === this.geometry.cycleCounterLogicalIdx ? CYCLE_CNTR_PHYS : logical;
  }

  eventAt(logical: number): PerfEvent | undefined {
    return this.events[logical];
  }

  /** Logical indices in use, ascending. */
  usedCounters(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.geometry.numLogicalCounters; i++) if ((this.used[i >> 5]! >>> (i & 31)) & 1) out.push(i);
    return out;
  }

  /** True if any counter is in use (pmu_enable asks on every reschedule: the first word alone keeps this small enough to inline). */
  anyUsed(): boolean {
    return this.used[0] !== 0 || this.anyUsedAbove32();
  }

  private anyUsedAbove32(): boolean {
    for (let i = 1; i < this.geometry.numSetClrReg; i++) if (this.used[i] !== 0) return true;
    return false;
  }

  /** Put `event` on logical counter `idx` (already marked used by allocate). */
  install(idx: number, event: PerfEvent): void {
    this.events[idx] = event;
  }

  /** Free logical counter `idx`. */
  release(idx: number): void {
    this.events[idx] = undefined;
    this.used[idx >> 5] = (this.used[idx >> 5]! & ~(1 << (idx & 31))) >>> 0;
  }

  /** get_event_idx on `used`: take and return the logical counter for `event`, or a negative errno. */
  allocate(used: Uint32Array, event: PerfEvent): number {
    const g = this.geometry;
    const c = g.cycleCounterLogicalIdx;
    if (g.hasCycleCounter && this.rules.isCycleEvent(event)) {
      if ((used[c >> 5]! >>> (c & 31)) & 1) return EAGAIN;
      used[c >> 5] = (used[c >> 5]! | (1 << (c & 31))) >>> 0;
      return c;
    }
    // The lowest free counter below the cycle counter, then above it (there are counters above it only past 32).
    let idx = lowestFree(used, 0, g.hasCycleCounter ? c : g.numLogicalCounters);
    if (idx < 0 && g.hasCycleCounter) idx = lowestFree(used, c + 1, g.numLogicalCounters);
    if (idx < 0) return EAGAIN;
    try {
      this.rules.validate(event);
    } catch (e) {
      this.lastRefusal = (e as { detail?: string; message?: string }).detail ?? String((e as Error).message);
      return -((e as { errno?: number }).errno ?? 22);
    }
    used[idx >> 5] = (used[idx >> 5]! | (1 << (idx & 31))) >>> 0;
    return idx;
  }

  /** Would `event`, with its group, fit on this PMU's counters? Tried on the scratch map; other PMUs' hardware events never fit. */
  fitsGroup(event: PerfEvent, pmu: unknown): boolean {
    const leader = event.leader;
    if (leader === event) return true;
    const scratch = SCRATCH.fill(0);
    const fits = (e: PerfEvent) => e.pmu.software || (e.pmu === pmu && this.allocate(scratch, e) >= 0);
    if (!fits(leader)) return false;
    for (const s of leader.siblings) if (!fits(s)) return false;
    return fits(event);
  }
}

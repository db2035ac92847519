// Open an event list as perf stat does: which CPUs each event goes on, groups per CPU, the exclude_guest fallback, and which failures are skipped.
import { type Kernel, KernelError } from '@cspmu/kernel';
import type { PerfCore, PerfEvent, PerfEventAttr } from '@cspmu/perf';
import type { ParsedEvent } from './grammar/grammar.js';
import { isClockEvent } from './grammar/symbols.js';
import { eventScaleUnit, pmuCpumask } from './sysfs-reader.js';

export interface OpenTarget {
  /** -a: every CPU (an uncore PMU only on its cpumask CPU). */
  readonly systemWide?: boolean;
  /** -C: exactly these CPUs, for every event. */
  readonly cpus?: readonly number[];
  /** The task to count when neither -a nor -C is given. */
  readonly pid?: number;
  /** Fail on the first open that fails, closing what was opened (an API caller's choice; perf stat skips). */
  readonly strict?: boolean;
  /**
   * Open the events exactly as the string describes them, enabled, without
   * perf's host-only default (exclude_guest on events without modifiers) and
   * so without its retry: one open per event, for API callers.
   */
  readonly exact?: boolean;
}

/** One entry of the event list (perf's evsel) and its file descriptors, one per CPU. */
export interface Counter {
  readonly parsed: ParsedEvent;
  readonly index: number;
  /** The CPU of each open; -1 for a per-task open. */
  readonly cpus: readonly number[];
  readonly events: (PerfEvent | undefined)[];
  readonly scale: number;
  readonly unit: string;
  /** task-clock or cpu-clock. */
  readonly isClock: boolean;
  /** False once an open failed with an error perf skips (shown as <not supported>). */
  supported: boolean;
  /** A member of a group in which some member could not be opened (shown as <not counted>). */
  groupBroken: boolean;
  error?: string;
}

/**
 * Which group an event opens in: its {…} group as settleGroups left it (perf
 * stat's own grouping); for an unsettled list (API callers), split per PMU
 * for the copies of a wildcard, other members in one group whatever their PMU.
 */
export function groupKey(p: ParsedEvent): string | undefined {
  if (p.group === undefined) return undefined;
  return p.groupSettled ? String(p.group) : `${p.group}/${p.autoMerge ? p.pmu : ''}`;
}

/** An event's scale and unit: perf reads sysfs, and its own event tables where sysfs has none. */
export type ScaleUnitLookup = (pmu: string, event: string) => { scale: number; unit: string } | undefined;

/** Errors perf stat skips (the counter shows <not supported>); any other stops the run. */
const SKIPPED = new Set(['EINVAL', 'ENOSYS', 'ENOENT', 'EOPNOTSUPP', 'ENXIO']);

/** The CPUs perf opens an event on: -C's, else its PMU's cpumask, else every online CPU (-a) or the task's (-1). */
export function cpusFor(perf: PerfCore, kernel: Kernel, p: ParsedEvent, t: OpenTarget): number[] {
  if (t.cpus) return [...t.cpus];
  const mask = pmuCpumask(perf, p.pmu);
  if (t.systemWide) return mask ?? kernel.cpus.online();
  // Per task: a PMU with a cpumask is still opened on its CPU (and an uncore PMU then refuses the task).
  return mask?.length ? mask : [-1];
}

type OpenedAttr = { -readonly [K in keyof PerfEventAttr]: PerfEventAttr[K] };

/**
 * The attr handed to perf_event_open: the parsed one, disabled for leaders
 * (enabled together after every open). It is copied by rest destructuring,
 * which builds it through V8's shared hidden-class transitions: `delete`
 * left every opened attr in dictionary mode, and a spread copy that then
 * gains a field gets a hidden class of its own, so the perf core's attr
 * reads went megamorphic.
 */
function openAttr(p: ParsedEvent, leader: boolean, noGuestBits: boolean, exact: boolean): PerfEventAttr {
  let a: OpenedAttr;
  if (noGuestBits) {
    const { exclude_guest: _guest, exclude_host: _host, ...rest } = p.attr;
    a = rest;
  } else {
    const { ...rest } = p.attr;
    a = rest;
  }
  if (!exact) a.inherit = true;
  if (leader && !exact) a.disabled = true;
  return a;
}

/**
 * Open every event of a parsed list. Events of one group that land on one PMU
 * form a group per CPU; leaders are opened disabled and enabled together at
 * the end. When an open fails with EINVAL while exclude_guest/exclude_host
 * are set, it is retried without them (a PMU that refuses exclusions), as
 * perf does once and then for every later open.
 */
export function openEventList(
  perf: PerfCore,
  kernel: Kernel,
  list: readonly ParsedEvent[],
  target: OpenTarget,
  scaleUnit: ScaleUnitLookup = (pmu, event) => eventScaleUnit(perf, pmu, event),
): Counter[] {
  const counters: Counter[] = [];
  const leaders = new Map<string, Counter>();
  let noGuestBits = false;
  const exact = target.exact === true;
  try {
    for (const [index, p] of list.entries()) {
      const su = p.eventName ? scaleUnit(p.pmu, p.eventName) : undefined;
      const clock = isClockEvent(p.attr.type, p.attr.config);
      const key = groupKey(p);
      const leader = key === undefined ? undefined : leaders.get(key);
      // A member opens beside its leader, on the leader's CPUs.
      const cpus = leader ? [...leader.cpus] : cpusFor(perf, kernel, p, target);
      const c: Counter = {
        parsed: p,
        index,
        cpus,
        events: [],
        scale: su?.scale ?? (clock ? 1e-6 : 1),
        unit: su?.unit ?? (clock ? 'msec' : ''),
        isClock: clock,
        supported: true,
        groupBroken: false,
      };
      if (key !== undefined && !leader) leaders.set(key, c);
      counters.push(c);
      for (const [i, cpu] of cpus.entries()) {
        const group = leader?.events[i];
        if (leader && !group) {
          c.supported = false;
          c.error ??= 'its group leader could not be opened';
          break;
        }
        const opts = { cpu, pid: cpu < 0 || (!target.systemWide && !target.cpus) ? (target.pid ?? -1) : -1, ...(group ? { group } : {}) };
        try {
          let ev: PerfEvent;
          try {
            ev = perf.open(openAttr(p, !leader, noGuestBits || (exact && p.modifiers === ''), exact), opts);
          } catch (e) {
            if (!(e instanceof KernelError) || e.code !== 'EINVAL' || noGuestBits || exact || !(p.attr.exclude_guest || p.attr.exclude_host)) throw e;
            noGuestBits = true;
            ev = perf.open(openAttr(p, !leader, true, exact), opts);
          }
          c.events[i] = ev;
        } catch (e) {
          if (!(e instanceof KernelError) || !SKIPPED.has(e.code) || target.strict) throw e;
          if (leader === undefined && key !== undefined && list.some((q, j) => j > index && groupKey(q) === key)) {
            throw new KernelError(e.code, `the group leader ${p.display} could not be opened: ${e.detail}`);
          }
          c.supported = false;
          c.error = e.message;
          break;
        }
      }
    }
  } catch (e) {
    // The events leave their PMUs at once; their frees finish on their own (close sleeps).
    void closeEventList(perf, counters);
    throw e;
  }
  for (const c of counters) {
    if (c.parsed.group === undefined || c.supported) continue;
    for (const o of counters) if (o !== c && groupKey(o.parsed) === groupKey(c.parsed)) o.groupBroken = true;
  }
  if (!exact) {
    for (const c of leaders.values()) for (const ev of c.events) if (ev) perf.enable(ev);
    for (const c of counters) if (c.parsed.group === undefined) for (const ev of c.events) if (ev) perf.enable(ev);
  }
  return counters;
}

/** Close every open of a list: group members first, then their leaders; resolves once every free has finished. */
export async function closeEventList(perf: PerfCore, counters: readonly Counter[]): Promise<void> {
  const live = new Set(perf.liveEvents());
  const frees: Promise<void>[] = [];
  for (const pass of [false, true]) {
    for (const c of counters) {
      for (const ev of c.events)
        if (ev && ev.isLeader === pass && live.has(ev)) {
          frees.push(perf.close(ev));
          live.delete(ev);
        }
    }
  }
  await Promise.all(frees);
}

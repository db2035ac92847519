// The driver's call sites into backend ops, each patchable on its own, and their declaration on a machine.
import type { CallSite, CallSites } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import type { CspmuDevice } from './cspmu-device.js';

/**
 * The driver's call sites into backend ops, each patchable on its own. The
 * filter writes run in the driver function that makes them, so MMIO traces
 * name it as the caller.
 */
export const BACKEND_CALL_SITES = {
  setEvFilter: { site: 'cspmu->set_ev_filter', caller: 'arm_cspmu_set_ev_filter' },
  setCcFilter: { site: 'cspmu->set_cc_filter', caller: 'arm_cspmu_set_cc_filter' },
  resetEvFilter: { site: 'cspmu->reset_ev_filter' },
  validateEvent: { site: 'cspmu->validate_event' },
  eventType: { site: 'cspmu->event_type' },
  isCycleCounterEvent: { site: 'cspmu->is_cycle_counter_event' },
  getName: { site: 'cspmu->get_name' },
  getIdentifier: { site: 'cspmu->get_identifier' },
  getEventAttrs: { site: 'cspmu->get_event_attrs' },
  getFormatAttrs: { site: 'cspmu->get_format_attrs' },
} as const;

export type BackendCallSites = Readonly<Record<keyof typeof BACKEND_CALL_SITES, CallSite>>;

/** Declare the driver's sites on a machine; traces name the PMU (or its device before it has a name) and the event. */
export function defineBackendCallSites(sites: CallSites): BackendCallSites {
  return sites.define(BACKEND_CALL_SITES, (_ops, inst, e) => {
    const i = inst as CspmuDevice;
    return [i.name || i.device, (e as PerfEvent | undefined)?.id ?? -1];
  });
}

/** Call backend op `op` of `inst` (with `event`, for per-event ops) through its call site. */
export function callOp<K extends keyof BackendCallSites & keyof CspmuDevice['ops']>(
  sites: BackendCallSites,
  op: K,
  inst: CspmuDevice,
  event?: PerfEvent,
): ReturnType<CspmuDevice['ops'][K]> {
  const ops = liveOps(inst, op);
  return sites[op].invoke(ops, ops[op] as (this: unknown, a: CspmuDevice, b: PerfEvent | undefined) => ReturnType<CspmuDevice['ops'][K]>, inst, event);
}

/**
 * impl.ops, checked against use after free before it is read (the report apart, so that this inlines as a small function).
 * A const, not a function declaration: V8 folds a module's const bindings into optimised code, where it loads a
 * function declaration's (reassignable) binding and checks it at each call.
 */
const liveOps = (inst: CspmuDevice, op: string): CspmuDevice['ops'] => (inst.opsShadow.freedBy === null ? inst.ops : opsAfterFree(inst, op));

function opsAfterFree(inst: CspmuDevice, op: string): CspmuDevice['ops'] {
  inst.opsShadow.report(`impl.ops->${op}`);
  return inst.ops;
}

/**
 * The per-event ops that perf open and close call, each as callOp would,
 * but by fixed property names (callOp's lookups by a variable name are
 * megamorphic wherever V8 does not inline it), and each making its untraced
 * call itself: CallSite.invoke's one call is shared by every site, so V8
 * never knows its callee, while each call here sees only its own op and the
 * op's body can be inlined. A traced site still goes through invoke.
 *
 * Every caller is a driver callback (or the overflow handler) that runs
 * inside a frame of its own and restores the call stack on return and in a
 * catch that rethrows. So an untraced call here enters the site's frame (if
 * it has one) and leaves it on return, with no try of its own: an op that
 * throws leaves its frames to that callback, which pops them before anything
 * can look at the stack. The one throw caught inside the driver,
 * validate_event's in CounterMap.allocate, returns an errno straight to the
 * callback (add, or event_init through fitsGroup), which pops at once. One
 * try per callback instead of one more per op keeps these small enough for
 * the callbacks to inline them and still have budget for their register writes.
 */
const perEventOps = {
  eventType(s: BackendCallSites, inst: CspmuDevice, e: PerfEvent): number | bigint {
    const ops = liveOps(inst, 'eventType');
    const site = s.eventType;
    if (site.ops !== null) return site.invoke(ops, ops.eventType, inst, e);
    const depth = site.enter();
    const type = ops.eventType(inst, e);
    site.leave(depth);
    return type;
  },
  isCycleCounterEvent(s: BackendCallSites, inst: CspmuDevice, e: PerfEvent): boolean {
    const ops = liveOps(inst, 'isCycleCounterEvent');
    const site = s.isCycleCounterEvent;
    if (site.ops !== null) return site.invoke(ops, ops.isCycleCounterEvent, inst, e);
    const depth = site.enter();
    const cycle = ops.isCycleCounterEvent(inst, e);
    site.leave(depth);
    return cycle;
  },
  validateEvent(s: BackendCallSites, inst: CspmuDevice, e: PerfEvent): void {
    const ops = liveOps(inst, 'validateEvent');
    const site = s.validateEvent;
    if (site.ops !== null) site.invoke(ops, ops.validateEvent, inst, e);
    else {
      const depth = site.enter();
      ops.validateEvent(inst, e);
      site.leave(depth);
    }
  },
  setEvFilter(s: BackendCallSites, inst: CspmuDevice, e: PerfEvent): void {
    const ops = liveOps(inst, 'setEvFilter');
    const site = s.setEvFilter;
    if (site.ops !== null) site.invoke(ops, ops.setEvFilter, inst, e);
    else {
      const depth = site.enter();
      ops.setEvFilter(inst, e);
      site.leave(depth);
    }
  },
  setCcFilter(s: BackendCallSites, inst: CspmuDevice, e: PerfEvent): void {
    const ops = liveOps(inst, 'setCcFilter');
    const site = s.setCcFilter;
    if (site.ops !== null) site.invoke(ops, ops.setCcFilter, inst, e);
    else {
      const depth = site.enter();
      ops.setCcFilter(inst, e);
      site.leave(depth);
    }
  },
  resetEvFilter(s: BackendCallSites, inst: CspmuDevice, e: PerfEvent): void {
    const ops = liveOps(inst, 'resetEvFilter');
    const site = s.resetEvFilter;
    if (site.ops !== null) site.invoke(ops, ops.resetEvFilter, inst, e);
    else {
      const depth = site.enter();
      ops.resetEvFilter(inst, e);
      site.leave(depth);
    }
  },
};

/** The per-event ops (exported bindings live in cells, which V8 reads and checks at each use: the module's own callers use `perEventOps`). */
export const eventOps = perEventOps;

/** The counter map's questions about an event, answered by the backend's ops through their call sites (one small object per instance, not closures). */
export class BackendRules {
  constructor(
    private readonly inst: CspmuDevice,
    private readonly sites: BackendCallSites,
  ) {}

  isCycleEvent(event: PerfEvent): boolean {
    return perEventOps.isCycleCounterEvent(this.sites, this.inst, event);
  }

  validate(event: PerfEvent): void {
    perEventOps.validateEvent(this.sites, this.inst, event);
  }
}

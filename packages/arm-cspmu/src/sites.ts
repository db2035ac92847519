// The driver's call sites into backend ops, each patchable on its own, and their declaration on a machine.
import type { CallSite, CallSites } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import type { ArmCspmu } from './instance.js';

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
    const i = inst as ArmCspmu;
    return [i.name || i.device, (e as PerfEvent | undefined)?.id ?? -1];
  });
}

/** Call backend op `op` of `inst` (with `event`, for per-event ops) through its call site. */
export function callOp<K extends keyof BackendCallSites & keyof ArmCspmu['ops']>(
  sites: BackendCallSites,
  op: K,
  inst: ArmCspmu,
  event?: PerfEvent,
): ReturnType<ArmCspmu['ops'][K]> {
  if (inst.opsShadow.freedBy !== null) inst.opsShadow.report(`impl.ops->${op}`);
  const ops = inst.ops;
  return sites[op].invoke(ops, ops[op] as (this: unknown, a: ArmCspmu, b: PerfEvent | undefined) => ReturnType<ArmCspmu['ops'][K]>, inst, event);
}

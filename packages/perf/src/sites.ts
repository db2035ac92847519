// The perf core's call sites into PMU callbacks, each patchable on its own, and their declaration on a machine.
import type { CallSite, CallSites } from '@cspmu/kernel';
import type { PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';

/**
 * The perf core's call sites into PMUs, each patchable on its own. The
 * calls made while scheduling, reading and disabling run in the core
 * function's frame, so traces name it as the PMU callback's caller.
 */
export const PMU_CALL_SITES = {
  eventInit: { site: 'pmu->event_init' },
  add: { site: 'pmu->add', caller: 'event_sched_in' },
  del: { site: 'pmu->del', caller: 'event_sched_out' },
  start: { site: 'pmu->start' },
  stop: { site: 'pmu->stop' },
  read: { site: 'pmu->read', caller: 'perf_event_read' },
  enable: { site: 'pmu->pmu_enable', caller: 'perf_pmu_enable' },
  disable: { site: 'pmu->pmu_disable', caller: 'perf_pmu_disable' },
} as const;

export type PmuCallSites = Readonly<Record<keyof typeof PMU_CALL_SITES, CallSite>>;

/** Declare the core's sites on a machine; traces name the PMU by `nameOf` and the event by its id. */
export function definePmuCallSites(sites: CallSites, nameOf: (pmu: Pmu) => string): PmuCallSites {
  return sites.define(PMU_CALL_SITES, (pmu, e) => [nameOf(pmu as Pmu), (e as PerfEvent | undefined)?.id ?? -1]);
}

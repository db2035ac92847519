// The perf core's calls into a PMU's callbacks on a context's CPU, each through its own patchable call site.
import { type CallSite, type CallStack, kernelFunction, type Smp } from '@cspmu/kernel';
import type { PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';
import { PMU_CALL_SITES } from './sites.js';

/*
 * Each callback has a function of its own that calls it by name (pmu.add(...)),
 * so the call sees only that callback: V8 calls it directly, and inlines it where
 * it is small. A shared helper that calls `fn.call(pmu, a, b)` sees every callback
 * of every site and is megamorphic wherever V8 does not inline the helper into
 * a caller that knows `fn`. An untraced call runs in the site's caller frame,
 * pushed here by its id (a site's own enter() is a closure of each site, which
 * V8 does not always inline), as CallSite.invoke runs it; a traced site goes
 * through invoke. A task context (CPU -1) runs on whichever CPU its task is
 * on: the current one.
 */

const DISABLE_CALLER = kernelFunction(PMU_CALL_SITES.disable.caller).id;
const ENABLE_CALLER = kernelFunction(PMU_CALL_SITES.enable.caller).id;
const ADD_CALLER = kernelFunction(PMU_CALL_SITES.add.caller).id;
const DEL_CALLER = kernelFunction(PMU_CALL_SITES.del.caller).id;

/** A traced call: through the site's tracers, on `cpu`. */
export function tracedOn<A, B, R>(site: CallSite, smp: Smp, cpu: number, pmu: Pmu, fn: (this: Pmu, a: A, b: B) => R, a: A, b: B): R {
  const prev = smp.current;
  smp.current = cpu < 0 ? prev : cpu;
  try {
    return site.invoke(pmu, fn, a, b);
  } finally {
    smp.current = prev;
  }
}

export function pmuDisableOn(site: CallSite, calls: CallStack, smp: Smp, cpu: number, pmu: Pmu): void {
  if (site.ops !== null) {
    tracedOn(site, smp, cpu, pmu, pmu.pmuDisable, undefined, undefined);
    return;
  }
  const prev = smp.current;
  smp.current = cpu < 0 ? prev : cpu;
  const depth = calls.push(DISABLE_CALLER);
  try {
    pmu.pmuDisable();
  } finally {
    calls.pop(depth);
    smp.current = prev;
  }
}

export function pmuEnableOn(site: CallSite, calls: CallStack, smp: Smp, cpu: number, pmu: Pmu): void {
  if (site.ops !== null) {
    tracedOn(site, smp, cpu, pmu, pmu.pmuEnable, undefined, undefined);
    return;
  }
  const prev = smp.current;
  smp.current = cpu < 0 ? prev : cpu;
  const depth = calls.push(ENABLE_CALLER);
  try {
    pmu.pmuEnable();
  } finally {
    calls.pop(depth);
    smp.current = prev;
  }
}

export function addOn(site: CallSite, calls: CallStack, smp: Smp, cpu: number, e: PerfEvent, flags: number): number {
  const pmu = e.pmu;
  if (site.ops !== null) return tracedOn(site, smp, cpu, pmu, pmu.add, e, flags);
  const prev = smp.current;
  smp.current = cpu < 0 ? prev : cpu;
  const depth = calls.push(ADD_CALLER);
  try {
    return pmu.add(e, flags);
  } finally {
    calls.pop(depth);
    smp.current = prev;
  }
}

export function delOn(site: CallSite, calls: CallStack, smp: Smp, cpu: number, e: PerfEvent, flags: number): void {
  const pmu = e.pmu;
  if (site.ops !== null) {
    tracedOn(site, smp, cpu, pmu, pmu.del, e, flags);
    return;
  }
  const prev = smp.current;
  smp.current = cpu < 0 ? prev : cpu;
  const depth = calls.push(DEL_CALLER);
  try {
    pmu.del(e, flags);
  } finally {
    calls.pop(depth);
    smp.current = prev;
  }
}

/** event_init, which has no caller frame of its own: the depth it found is restored however it ends, as invoke does. */
export function eventInitOn(site: CallSite, calls: CallStack, pmu: Pmu, e: PerfEvent): void {
  if (site.ops !== null) {
    site.invoke(pmu, pmu.eventInit, e, undefined);
    return;
  }
  const depth = calls.depth;
  try {
    pmu.eventInit(e);
  } finally {
    calls.pop(depth);
  }
}

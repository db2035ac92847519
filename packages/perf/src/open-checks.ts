import { describeThrown, kerr, KernelError } from '@cspmu/kernel';
import { hasExcludeBits, isSampling } from './attr.js';
import { PERF_PMU_CAP_NO_EXCLUDE, PERF_PMU_CAP_NO_INTERRUPT } from './constants.js';
import type { OpenOptions } from './core.js';
import type { PerfCaller, PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';

/** The checks perf_event_open makes besides the PMU's own event_init. */

/**
 * perf_event_open's permission check: without CAP_PERFMON or CAP_SYS_ADMIN,
 * a CPU-wide event needs perf_event_paranoid <= 0 and counting the kernel
 * needs perf_event_paranoid <= 1.
 */
export function checkPermission(paranoid: number, excludeKernel: boolean, cpu: number, pid: number, caller: PerfCaller): void {
  const capable = caller.capabilities.includes('CAP_PERFMON') || caller.capabilities.includes('CAP_SYS_ADMIN');
  if (capable) return;
  if (pid === -1 && cpu >= 0 && paranoid > 0) {
    throw kerr(
      'EACCES',
      `${caller.name} may not open a system-wide event on cpu ${cpu}: that needs CAP_PERFMON (or CAP_SYS_ADMIN) or perf_event_paranoid <= 0, and perf_event_paranoid is ${paranoid}`,
    );
  }
  if (!excludeKernel && paranoid > 1) {
    throw kerr(
      'EACCES',
      `${caller.name} may not count kernel activity: that needs CAP_PERFMON or perf_event_paranoid <= 1, and perf_event_paranoid is ${paranoid}; or exclude the kernel (:u)`,
    );
  }
}

/**
 * After the PMU accepted the event: what its capabilities rule out (exclude
 * bits, sampling without an interrupt) and whether it may join `group`
 * (one hardware PMU per group, one CPU per group).
 */
export function checkInitialisedEvent(event: PerfEvent, pmuName: string, group: PerfEvent | undefined, nameOf: (pmu: Pmu) => string): void {
  const pmu = event.pmu;
  const attr = event.attr;
  if (pmu.capabilities & PERF_PMU_CAP_NO_EXCLUDE && hasExcludeBits(attr)) {
    throw kerr('EINVAL', `PMU '${pmuName}' cannot exclude user/kernel/hv/idle/host/guest; drop the event modifiers`);
  }
  if (pmu.capabilities & PERF_PMU_CAP_NO_INTERRUPT && isSampling(attr)) {
    throw kerr('EOPNOTSUPP', `PMU '${pmuName}' has no overflow interrupt, so it cannot sample`);
  }
  if (!group) return;
  const hw = new Set<Pmu>();
  for (const e of [...group.groupMembers(), event]) if (!e.pmu.software) hw.add(e.pmu);
  if (hw.size > 1) {
    const names = [...hw].map(nameOf);
    throw kerr('EINVAL', `events of two hardware PMUs (${names.join(', ')}) cannot share a group; put them in separate groups`);
  }
  if (group.cpu !== event.cpu) {
    throw kerr('EINVAL', `event on cpu ${event.cpu} cannot join a group on cpu ${group.cpu}`);
  }
}

/** INT_MAX: sysctl and sysfs integers are C ints. */
export const INT_MAX = 0x7fffffff;

/** Read open()'s options once (EINVAL if they are not an object, EFAULT if they cannot be read). */
export function copyOpenOptions(o: unknown): OpenOptions {
  if (typeof o !== 'object' || o === null) throw kerr('EINVAL', 'open options must be an object with at least { cpu }');
  try {
    const r = o as Record<string, unknown>;
    const copy = { cpu: r['cpu'], group: r['group'], pid: r['pid'], caller: r['caller'] };
    if (copy.caller !== undefined) {
      const c = copy.caller as Record<string, unknown>;
      const caps = typeof c === 'object' && c !== null ? c['capabilities'] : undefined;
      if (typeof c !== 'object' || c === null || typeof c['name'] !== 'string' || !Array.isArray(caps) || caps.some((x) => typeof x !== 'string')) {
        throw kerr('EINVAL', 'open options: caller must be { name, capabilities: string[] }');
      }
      copy.caller = { ...c, name: c['name'], capabilities: [...caps] };
    }
    return copy as OpenOptions;
  } catch (e) {
    if (e instanceof KernelError) throw e;
    throw kerr('EFAULT', `open options cannot be read: ${describeThrown(e)}`, e);
  }
}

// The checks perf_event_open makes around the PMU's event_init (permissions, exclude bits, task events), each where the kernel makes it.
import { type Cpus, describeThrown, describeValue, KernelError, kerr, moduleGetRefusal } from '@cspmu/kernel';
import { hasExcludeBits, isSampling } from './attr.js';
import { type PerfCaller, PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';

/** The checks perf_event_open makes besides the PMU's own event_init, split by where the kernel makes them. */

/** perfmon_capable: CAP_PERFMON or CAP_SYS_ADMIN. Open asks once (the caller was copied at entry, so it cannot change) and passes the answer to both checks. */
export function perfmonCapable(caller: PerfCaller): boolean {
  // One pass over the (short) list, inline: two includes() were two calls into a builtin.
  const caps = caller.capabilities;
  for (let i = 0; i < caps.length; i++) {
    const c = caps[i];
    if (c === 'CAP_PERFMON' || c === 'CAP_SYS_ADMIN') return true;
  }
  return false;
}

/** The CPU and task an open names, checked first: a CPU or a task (or both), each one that exists. */
export function checkOpenTarget(cpus: Cpus, cpu: number, pid: number): void {
  // A target that is plainly fine (a CPU that exists, a task, or both) is settled by one test that V8 inlines into open;
  // the checks that name what is wrong run only for anything else, and decide it.
  if (Number.isInteger(cpu) && Number.isInteger(pid) && pid >= -1 && (cpu >= 0 ? cpus.isPossible(cpu) : cpu === -1 && pid !== -1)) return;
  refuseOpenTarget(cpus, cpu, pid);
}

function refuseOpenTarget(cpus: Cpus, cpu: number, pid: number): void {
  if (!Number.isInteger(cpu) || cpu < -1) throw kerr('EINVAL', `cpu must be -1 or a CPU number, got ${describeValue(cpu)}`);
  if (!Number.isInteger(pid) || pid < -1) throw kerr('EINVAL', `pid must be -1 or a process id, got ${describeValue(pid)}`);
  if (cpu === -1 && pid === -1) throw kerr('EINVAL', 'an event needs a CPU or a task (cpu -1 with pid -1 counts nothing)');
  if (cpu >= 0 && !cpus.isPossible(cpu)) throw kerr('EINVAL', `cpu ${cpu} does not exist (0-${cpus.count - 1})`);
}

/** The group_fd of an open: an open perf event that leads its group. */
export function checkGroupLeader(group: unknown): void {
  if (!(group instanceof PerfEvent)) throw kerr('EBADF', 'group must be an open perf event (the group_fd is not a perf event)');
  if (!group.live) throw kerr('EINVAL', `group leader ${group.id} is closed`);
  if (!group.isLeader) throw kerr('EINVAL', `event ${group.id} is not a group leader; join its leader ${group.leader.id} instead`);
}

/** perf_allow_kernel, first of all: counting the kernel needs CAP_PERFMON or perf_event_paranoid <= 1. */
export function checkKernelPermission(paranoid: number, excludeKernel: boolean, caller: PerfCaller, capable: boolean): void {
  if (!(excludeKernel || paranoid <= 1 || capable)) refuseKernelCounting(paranoid, caller);
}

function refuseKernelCounting(paranoid: number, caller: PerfCaller): never {
  throw kerr(
    'EACCES',
    `${caller.name} may not count kernel activity: that needs CAP_PERFMON or perf_event_paranoid <= 1, and perf_event_paranoid is ${paranoid}; or exclude the kernel (:u)`,
  );
}

/** perf_allow_cpu, when the CPU context is looked up (after event_init): a CPU-wide event needs CAP_PERFMON or perf_event_paranoid <= 0. */
export function checkCpuPermission(paranoid: number, cpu: number, caller: PerfCaller, capable: boolean): void {
  if (!(paranoid <= 0 || capable)) refuseCpuWide(paranoid, cpu, caller);
}

function refuseCpuWide(paranoid: number, cpu: number, caller: PerfCaller): never {
  throw kerr(
    'EACCES',
    `${caller.name} may not open a system-wide event on cpu ${cpu}: that needs CAP_PERFMON (or CAP_SYS_ADMIN) or perf_event_paranoid <= 0, and perf_event_paranoid is ${paranoid}`,
  );
}

/**
 * Right after the PMU accepted the event, in the kernel's order: exclude
 * bits on a NO_EXCLUDE PMU (perf_try_init_event), a task on an uncore PMU
 * (perf_event_alloc), sampling without an interrupt (perf_event_open).
 */
export function checkInitialisedEvent(event: PerfEvent, pmuName: string): void {
  const pmu = event.pmu;
  const attr = event.attr;
  // The capability bits and the reasons as numbers (PERF_PMU_CAP_NO_EXCLUDE 2, PERF_PMU_CAP_NO_INTERRUPT 1; a spec
  // pins them): each name would be a module-variable load and a hole check in the bytecode open inlines.
  if (pmu.capabilities & 2 && hasExcludeBits(attr)) refuseInitialised(0, pmuName);
  if (pmu.taskCtxNr === 'invalid' && event.task !== -1) refuseInitialised(1, pmuName);
  // The kernel asks whether the event samples first, and reads pmu->capabilities only for one that does.
  if (isSampling(attr) && pmu.capabilities & 1) refuseInitialised(2, pmuName);
}

/** The errors of checkInitialisedEvent (0 exclude bits, 1 a task, 2 sampling), built out of line so that the checks stay small enough for V8 to inline into open. */
function refuseInitialised(why: number, pmuName: string): never {
  if (why === 0) throw kerr('EINVAL', `PMU '${pmuName}' cannot exclude user/kernel/hv/idle/host/guest; drop the event modifiers`);
  if (why === 1) {
    throw kerr('EINVAL', `PMU '${pmuName}' is an uncore PMU: it counts per CPU, not per task; count system-wide (-a) or on CPUs (-C)`);
  }
  throw kerr('EOPNOTSUPP', `PMU '${pmuName}' has no overflow interrupt, so it cannot sample`);
}

/** Whether the event may join `group`, checked last: one hardware PMU per group, one CPU per group. */
export function checkGroupJoin(event: PerfEvent, group: PerfEvent | undefined, nameOf: (pmu: Pmu) => string): void {
  if (!group) return;
  const hw = new Set<Pmu>();
  for (const e of [...group.groupMembers(), event]) if (!e.pmu.software) hw.add(e.pmu);
  if (hw.size > 1) {
    const names = [...hw].map(nameOf);
    throw kerr('EINVAL', `events of two hardware PMUs (${names.join(', ')}) cannot share a group; put them in separate groups`);
  }
  // A hardware member that joined once left the group in its PMU's context for good (the kernel narrows the leader's group caps and never widens them).
  const home = group.ctx?.pmu;
  if (home !== undefined && !home.software && !event.pmu.software && home !== event.pmu) {
    throw kerr(
      'EINVAL',
      `the group of event ${group.id} stays in ${nameOf(home)}'s context since a hardware event of it joined; an event of ${nameOf(event.pmu)} cannot join it: put it in a separate group`,
    );
  }
  if (group.cpu !== event.cpu) {
    throw kerr('EINVAL', `event on cpu ${event.cpu} cannot join a group on cpu ${group.cpu}`);
  }
}

/** INT_MAX: sysctl and sysfs integers are C ints. */
export const INT_MAX = 0x7fffffff;

/** perf_event_paranoid is a C int sysctl (proc_dointvec): any int, and a write of anything else is EINVAL. */
export function checkParanoid(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -INT_MAX - 1 || v > INT_MAX) {
    throw kerr('EINVAL', `perf_event_paranoid must be an integer from ${-INT_MAX - 1} to ${INT_MAX}, got ${describeValue(v)}`);
  }
  return v;
}

/** perf_event_mux_interval_ms: a positive C int, as its store takes it. */
export function checkMuxInterval(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > INT_MAX) {
    throw kerr('EINVAL', `perf_event_mux_interval_ms must be an integer from 1 to ${INT_MAX}, got ${describeValue(ms)}`);
  }
  return ms;
}

/** Read open()'s options once (EINVAL if they are not an object, EFAULT if they cannot be read). */
export function copyOpenOptions(o: unknown): OpenOptions {
  if (typeof o !== 'object' || o === null) refuseOpenOptions();
  try {
    const r = o as Record<string, unknown>;
    const copy = { cpu: r['cpu'], group: r['group'], pid: r['pid'], caller: r['caller'] };
    if (copy.caller !== undefined) copy.caller = copyCaller(copy.caller);
    return copy as OpenOptions;
  } catch (e) {
    throw unreadableOpenOptions(e);
  }
}

// The rare parts of copyOpenOptions out of line, so that what open inlines is the copy of four fields.
function refuseOpenOptions(): never {
  throw kerr('EINVAL', 'open options must be an object with at least { cpu }');
}

function copyCaller(caller: unknown): PerfCaller {
  const c = caller as Record<string, unknown>;
  const caps = typeof c === 'object' && c !== null ? c['capabilities'] : undefined;
  if (typeof c !== 'object' || c === null || typeof c['name'] !== 'string' || !Array.isArray(caps) || caps.some((x) => typeof x !== 'string')) {
    throw kerr('EINVAL', 'open options: caller must be { name, capabilities: string[] }');
  }
  return { ...c, name: c['name'], capabilities: [...caps] } as PerfCaller;
}

/** A KernelError passes through; anything else thrown while reading the options is EFAULT. */
function unreadableOpenOptions(e: unknown): KernelError {
  return e instanceof KernelError ? e : kerr('EFAULT', `open options cannot be read: ${describeThrown(e)}`, e);
}

/** What perf_event_open takes besides the attr. */
export interface OpenOptions {
  /** The CPU to count on; uncore PMUs need one (-a / -C). */
  readonly cpu: number;
  /** The group leader to join. */
  readonly group?: PerfEvent;
  /** -1 (default) for a CPU-wide event; a pid for a task event. */
  readonly pid?: number;
  readonly caller?: PerfCaller;
}

/** try_module_get failed: ENODEV, saying why in the words every module reference refusal uses. */
export function refuseModuleGet(pmuName: string, module: { readonly name: string; readonly refs: number } | undefined): never {
  throw kerr('ENODEV', `PMU '${pmuName}': its ${moduleGetRefusal(module)}`);
}

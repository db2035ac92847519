// What the facade says about bound devices: a binding record, a per-device awaitable for the next settled binding, and closing events as a set.

import type { ArmCspmuDriver, DeviceBinding } from '@cspmu/arm-cspmu/driver';
import { describeValue, type Kernel, kerr, listProblems, MAX_LISTED_PROBLEMS, type PlatformBus } from '@cspmu/kernel';
import type { PerfCore, PerfEvent } from '@cspmu/perf';

export type { DeviceBinding } from '@cspmu/arm-cspmu/driver';

export interface WhenBoundOptions {
  /** Wait for this backend in particular (e.g. `nvidia_cspmu` after a load). */
  readonly backend?: string;
}

/**
 * The device's binding once it is bound with no reprobe pending (and to
 * `backend`, if given): at once if it already is, else when a probe binds
 * it so. ENODEV for a device the machine does not have.
 */
export function whenBound(kernel: Kernel, bus: PlatformBus, driver: ArmCspmuDriver, device: string, options: WhenBoundOptions = {}): Promise<DeviceBinding> {
  if (typeof device !== 'string' || bus.device(device) === undefined) {
    const names = bus.allDevices().map((d) => d.name);
    return Promise.reject(
      kerr('ENODEV', `no device ${describeValue(device)} on this machine; its devices are ${listProblems(names, MAX_LISTED_PROBLEMS, ', ')}`),
    );
  }
  const settled = (): DeviceBinding | undefined => {
    const b = driver.bindings().find((x) => x.device === device);
    return b && !b.reprobePending && (options.backend === undefined || b.backend === options.backend) ? b : undefined;
  };
  const now = settled();
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const onBound = (p: { device: string }) => {
      if (p.device !== device) return;
      const b = settled();
      if (!b) return;
      kernel.lifecycle.off('cspmu:bound', onBound);
      resolve(b);
    };
    kernel.lifecycle.on('cspmu:bound', onBound);
  });
}

/**
 * Close a set of events as one: each is checked first (EBADF for one that is
 * not open, EINVAL for one given twice), then group members close before
 * their leaders, so no leader's siblings are promoted on the way. Every event
 * is off its PMU when this returns; the promise settles once their frees
 * (destroy, then the module reference) have finished.
 */
export function closeEvents(perf: PerfCore, events: PerfEvent | readonly PerfEvent[]): Promise<void> {
  const list = Array.isArray(events) ? (events as readonly PerfEvent[]) : [events as PerfEvent];
  const live = new Set(perf.liveEvents());
  const seen = new Set<PerfEvent>();
  for (const e of list) {
    if (!live.has(e)) throw kerr('EBADF', `close: ${describe(e)} is not an open event of this machine`);
    if (seen.has(e)) throw kerr('EINVAL', `close: event ${e.id} is listed twice`);
    seen.add(e);
  }
  const frees: Promise<void>[] = [];
  for (const e of list) if (!e.isLeader) frees.push(perf.close(e));
  for (const e of list) if (e.isLeader) frees.push(perf.close(e));
  return Promise.all(frees).then(() => undefined);
}

/** An event by its id, anything else as describeValue says it (a Proxy's `in` trap may throw). */
function describe(e: unknown): string {
  try {
    if (typeof e === 'object' && e !== null && 'id' in e) return `event ${describeValue((e as { id: unknown }).id)}`;
  } catch {
    // fall through to the value's kind
  }
  return describeValue(e);
}

// read(2) and ioctl(2) on a perf event: the paths that may sleep, each inside the core's event-use read section.
import { type CallStack, type Kernel, kerr, kfunc, type Srcu } from '@cspmu/kernel';
import { isSampling } from './attr.js';
import { PERF_FORMAT_GROUP, PERF_EVENT_STATE as S } from './constants.js';
import type { PerfEvent, ReadResult } from './event.js';
import type { PmuCallSites } from './sites.js';

/** The ioctls of a perf event fd (PERF_EVENT_IOC_*). */
export type PerfIoctl = 'ENABLE' | 'DISABLE' | 'RESET' | 'REFRESH';

/** What the syscalls need of the core. */
export interface SyscallCore {
  readonly sites: PmuCallSites;
  checkLive(event: PerfEvent): void;
  isLive(event: PerfEvent): boolean;
  /** read() without refreshing the counts from the PMU (they were just refreshed). */
  read(event: PerfEvent, refresh: boolean): ReadResult;
  enable(event: PerfEvent): void;
  disable(event: PerfEvent): void;
}

/**
 * read(2) and ioctl(2) as a task that may sleep. Each runs inside a read
 * section of the core's event-use SRCU (the one a pending reprobe waits a
 * grace period of before it releases the device), and calls pmu->read with
 * Kernel.preemptible set: when the PMU must wait (a stalled bus, a hi-lo-hi
 * retry) it returns a promise, and the read section is held across every
 * await until the syscall is done. When nothing waits, the syscall finishes
 * before it returns and gives its result directly, with no promise.
 *
 * ENABLE and DISABLE reschedule the context under its lock with interrupts
 * off, as the kernel does: their MMIO cannot sleep, so they never wait.
 */
export class PerfSyscalls {
  readonly calls: CallStack;

  constructor(
    private readonly kernel: Kernel,
    private readonly core: SyscallCore,
    /** The event-use side: a grace period of it means no read, ioctl or free begun before is still running. */
    private readonly section: Srcu,
  ) {
    this.calls = kernel.calls;
  }

  /** read(2): the event's value and times (every member's with PERF_FORMAT_GROUP on a leader). A promise only if a counter read had to wait. */
  @kfunc('perf_read')
  read(event: PerfEvent): ReadResult | Promise<ReadResult> {
    this.core.checkLive(event);
    // As the core's read: the event, then with PERF_FORMAT_GROUP every member, leader first (no array made).
    const n = event.attr.read_format & PERF_FORMAT_GROUP && event.isLeader ? 2 + event.siblings.length : 1;
    const token = this.section.readLock();
    let sleeping = false;
    try {
      for (let i = 0; i < n; i++) {
        const wait = this.readOne(i < 2 ? event : event.siblings[i - 2]!);
        if (wait === undefined) continue;
        sleeping = true;
        return this.calls.runAsync('perf_read', async () => {
          try {
            await wait;
            for (let j = i + 1; j < n; j++) {
              // The group may have changed while this read slept (a member closed); read who is still in it.
              const next = j < 2 ? event : event.siblings[j - 2];
              if (next !== undefined) await this.readOne(next);
            }
            return this.result(event);
          } finally {
            this.section.readUnlock(token);
          }
        });
      }
      return this.core.read(event, false);
    } finally {
      if (!sleeping) this.section.readUnlock(token);
    }
  }

  /** ioctl(2). RESET reads the count first, and may wait for the PMU as read(2) does; a promise only then. */
  @kfunc('perf_ioctl')
  ioctl(event: PerfEvent, cmd: PerfIoctl): void | Promise<void> {
    this.core.checkLive(event);
    switch (cmd) {
      case 'ENABLE':
        return this.core.enable(event);
      case 'DISABLE':
        return this.core.disable(event);
      case 'REFRESH':
        // Only a sampling event has an overflow limit to refresh; the emulated core samples nothing.
        if (!isSampling(event.attr))
          throw kerr('EINVAL', `PERF_EVENT_IOC_REFRESH: event ${event.id} counts, it does not sample (refresh is for sampling events)`);
        throw kerr('EOPNOTSUPP', `PERF_EVENT_IOC_REFRESH: the emulated perf core delivers no samples`);
      case 'RESET':
        return this.reset(event);
      default:
        throw kerr('ENOTTY', `unknown perf ioctl '${String(cmd)}'; use ENABLE, DISABLE, RESET or REFRESH`);
    }
  }

  private reset(event: PerfEvent): void | Promise<void> {
    const token = this.section.readLock();
    let wait: void | Promise<void>;
    try {
      wait = this.readOne(event);
    } catch (e) {
      this.section.readUnlock(token);
      throw e;
    }
    if (wait === undefined) {
      event.count = 0;
      this.section.readUnlock(token);
      return undefined;
    }
    return this.calls.runAsync('perf_ioctl', async () => {
      try {
        await wait;
        event.count = 0;
      } finally {
        this.section.readUnlock(token);
      }
    });
  }

  /** pmu->read of one event on its CPU, from a path that may sleep: a promise if the PMU must wait. */
  private readOne(e: PerfEvent): void | Promise<void> {
    if (e.state !== S.ACTIVE) return undefined;
    const k = this.kernel;
    const smp = k.smp;
    const prev = smp.current;
    const cpu = e.cpu;
    smp.current = cpu < 0 ? prev : cpu; // a task event (CPU -1) is read on the current CPU
    k.preemptible++;
    try {
      return this.core.sites.read.invoke(e.pmu, e.pmu.read, e, undefined);
    } finally {
      k.preemptible--;
      smp.current = prev;
    }
  }

  /** The result once every read has finished: a live event's counts and times now; a closed one's as its close left them. */
  private result(event: PerfEvent): ReadResult {
    if (this.core.isLive(event)) return this.core.read(event, false);
    const group = event.attr.read_format & PERF_FORMAT_GROUP && event.isLeader ? event.groupMembers().map((e) => ({ value: e.count, id: e.id })) : undefined;
    return {
      value: event.count,
      id: event.id,
      timeEnabled: event.enabledNs,
      timeRunning: event.runningNs,
      notCounted: event.state === S.ERROR,
      ...(group ? { group } : {}),
    };
  }
}

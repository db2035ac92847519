// The perf core: perf_event_open with the kernel's checks, groups, ioctls, reads, context migration, and the module reference of each event.
import { type Kernel, KernelError, kerr, type ModuleLoader, type Srcu } from '@cspmu/kernel';
import { type FullAttr, normalizeAttr, type PerfEventAttr } from './attr.js';
import { PERF_FORMAT_GROUP, PERF_TYPE, PERF_EVENT_STATE as S } from './constants.js';
import { PmuCpuContext } from './context.js';
import { type PerfCaller, PerfEvent, type ReadResult, type ReadValue, ROOT } from './event.js';
import { EventFreer } from './free.js';
import { EventLifecycle } from './lifecycle.js';
import * as checks from './open-checks.js';
import type { Pmu } from './pmu.js';
import { eventInitOn } from './pmu-calls.js';
import { PMU_SYSFS_ROOT, type PmuRegistration, PmuRegistry } from './registration.js';
import { definePmuCallSites, type PmuCallSites } from './sites.js';
import { SoftwarePmu } from './software-pmu.js';
import { PerfSyscalls } from './syscalls.js';

/**
 * The perf core: perf_event_open with the kernel's checks, per-CPU
 * contexts, groups, scheduling and multiplexing, ioctls, reads and context
 * migration; PMU registrations are kept by a PmuRegistry. Lookups of a PMU
 * (open, sysfs reads) run inside `srcu`, which a PMU unregistration waits
 * for. The PMU's module reference is held for an event's whole life and
 * dropped only after destroy, by the free path, which runs inside `freeing`,
 * as read(2) and ioctl(2) (`sys`) do across any wait for the hardware.
 */
export class PerfCore {
  private readonly sysctl = { paranoid: 2 };
  /** perf_event_paranoid: a write outside a C int is EINVAL and changes nothing, as proc_dointvec's. */
  get paranoid(): number {
    return this.sysctl.paranoid;
  }
  set paranoid(v: number) {
    this.sysctl.paranoid = checks.checkParanoid(v);
  }
  declare readonly srcu: Srcu; // declared and set in the constructor (see PmuCpuContext), as the fields below
  /** The event-use side: one grace period of it and every free, read(2) and ioctl(2) begun before has finished. */
  declare readonly freeing: Srcu;
  /** read(2) and ioctl(2), which may sleep waiting for the hardware. */
  declare readonly sys: PerfSyscalls;
  declare private readonly freer: EventFreer;
  declare private readonly registry: PmuRegistry;
  declare private nextId: number;
  declare private lastCtx: PmuCpuContext | undefined;
  declare private readonly events: EventLifecycle;
  /** The core's call sites into PMUs (function tracing patches these). */
  declare readonly sites: PmuCallSites;
  declare readonly kernel: Kernel;
  declare private readonly modules: ModuleLoader;

  constructor(kernel: Kernel, modules: ModuleLoader) {
    this.kernel = kernel;
    this.modules = modules;
    this.nextId = 1;
    this.lastCtx = undefined;
    this.srcu = kernel.srcu('pmus');
    this.freeing = kernel.srcu('perf_free');
    this.registry = new PmuRegistry(kernel, this.srcu);
    const nameOf = (pmu: Pmu) => this.registry.ofPmu(pmu)?.name ?? '?';
    this.events = new EventLifecycle(kernel.lifecycle, nameOf);
    this.freer = new EventFreer(kernel, modules, this.freeing, this.events);
    this.sites = definePmuCallSites(kernel.callSites, nameOf);
    this.register(new SoftwarePmu(kernel.clock), 'software', PERF_TYPE.SOFTWARE);
    this.sys = new PerfSyscalls(kernel, this, this.freeing);
  }

  // ---------------------------------------------------------- registration
  /** perf_pmu_register: a dynamic type (lowest free from 6) when `type` is -1. */
  register(pmu: Pmu, name: string, type = -1): number {
    return this.registry.add(pmu, name, type).type;
  }

  /** perf_pmu_unregister: refused while events exist; returns after a grace period. */
  async unregister(pmu: Pmu): Promise<void> {
    const reg = this.registry.ofPmu(pmu);
    if (!reg) throw kerr('ENOENT', 'PMU is not registered');
    const n = this.registry.openEventsHolding(reg).length;
    if (n > 0) throw kerr('EBUSY', `PMU '${reg.name}' still has ${n} event(s); close them before unregistering`);
    for (const ctx of reg.contexts.values()) ctx.stopRotation();
    this.registry.remove(reg);
    this.lastCtx = undefined;
    await this.srcu.synchronize();
  }

  pmus(): { name: string; type: number; pmu: Pmu }[] {
    return [...this.registry.all()].sort((a, b) => a.type - b.type).map((r) => ({ name: r.name, type: r.type, pmu: r.pmu }));
  }

  pmuByName(name: string): Pmu | undefined {
    return this.registry.ofName(name)?.pmu;
  }

  nameOf(pmu: Pmu): string {
    return this.registry.get(pmu).name;
  }

  /** The open events, in the order they were opened. */
  liveEvents(): readonly PerfEvent[] {
    return this.registry.openEvents();
  }

  muxInterval(pmu: Pmu): number {
    return this.registry.get(pmu).muxIntervalMs;
  }

  setMuxInterval(pmu: Pmu, ms: number): void {
    this.registry.get(pmu).muxIntervalMs = checks.checkMuxInterval(ms);
  }

  /** Open and close look up one context several times: the last one found saves two map lookups each (unregister forgets it). */
  context(pmu: Pmu, cpu: number): PmuCpuContext {
    const last = this.lastCtx;
    return last !== undefined && last.pmu === pmu && last.cpu === cpu ? last : this.lookupContext(pmu, cpu);
  }

  private lookupContext(pmu: Pmu, cpu: number): PmuCpuContext {
    const reg = this.registry.get(pmu);
    let ctx = reg.contexts.get(cpu);
    if (!ctx) {
      ctx = new PmuCpuContext(pmu, cpu, this.kernel.clock, this.kernel.smp, () => reg.muxIntervalMs * 1_000_000, this.sites, this.kernel.calls);
      reg.contexts.set(cpu, ctx);
    }
    return (this.lastCtx = ctx);
  }

  // ---------------------------------------------------------- open / close
  /** perf_event_open. */
  open(attrIn: PerfEventAttr, optsIn: checks.OpenOptions): PerfEvent {
    const attr = normalizeAttr(attrIn);
    const opts = checks.copyOpenOptions(optsIn);
    const pid = opts.pid ?? -1;
    const caller = opts.caller ?? ROOT;
    const cpu = opts.cpu;
    checks.checkOpenTarget(this.kernel.cpus, cpu, pid);
    const capable = checks.perfmonCapable(caller);
    checks.checkKernelPermission(this.paranoid, attr.exclude_kernel, caller, capable);
    const group = opts.group;
    if (group !== undefined) checks.checkGroupLeader(group);

    const exact = this.registry.ofType(attr.type);
    const token = this.srcu.readLock();
    try {
      // A type no PMU registered: the generic hardware types go to each hardware PMU in turn, until one takes it.
      if (exact !== undefined) return this.openOn(exact, attr, cpu, caller, capable, pid, group, false)!;
      if (attr.type === PERF_TYPE.HARDWARE || attr.type === PERF_TYPE.HW_CACHE || attr.type === PERF_TYPE.RAW) {
        for (const reg of [...this.registry.all()]) {
          const event = reg.pmu.software ? undefined : this.openOn(reg, attr, cpu, caller, capable, pid, group, true);
          if (event !== undefined) return event;
        }
      }
    } finally {
      this.srcu.readUnlock(token);
    }
    throw kerr('ENOENT', `no PMU handles type ${attr.type} config 0x${attr.config.toString(16)}; check the PMU name or event`);
  }

  /** Open on one PMU: its module, its event_init, then the core's checks. Undefined when a PMU tried for a generic type says ENOENT. */
  private openOn(
    reg: PmuRegistration,
    attr: FullAttr,
    cpu: number,
    caller: PerfCaller,
    capable: boolean,
    pid: number,
    group: PerfEvent | undefined,
    generic: boolean,
  ) {
    const pmu = reg.pmu;
    if (!this.modules.tryModuleGet(pmu.module)) checks.refuseModuleGet(reg.name, pmu.module);
    const event = new PerfEvent(this.nextId++, attr, pmu, cpu, caller, pid);
    if (group) event.leader = group;
    try {
      eventInitOn(this.sites.eventInit, this.kernel.calls, pmu, event);
    } catch (e) {
      this.modules.modulePut(pmu.module);
      if (e instanceof KernelError && e.code === 'ENOENT' && generic) return undefined;
      throw e;
    }
    // The core's own checks come after event_init, in the kernel's order.
    try {
      checks.checkInitialisedEvent(event, reg.name);
      if (pid === -1) {
        checks.checkCpuPermission(this.paranoid, event.cpu, caller, capable);
        // The CPU that counts is event.cpu as event_init left it (arm_cspmu moves it to the PMU's active CPU).
        if (!this.kernel.cpus.isOnline(event.cpu)) throw kerr('ENODEV', `cpu ${event.cpu} is offline`);
      }
      if (group !== undefined) checks.checkGroupJoin(event, group, (p) => this.registry.ofPmu(p)?.name ?? '?');
    } catch (e) {
      event.destroy?.(event);
      this.modules.modulePut(pmu.module);
      throw e;
    }
    this.install(event, reg);
    return event;
  }

  private install(event: PerfEvent, reg: PmuRegistration): void {
    const now = this.kernel.clock.now();
    event.tstamp = now;
    event.state = event.attr.disabled ? S.OFF : S.INACTIVE;
    event.live = true;
    // Installing reschedules the context in one PMU disable/enable pair, whether the event is enabled or not.
    if (event.isLeader) {
      this.context(reg.pmu, event.cpu).install(event);
    } else this.installMember(event);
    this.events.fireOpened(event, reg.name);
  }

  /** A member joins its leader's group (apart from install, which V8 then inlines whole into open). */
  private installMember(event: PerfEvent): void {
    const leader = event.leader;
    const oldCtx = leader.ctx!;
    leader.siblings.push(event);
    let ctx = oldCtx;
    // Only a hardware event moves a group, out of a software context (one of another hardware PMU was refused); a software event joins it where it is.
    if (event.pmu !== oldCtx.pmu && !event.pmu.software) {
      ctx = this.context(event.pmu, leader.cpu);
      if (leader.state === S.ACTIVE) oldCtx.groupSchedOut(leader);
      oldCtx.removeGroup(leader);
      ctx.addGroup(leader);
    }
    ctx.resched(leader.attr.pinned);
  }

  /** close(): off its context at once, then freed (destroy, put ctx, module_put); the promise settles when the free has. */
  close(event: PerfEvent): Promise<void> {
    if (!(event instanceof PerfEvent)) throw kerr('EBADF', 'close: not a perf event');
    if (!event.live) throw kerr('EBADF', `event ${event.id} is already closed`);
    const leader = event.leader;
    const ctx = leader.ctx!;
    // Only the closed event leaves the PMU, and nothing is rescheduled: a leader's siblings become singleton groups that keep their counters (and go on
    // counting if they were on), in the group's context as the kernel's (a software member of a hardware group stays in the hardware PMU's).
    ctx.eventSchedOut(event);
    if (event.isLeader) {
      ctx.removeGroup(event);
      for (const sib of event.siblings) {
        sib.leader = sib;
        ctx.addGroup(sib);
      }
      if (event.siblings.length !== 0) event.siblings.length = 0;
    } else {
      leader.siblings.splice(leader.siblings.indexOf(event), 1);
    }
    event.live = false;
    this.events.fireClosed(event);
    return this.freer.free(event);
  }

  /** Closed events whose free has not yet dropped their PMU's module reference: the sleeping frees in the order they began, then the running ones, outermost first. */
  eventsHoldingModule(): readonly PerfEvent[] {
    return this.freer.holdingModule();
  }

  // ---------------------------------------------------------- ioctls
  enable(event: PerfEvent): void {
    this.checkLive(event);
    if (event.state !== S.OFF && event.state !== S.ERROR) return;
    const ctx = event.leader.ctx!;
    ctx.updateTimes(event, this.kernel.clock.now());
    event.state = S.INACTIVE;
    if (event.isLeader) for (const s of event.siblings) if (s.state === S.ERROR) s.state = S.INACTIVE;
    // A member waits for its group: nothing is rescheduled while the leader is not on the PMU.
    if (!event.isLeader && event.leader.state !== S.ACTIVE) return;
    ctx.resched(event.leader.attr.pinned);
  }

  disable(event: PerfEvent): void {
    this.checkLive(event);
    if (event.state < S.INACTIVE) return;
    event.leader.ctx!.disableEvent(event);
  }

  reset(event: PerfEvent): void {
    this.checkLive(event);
    this.readCount(event);
    event.count = 0;
  }

  // ---------------------------------------------------------- reads
  /** The count, refreshed from the hardware if the event is running. Allocation-free. */
  readCount(event: PerfEvent): number {
    if (event.state === S.ACTIVE) {
      const smp = this.kernel.smp;
      const prev = smp.current;
      smp.current = event.cpu < 0 ? prev : event.cpu; // a task event (CPU -1) is read on the current CPU
      try {
        this.sites.read.invoke(event.pmu, event.pmu.read, event, undefined);
      } finally {
        smp.current = prev;
      }
    }
    return event.count;
  }

  /** An atomic read (never sleeps): value, times, id; PERF_FORMAT_GROUP on a leader gives every member. `refresh` false: counts as they are. */
  read(event: PerfEvent, refresh = true): ReadResult {
    this.checkLive(event);
    const now = this.kernel.clock.now();
    const ctx = event.leader.ctx!;
    const value = refresh ? this.readCount(event) : event.count;
    ctx.updateTimes(event, now);
    // One object per read, built whole (the fuzzer reads every event after every step).
    const group =
      event.attr.read_format & PERF_FORMAT_GROUP && event.isLeader
        ? event.groupMembers().map((e): ReadValue => ({ value: refresh ? this.readCount(e) : e.count, id: e.id }))
        : undefined;
    const notCounted = event.state === S.ERROR;
    return group
      ? { value, id: event.id, timeEnabled: event.enabledNs, timeRunning: event.runningNs, notCounted, group }
      : { value, id: event.id, timeEnabled: event.enabledNs, timeRunning: event.runningNs, notCounted };
  }

  // ---------------------------------------------------------- migration
  /** perf_pmu_migrate_context: move every event of `pmu` from one CPU to another, keeping counts. */
  migrateContext(pmu: Pmu, from: number, to: number): number {
    const reg = this.registry.get(pmu);
    if (!this.kernel.cpus.isOnline(to)) throw kerr('EINVAL', `perf: cannot migrate ${reg.name}'s events to cpu ${to}: it is not an online CPU`);
    const src = reg.contexts.get(from);
    if (!src || src.empty) return 0;
    const dst = this.context(pmu, to);
    const groups = [...src.pinned, ...src.flexible];
    for (const leader of groups) {
      if (leader.state === S.ACTIVE) src.groupSchedOut(leader);
      src.removeGroup(leader);
      for (const e of leader.groupMembers()) {
        src.updateTimes(e, this.kernel.clock.now());
        e.cpu = to;
      }
    }
    for (const leader of groups) dst.addGroup(leader);
    dst.schedIn();
    const n = groups.reduce((k, l) => k + 1 + l.siblings.length, 0);
    this.kernel.lifecycle.fire('pmu:migrated', { pmu: reg.name, from, to, events: n });
    return n;
  }

  // ---------------------------------------------------------- sysfs
  /** Write /sys/bus/event_source/devices as files under `dir` (for the real perf tool). */
  exportSysfs(dir: string): Promise<number> {
    return this.kernel.sysfs.exportTo(PMU_SYSFS_ROOT, dir);
  }

  checkLive(event: PerfEvent): void {
    if (!this.isLive(event)) throw kerr('EBADF', event instanceof PerfEvent ? `event ${event.id} is closed` : 'not a perf event');
  }

  isLive(event: PerfEvent): boolean {
    return event instanceof PerfEvent && event.live;
  }
}

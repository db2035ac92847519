import { kerr, KernelError, type Kernel, type ModuleLoader, type Srcu } from '@cspmu/kernel';
import { hasExcludeBits, isSampling, normalizeAttr, type PerfEventAttr } from './attr.js';
import {
  PERF_DEFAULT_MUX_INTERVAL_MS,
  PERF_EVENT_STATE as S,
  PERF_FORMAT_GROUP,
  PERF_PMU_CAP_EXTENDED_REGS,
  PERF_PMU_CAP_NO_EXCLUDE,
  PERF_PMU_CAP_NO_INTERRUPT,
  PERF_TYPE,
  PERF_TYPE_MAX,
} from './constants.js';
import { internCoreFns, PmuCpuContext, type CoreFns } from './context.js';
import { PerfEvent, ROOT, type PerfCaller } from './event.js';
import './lifecycle.js';
import type { Pmu } from './pmu.js';
import { SoftwarePmu } from './software-pmu.js';
import { PmuCallSites } from './sites.js';

export interface OpenOptions {
  /** The CPU to count on; uncore PMUs need one (-a / -C). */
  readonly cpu: number;
  /** The group leader to join. */
  readonly group?: PerfEvent;
  /** -1 (default) for a CPU-wide event; a pid for a task event. */
  readonly pid?: number;
  readonly caller?: PerfCaller;
}

export interface ReadValue {
  readonly value: number;
  readonly id: number;
}

export interface ReadResult extends ReadValue {
  readonly timeEnabled: number;
  readonly timeRunning: number;
  /** The event is in ERROR (a pinned group that could not be scheduled): read() gives no data. */
  readonly notCounted: boolean;
  readonly group?: readonly ReadValue[];
}

interface PmuReg {
  readonly pmu: Pmu;
  readonly name: string;
  readonly type: number;
  muxIntervalMs: number;
  readonly contexts: Map<number, PmuCpuContext>;
}

const SYSFS_ROOT = '/bus/event_source/devices';

/**
 * The perf core: PMU registration and type ids, perf_event_open with the
 * kernel's checks, per-CPU contexts, groups, scheduling and multiplexing,
 * reads, migration, and the sysfs tree. The PMU's module reference is held
 * for an event's whole life and dropped only after destroy, inside an SRCU
 * read section that a PMU unregistration waits for.
 */
export class PerfCore {
  /** perf_event_paranoid. */
  paranoid = 2;
  readonly srcu: Srcu;
  private readonly regs = new Map<number, PmuReg>();
  private readonly byName = new Map<string, PmuReg>();
  private readonly byPmu = new Map<Pmu, PmuReg>();
  private readonly live = new Set<PerfEvent>();
  private nextId = 1;
  private nextType = PERF_TYPE_MAX;
  private readonly freedTypes: number[] = [];
  /** The core's call sites into PMUs (function tracing patches these). */
  readonly sites: PmuCallSites;
  private readonly fns: CoreFns;

  constructor(
    readonly kernel: Kernel,
    private readonly modules: ModuleLoader,
  ) {
    this.srcu = kernel.srcu('pmus');
    this.sites = new PmuCallSites(kernel.callSites, (pmu) => this.byPmu.get(pmu)?.name ?? '?');
    this.fns = internCoreFns(kernel.calls);
    this.register(new SoftwarePmu(kernel.clock), 'software', PERF_TYPE.SOFTWARE);
  }

  // ---------------------------------------------------------- registration

  /** perf_pmu_register: a dynamic type (lowest free from 6) when `type` is -1. */
  register(pmu: Pmu, name: string, type = -1): number {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) {
      throw kerr('EINVAL', `PMU name '${name}' must be 1-64 characters of letters, digits, '_', '.', ':' or '-'`);
    }
    const clash = this.byName.get(name);
    if (clash) throw kerr('EEXIST', `cannot register PMU '${name}': a PMU of that name exists (type ${clash.type}); names must be unique`);
    if (this.byPmu.has(pmu)) throw kerr('EBUSY', `PMU object is already registered as '${this.byPmu.get(pmu)!.name}'`);
    let t = type;
    if (t === -1) {
      t = this.allocType();
    } else if (!Number.isInteger(t) || t < 0 || this.regs.has(t)) {
      throw kerr('EEXIST', `PMU type ${t} is taken or invalid`);
    }
    const reg: PmuReg = { pmu, name, type: t, muxIntervalMs: PERF_DEFAULT_MUX_INTERVAL_MS, contexts: new Map() };
    this.addSysfs(reg);
    pmu.type = t;
    this.regs.set(t, reg);
    this.byName.set(name, reg);
    this.byPmu.set(pmu, reg);
    this.kernel.lifecycle.fire('pmu:registered', { pmu: name, type: t });
    return t;
  }

  /** perf_pmu_unregister: refused while events exist; returns after a grace period. */
  async unregister(pmu: Pmu): Promise<void> {
    const reg = this.byPmu.get(pmu);
    if (!reg) throw kerr('ENOENT', 'PMU is not registered');
    const n = [...this.live].filter((e) => e.pmu === pmu).length;
    if (n > 0) throw kerr('EBUSY', `PMU '${reg.name}' still has ${n} event(s); close them before unregistering`);
    for (const ctx of reg.contexts.values()) ctx.stopRotation();
    this.regs.delete(reg.type);
    if (reg.type >= PERF_TYPE_MAX) this.freeType(reg.type);
    this.byName.delete(reg.name);
    this.byPmu.delete(pmu);
    this.kernel.sysfs.remove(`${SYSFS_ROOT}/${reg.name}`);
    this.kernel.lifecycle.fire('pmu:unregistered', { pmu: reg.name, type: reg.type });
    await this.srcu.synchronize();
  }

  /** The lowest free dynamic type (idr_alloc from PERF_TYPE_MAX): freed ids first, smallest first. */
  private allocType(): number {
    const h = this.freedTypes;
    if (h.length === 0) {
      while (this.regs.has(this.nextType)) this.nextType++;
      return this.nextType++;
    }
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]! < h[m]!) m = l;
        if (r < h.length && h[r]! < h[m]!) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  private freeType(t: number): void {
    const h = this.freedTypes;
    h.push(t);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p]! <= h[i]!) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pmus(): { name: string; type: number; pmu: Pmu }[] {
    return [...this.regs.values()].sort((a, b) => a.type - b.type).map((r) => ({ name: r.name, type: r.type, pmu: r.pmu }));
  }

  pmuByName(name: string): Pmu | undefined {
    return this.byName.get(name)?.pmu;
  }

  nameOf(pmu: Pmu): string {
    const r = this.byPmu.get(pmu);
    if (!r) throw kerr('ENOENT', 'PMU is not registered');
    return r.name;
  }

  liveEvents(): readonly PerfEvent[] {
    return [...this.live];
  }

  muxInterval(pmu: Pmu): number {
    return this.reg(pmu).muxIntervalMs;
  }

  setMuxInterval(pmu: Pmu, ms: number): void {
    if (!Number.isInteger(ms) || ms < 1) throw kerr('EINVAL', `perf_event_mux_interval_ms must be an integer >= 1, got ${ms}`);
    this.reg(pmu).muxIntervalMs = ms;
  }

  context(pmu: Pmu, cpu: number): PmuCpuContext {
    const reg = this.reg(pmu);
    let ctx = reg.contexts.get(cpu);
    if (!ctx) {
      ctx = new PmuCpuContext(pmu, cpu, this.kernel.clock, this.kernel.smp, () => reg.muxIntervalMs * 1_000_000, this.sites, this.kernel.calls, this.fns);
      reg.contexts.set(cpu, ctx);
    }
    return ctx;
  }

  // ---------------------------------------------------------- open / close

  /** perf_event_open. */
  open(attrIn: PerfEventAttr, opts: OpenOptions): PerfEvent {
    const attr = normalizeAttr(attrIn);
    const pid = opts.pid ?? -1;
    const caller = opts.caller ?? ROOT;
    const cpu = opts.cpu;
    if (!Number.isInteger(cpu) || cpu < -1) throw kerr('EINVAL', `cpu must be -1 or a CPU number, got ${String(cpu)}`);
    if (!Number.isInteger(pid) || pid < -1) throw kerr('EINVAL', `pid must be -1 or a process id, got ${String(pid)}`);
    if (cpu === -1 && pid === -1) throw kerr('EINVAL', 'an event needs a CPU or a task (cpu -1 with pid -1 counts nothing)');
    if (cpu >= 0) {
      if (!this.kernel.cpus.isPossible(cpu)) throw kerr('EINVAL', `cpu ${cpu} does not exist (0-${this.kernel.cpus.count - 1})`);
      if (!this.kernel.cpus.isOnline(cpu)) throw kerr('ENODEV', `cpu ${cpu} is offline`);
    }
    this.checkPermission(attr.exclude_kernel, cpu, pid, caller);
    const group = opts.group;
    if (group !== undefined) {
      if (!this.live.has(group)) throw kerr('EINVAL', `group leader ${group.id} is closed`);
      if (!group.isLeader) throw kerr('EINVAL', `event ${group.id} is not a group leader; join its leader ${group.leader.id} instead`);
    }

    const generic = !this.regs.has(attr.type);
    const candidates = this.regs.has(attr.type)
      ? [this.regs.get(attr.type)!]
      : attr.type === PERF_TYPE.HARDWARE || attr.type === PERF_TYPE.HW_CACHE || attr.type === PERF_TYPE.RAW
        ? [...this.regs.values()].filter((r) => !r.pmu.software)
        : [];
    const token = this.srcu.readLock();
    try {
      for (const reg of candidates) {
        const pmu = reg.pmu;
        if (pmu.taskCtxNr === 'invalid' && pid !== -1) {
          if (generic) continue;
          throw kerr('EINVAL', `PMU '${reg.name}' is an uncore PMU: it counts per CPU, not per task; count system-wide (-a) or on CPUs (-C)`);
        }
        if (pmu.taskCtxNr === 'invalid' && cpu < 0) throw kerr('EINVAL', `PMU '${reg.name}' needs a CPU`);
        if (!this.modules.tryModuleGet(pmu.module)) throw kerr('ENODEV', `PMU '${reg.name}': its module ${pmu.module?.name ?? ''} is going away`);
        const event = new PerfEvent(this.nextId++, attr, pmu, cpu, caller);
        if (group) event.leader = group;
        try {
          this.sites.eventInit_(pmu, event);
        } catch (e) {
          this.modules.modulePut(pmu.module);
          if (e instanceof KernelError && e.code === 'ENOENT' && generic) continue;
          throw e;
        }
        try {
          if (pmu.capabilities & PERF_PMU_CAP_NO_EXCLUDE && hasExcludeBits(attr)) {
            throw kerr('EINVAL', `PMU '${reg.name}' cannot exclude user/kernel/hv/idle/host/guest; drop the event modifiers`);
          }
          if (pmu.capabilities & PERF_PMU_CAP_NO_INTERRUPT && isSampling(attr)) {
            throw kerr('EOPNOTSUPP', `PMU '${reg.name}' has no overflow interrupt, so it cannot sample`);
          }
          if (group) this.checkGroup(group, event);
          if (group && group.cpu !== event.cpu) {
            throw kerr('EINVAL', `event on cpu ${event.cpu} cannot join a group on cpu ${group.cpu}`);
          }
        } catch (e) {
          event.destroy?.(event);
          this.modules.modulePut(pmu.module);
          throw e;
        }
        this.install(event, reg);
        return event;
      }
    } finally {
      this.srcu.readUnlock(token);
    }
    throw kerr('ENOENT', `no PMU handles type ${attr.type} config 0x${attr.config.toString(16)}; check the PMU name or event`);
  }

  private checkPermission(excludeKernel: boolean, cpu: number, pid: number, caller: PerfCaller): void {
    const capable = caller.capabilities.includes('CAP_PERFMON') || caller.capabilities.includes('CAP_SYS_ADMIN');
    if (capable) return;
    if (pid === -1 && cpu >= 0 && this.paranoid > 0) {
      throw kerr(
        'EACCES',
        `${caller.name} may not open a system-wide event on cpu ${cpu}: that needs CAP_PERFMON (or CAP_SYS_ADMIN) or perf_event_paranoid <= 0, and perf_event_paranoid is ${this.paranoid}`,
      );
    }
    if (!excludeKernel && this.paranoid > 1) {
      throw kerr(
        'EACCES',
        `${caller.name} may not count kernel activity: that needs CAP_PERFMON or perf_event_paranoid <= 1, and perf_event_paranoid is ${this.paranoid}; or exclude the kernel (:u)`,
      );
    }
  }

  private checkGroup(leader: PerfEvent, event: PerfEvent): void {
    const hw = new Set<Pmu>();
    for (const e of [...leader.groupMembers(), event]) if (!e.pmu.software) hw.add(e.pmu);
    if (hw.size > 1) {
      const names = [...hw].map((p) => this.byPmu.get(p)?.name ?? '?');
      throw kerr('EINVAL', `events of two hardware PMUs (${names.join(', ')}) cannot share a group; put them in separate groups`);
    }
  }

  /** The PMU whose context holds a group: its hardware PMU, if any. */
  private groupPmu(leader: PerfEvent): Pmu {
    if (!leader.pmu.software || leader.siblings.length === 0) return leader.pmu;
    for (const s of leader.siblings) if (!s.pmu.software) return s.pmu;
    return leader.pmu;
  }

  private install(event: PerfEvent, reg: PmuReg): void {
    const now = this.kernel.clock.now();
    event.tstamp = now;
    event.state = event.attr.disabled ? S.OFF : S.INACTIVE;
    this.live.add(event);
    if (event.isLeader) {
      const ctx = this.context(reg.pmu, event.cpu);
      ctx.addGroup(event);
      if (event.state === S.INACTIVE) ctx.schedIn();
    } else {
      const leader = event.leader;
      const before = this.groupPmu(leader);
      const oldCtx = this.context(before, leader.cpu);
      if (leader.state === S.ACTIVE) oldCtx.groupSchedOut(leader);
      leader.siblings.push(event);
      const after = this.groupPmu(leader);
      const ctx = this.context(after, leader.cpu);
      if (after !== before) {
        oldCtx.removeGroup(leader);
        ctx.addGroup(leader);
      }
      ctx.resched();
    }
    const lc = this.kernel.lifecycle;
    if (lc.wants('event:opened')) lc.fire('event:opened', { id: event.id, pmu: reg.name, cpu: event.cpu, config: `0x${event.attr.config.toString(16)}` });
  }

  /** close(): take the event off its context, then free it (destroy → put ctx → module_put). */
  close(event: PerfEvent): void {
    if (!this.live.has(event)) throw kerr('EINVAL', `event ${event.id} is already closed`);
    const reg = this.byPmu.get(event.pmu);
    const name = reg ? reg.name : '?';
    const token = this.srcu.readLock();
    try {
      const leader = event.leader;
      const ctx = this.context(this.groupPmu(leader), leader.cpu);
      if (event.isLeader) {
        if (event.state === S.ACTIVE) ctx.groupSchedOut(event);
        ctx.removeGroup(event);
        for (const sib of event.siblings) {
          sib.leader = sib;
          this.context(this.groupPmu(sib), sib.cpu).addGroup(sib);
        }
        event.siblings.length = 0;
      } else {
        if (event.state === S.ACTIVE) ctx.eventSchedOut(event);
        leader.siblings.splice(leader.siblings.indexOf(event), 1);
      }
      ctx.updateTimes(event);
      if (ctx.hasWaiting()) ctx.resched();
      this.live.delete(event);
      if (this.kernel.lifecycle.wants('event:closed')) this.kernel.lifecycle.fire('event:closed', { id: event.id, pmu: name });
      this.free(event, name);
    } finally {
      this.srcu.readUnlock(token);
    }
  }

  /** _free_event: destroy first; the core still uses the PMU afterwards (module_put), inside the read section. */
  private free(event: PerfEvent, name: string): void {
    event.state = S.EXIT;
    event.destroy?.(event);
    const pmu = event.pmu;
    this.modules.modulePut(pmu.module);
    event.state = S.DEAD;
    if (this.kernel.lifecycle.wants('event:freed')) this.kernel.lifecycle.fire('event:freed', { id: event.id, pmu: name });
  }

  // ---------------------------------------------------------- ioctls

  enable(event: PerfEvent): void {
    this.checkLive(event);
    if (event.state !== S.OFF && event.state !== S.ERROR) return;
    const ctx = this.context(this.groupPmu(event.leader), event.leader.cpu);
    ctx.updateTimes(event);
    event.state = S.INACTIVE;
    if (event.isLeader) for (const s of event.siblings) if (s.state === S.ERROR) s.state = S.INACTIVE;
    ctx.resched();
  }

  disable(event: PerfEvent): void {
    this.checkLive(event);
    if (event.state < S.INACTIVE) return;
    const ctx = this.context(this.groupPmu(event.leader), event.leader.cpu);
    if (event.isLeader) ctx.groupSchedOut(event);
    else ctx.eventSchedOut(event);
    ctx.updateTimes(event);
    event.state = S.OFF;
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
      smp.current = event.cpu;
      const d = this.kernel.calls.push(this.fns.read);
      try {
        this.sites.read_(event.pmu, event);
      } finally {
        this.kernel.calls.pop(d);
        smp.current = prev;
      }
    }
    return event.count;
  }

  /** read(): value, times, id; with PERF_FORMAT_GROUP the leader's read gives every member. */
  read(event: PerfEvent): ReadResult {
    this.checkLive(event);
    const now = this.kernel.clock.now();
    const ctx = this.context(this.groupPmu(event.leader), event.leader.cpu);
    const one = (e: PerfEvent): ReadValue => ({ value: this.readCount(e), id: e.id });
    const v = one(event);
    ctx.updateTimes(event, now);
    const group = event.attr.read_format & PERF_FORMAT_GROUP && event.isLeader ? event.groupMembers().map(one) : undefined;
    return {
      ...v,
      timeEnabled: event.enabledNs,
      timeRunning: event.runningNs,
      notCounted: event.state === S.ERROR,
      ...(group ? { group } : {}),
    };
  }

  // ---------------------------------------------------------- migration

  /** perf_pmu_migrate_context: move every event of `pmu` from one CPU to another, keeping counts. */
  migrateContext(pmu: Pmu, from: number, to: number): number {
    const reg = this.reg(pmu);
    const src = reg.contexts.get(from);
    if (!src || src.empty) return 0;
    const dst = this.context(pmu, to);
    const groups = [...src.pinned, ...src.flexible];
    for (const leader of groups) {
      if (leader.state === S.ACTIVE) src.groupSchedOut(leader);
      src.removeGroup(leader);
      for (const e of leader.groupMembers()) {
        src.updateTimes(e);
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

  private addSysfs(reg: PmuReg): void {
    const dir = `${SYSFS_ROOT}/${reg.name}`;
    const fs = this.kernel.sysfs;
    fs.mkdir(dir);
    try {
      fs.add(`${dir}/type`, { show: () => `${reg.type}\n` });
      fs.add(`${dir}/perf_event_mux_interval_ms`, {
        show: () => `${reg.muxIntervalMs}\n`,
        store: (v) => {
          const n = Number(v.trim());
          if (!/^\d+$/.test(v.trim()) || n < 1) throw kerr('EINVAL', `perf_event_mux_interval_ms: '${v.trim()}' is not an integer >= 1`);
          reg.muxIntervalMs = n;
        },
      });
      for (const g of reg.pmu.attrGroups) {
        const gdir = g.name ? `${dir}/${g.name}` : dir;
        if (g.name && !fs.exists(gdir)) fs.mkdir(gdir);
        for (const a of g.attrs) {
          if (g.isVisible && !g.isVisible(a)) continue;
          fs.add(`${gdir}/${a.name}`, a.store ? { show: () => a.show(), store: (v) => a.store!(v) } : { show: () => a.show() });
        }
      }
    } catch (e) {
      fs.remove(dir);
      throw e;
    }
  }

  /** Write /sys/bus/event_source/devices as files under `dir` (for the real perf tool). */
  exportSysfs(dir: string): Promise<number> {
    return this.kernel.sysfs.exportTo(SYSFS_ROOT, dir);
  }

  private reg(pmu: Pmu): PmuReg {
    const r = this.byPmu.get(pmu);
    if (!r) throw kerr('ENOENT', 'PMU is not registered');
    return r;
  }

  private checkLive(event: PerfEvent): void {
    if (!this.live.has(event)) throw kerr('EINVAL', `event ${event.id} is closed`);
  }
}

// PMU registration (perf_pmu_register/unregister): unique names, type ids from an IDA, sysfs directories, mux intervals.
import { Ida, type Kernel, kerr, kstrtoint, type Srcu, type SysfsAttribute } from '@cspmu/kernel';
import { PERF_DEFAULT_MUX_INTERVAL_MS, PERF_TYPE_MAX } from './constants.js';
import type { PmuCpuContext } from './context.js';
import type { PerfEvent } from './event.js';
import type { Pmu, PmuAttribute } from './pmu.js';

/** Where registered PMUs appear in sysfs. */
export const PMU_SYSFS_ROOT = '/bus/event_source/devices';

/** One registered PMU: its name, type id, multiplexing interval and per-CPU contexts. */
export interface PmuRegistration {
  readonly pmu: Pmu;
  readonly name: string;
  readonly type: number;
  muxIntervalMs: number;
  readonly contexts: Map<number, PmuCpuContext>;
}

/**
 * The perf core's PMU registrations (perf_pmu_register/unregister): unique
 * names, type ids (fixed ones below PERF_TYPE_MAX, dynamic ones from an IDA,
 * lowest free first) and each PMU's sysfs directory.
 */
export class PmuRegistry {
  private readonly byType = new Map<number, PmuRegistration>();
  private readonly byName = new Map<string, PmuRegistration>();
  private readonly byPmu = new Map<Pmu, PmuRegistration>();
  private readonly dynamicTypes = new Ida(PERF_TYPE_MAX);

  constructor(
    private readonly kernel: Kernel,
    /** The lookup side's SRCU: a sysfs read of a PMU's attribute runs inside it, so unregistering waits for it. */
    private readonly srcu: Srcu,
  ) {}

  /** Register `pmu` as `name`: a dynamic type (lowest free from PERF_TYPE_MAX) when `type` is -1. */
  add(pmu: Pmu, name: string, type: number): PmuRegistration {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) {
      throw kerr('EINVAL', `PMU name '${name}' must be 1-64 characters of letters, digits, '_', '.', ':' or '-'`);
    }
    const clash = this.byName.get(name);
    // The PMU device's bus link is what clashes: device_add fails with EEXIST after sysfs says so.
    if (clash) this.kernel.log.err('sysfs', `cannot create duplicate filename '${PMU_SYSFS_ROOT}/${name}'`);
    if (clash) throw kerr('EEXIST', `cannot register PMU '${name}': a PMU of that name exists (type ${clash.type}); names must be unique`);
    if (this.byPmu.has(pmu)) throw kerr('EBUSY', `PMU object is already registered as '${this.byPmu.get(pmu)!.name}'`);
    if (type !== -1 && (!Number.isInteger(type) || type < 0 || this.byType.has(type))) {
      throw kerr('EEXIST', `PMU type ${type} is taken or invalid`);
    }
    const t = type === -1 ? this.dynamicTypes.alloc() : type;
    if (type !== -1 && t >= PERF_TYPE_MAX) this.dynamicTypes.claim(t);
    const reg: PmuRegistration = { pmu, name, type: t, muxIntervalMs: PERF_DEFAULT_MUX_INTERVAL_MS, contexts: new Map() };
    try {
      this.addSysfs(reg);
    } catch (e) {
      if (t >= PERF_TYPE_MAX) this.dynamicTypes.free(t);
      throw e;
    }
    pmu.type = t;
    this.byType.set(t, reg);
    this.byName.set(name, reg);
    this.byPmu.set(pmu, reg);
    this.kernel.lifecycle.fire('pmu:registered', { pmu: name, type: t });
    return reg;
  }

  /** Forget a registration: its type id is free again and its sysfs directory goes. */
  remove(reg: PmuRegistration): void {
    this.byType.delete(reg.type);
    if (reg.type >= PERF_TYPE_MAX) this.dynamicTypes.free(reg.type);
    this.byName.delete(reg.name);
    this.byPmu.delete(reg.pmu);
    this.kernel.sysfs.remove(`${PMU_SYSFS_ROOT}/${reg.name}`);
    this.kernel.lifecycle.fire('pmu:unregistered', { pmu: reg.name, type: reg.type });
  }

  ofType(type: number): PmuRegistration | undefined {
    return this.byType.get(type);
  }

  ofName(name: string): PmuRegistration | undefined {
    return this.byName.get(name);
  }

  ofPmu(pmu: Pmu): PmuRegistration | undefined {
    return this.byPmu.get(pmu);
  }

  /** The registration of `pmu`; ENOENT if it is not registered. */
  get(pmu: Pmu): PmuRegistration {
    const r = this.byPmu.get(pmu);
    if (!r) throw kerr('ENOENT', 'PMU is not registered');
    return r;
  }

  all(): IterableIterator<PmuRegistration> {
    return this.byType.values();
  }

  /**
   * Every open event, in the order they were opened (their ids): each is in
   * a group of one of the contexts, from its install to its close, as in the
   * kernel, which keeps no list of all events. Open and close touch no list
   * of their own (a young event stored into a long-lived list is a write
   * barrier each time), and this rare walk pays instead.
   */
  openEvents(): PerfEvent[] {
    const out: PerfEvent[] = [];
    for (const reg of this.byType.values()) for (const ctx of reg.contexts.values()) for (const e of ctx.events()) if (e.live) out.push(e);
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * The open events that keep `reg` registered: its PMU's own, and any other
   * PMU's that its contexts schedule (a software leader whose hardware
   * members closed). A hardware PMU's own events are all in its contexts (a
   * group has at most one hardware PMU and lives in its context), so only a
   * software PMU's walks every context: unregistering n PMUs stays linear.
   */
  openEventsHolding(reg: PmuRegistration): PerfEvent[] {
    const out: PerfEvent[] = [];
    for (const ctx of reg.contexts.values()) for (const e of ctx.events()) if (e.live) out.push(e);
    if (reg.pmu.software) for (const e of this.openEvents()) if (e.pmu === reg.pmu && !out.includes(e)) out.push(e);
    return out;
  }

  /** A read() of a PMU attribute: it may be preempted before the show runs; the PMU stays registered until it is done. */
  showInSection(a: PmuAttribute): Promise<string> {
    const k = this.kernel;
    return k.calls.runAsync(['vfs_read', 'sysfs_kf_seq_show'], () =>
      this.srcu.read(async () => {
        await k.preempt('sysfs_kf_seq_show');
        return a.show();
      }),
    );
  }

  private addSysfs(reg: PmuRegistration): void {
    const dir = `${PMU_SYSFS_ROOT}/${reg.name}`;
    const fs = this.kernel.sysfs;
    fs.mkdir(dir);
    try {
      fs.add(`${dir}/type`, new TypeFile(reg));
      fs.add(`${dir}/perf_event_mux_interval_ms`, new MuxIntervalFile(reg));
      for (const g of reg.pmu.attrGroups) {
        const gdir = g.name ? `${dir}/${g.name}` : dir;
        if (g.name && !fs.exists(gdir)) fs.mkdir(gdir);
        for (const a of g.attrs) {
          if (g.isVisible && !g.isVisible(a)) continue;
          fs.add(`${gdir}/${a.name}`, a.store ? new WritablePmuFile(this, a) : new PmuFile(this, a));
        }
      }
    } catch (e) {
      fs.remove(dir);
      throw e;
    }
  }
}

/** A PMU's `type` file. Classes, not closures, for the files every PMU has: methods are shared. */
class TypeFile implements SysfsAttribute {
  constructor(private readonly reg: PmuRegistration) {}

  show(): string {
    return `${this.reg.type}\n`;
  }
}

class MuxIntervalFile implements SysfsAttribute {
  constructor(private readonly reg: PmuRegistration) {}

  show(): string {
    return `${this.reg.muxIntervalMs}\n`;
  }

  /** As perf_event_mux_interval_ms_store: kstrtoint, then at least 1 ms. */
  store(v: string): void {
    const n = kstrtoint(v, 'perf_event_mux_interval_ms');
    if (n < 1) throw kerr('EINVAL', `perf_event_mux_interval_ms: ${n} is not an integer >= 1`);
    this.reg.muxIntervalMs = n;
  }
}

/** A PMU attribute's sysfs file. A class, not closures: a machine has thousands of these, and methods are shared. */
class PmuFile implements SysfsAttribute {
  constructor(
    private readonly registry: PmuRegistry,
    protected readonly a: PmuAttribute,
  ) {}

  show(): string {
    return this.a.show();
  }

  showAsync(): Promise<string> {
    return this.registry.showInSection(this.a);
  }
}

class WritablePmuFile extends PmuFile {
  store(v: string): void {
    this.a.store!(v);
  }
}

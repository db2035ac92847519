// The MMIO bus: the address map, ioremap and iounmap, checked accesses, observers of every access, and use-after-release reports.
import type { Kernel, TraceFs } from '@cspmu/kernel';
import { describeValue, kerr } from '@cspmu/kernel';
import { AddressMap, PAGE_SIZE } from './address-map.js';
import { BusError, hex } from './bus-error.js';
import { IoMem } from './iomem.js';
import { checkShadowUnchanged } from './plain-offsets.js';
import { RwmmioTracepoints } from './rwmmio.js';

/** An access that reached the bus through a released mapping: a use-after-release bug. */
export interface BusViolation {
  readonly owner: string;
  readonly mapId: number;
  readonly offset: number;
  readonly width: number;
  readonly write: boolean;
  readonly timeNs: number;
  readonly callers: readonly string[];
}

/** Observes every checked access through an armed bus (kmmio probes, mmiotrace, recorders). */
export interface AccessObserver {
  onMap?(io: IoMem): void;
  onUnmap?(io: IoMem): void;
  /** Before the access (for a write, the value is known). Paired with onAccess, also if the access throws. */
  before?(io: IoMem, offset: number, width: number, write: boolean, lo: number, hi: number): void;
  /** After the access, with the value read or written. */
  onAccess(io: IoMem, offset: number, width: number, write: boolean, lo: number, hi: number): void;
}

/**
 * The kernels that have a bus. A machine has one physical address space,
 * one ioremap area and one set of rwmmio tracepoints: a second bus on the
 * same kernel would hand out the same virtual addresses and map ids again,
 * and take over the tracepoints' change hook from the first bus, whose
 * mappings would then miss tracing switched on or off.
 */
const kernelsWithBus = new WeakSet<Kernel>();

const VIRT_HI = 0xffff8000;
const VIRT_LO_BASE = 0x80000000;
const VIRT_STRIDE = 0x10000;

/**
 * The machine's MMIO bus: the physical address map, ioremap/iounmap with
 * kernel-style virtual addresses, the rwmmio tracepoints, and the record of
 * refused and use-after-unmap accesses.
 */
export class MmioBus {
  readonly map = new AddressMap();
  readonly rw: RwmmioTracepoints;
  readonly trace: TraceFs;
  readonly violations: BusViolation[] = [];
  readonly refused: BusError[] = [];
  private readonly live = new Set<IoMem>();
  /** Replaced, never changed in place: an access in progress keeps the list it began with. */
  private observers: readonly AccessObserver[] = [];
  private nextMapId = 0;
  private nextVirtSlot = 0;
  /** True while any observer is attached. */
  kmmioArmed = false;
  /** No observer and no rwmmio read (write) tracepoint: the accessors' fast path may be taken. */
  quietReads = true;
  quietWrites = true;
  /** kmmioArmed when the mappings' accessors were last chosen. */
  private armedAtRefresh = false;
  /** hi-lo-hi reads that saw the high word change and read again (a torn read avoided). */
  hiLoHiRetries = 0;
  /** Ranges whose accesses the interconnect holds until a clock time. */
  private readonly stalls: { start: number; end: number; until: number }[] = [];

  constructor(private readonly kernel: Kernel) {
    if (kernelsWithBus.has(kernel)) {
      throw kerr(
        'EBUSY',
        'MmioBus: this kernel already has an MMIO bus (one address space, ioremap area and set of rwmmio tracepoints per machine); add every device to that bus instead of making a second',
      );
    }
    this.trace = kernel.trace;
    this.rw = new RwmmioTracepoints(kernel.trace, kernel.calls);
    // Through a local: V8 puts a function literal assigned straight to a property in the old generation, keeping the bus alive until a full GC.
    const onChange = () => this.updateQuiet();
    this.rw.onChange = onChange;
    kernelsWithBus.add(kernel);
  }

  private updateQuiet(): void {
    const reads = !this.kmmioArmed && !this.rw.readsTraced;
    const writes = !this.kmmioArmed && !this.rw.writesTraced;
    // kmmioArmed too: a traced mapping's readl is the traced direct one only while no observer is attached.
    if (reads === this.quietReads && writes === this.quietWrites && this.kmmioArmed === this.armedAtRefresh) return;
    this.quietReads = reads;
    this.quietWrites = writes;
    this.armedAtRefresh = this.kmmioArmed;
    for (const io of this.live) io.refreshFastPath();
  }

  /** Map `size` bytes of physical address space for a driver. */
  ioremap(phys: number, size: number, owner: string): IoMem {
    if (typeof owner !== 'string') throw kerr('EINVAL', `ioremap: the owner must be a name, got ${describeValue(owner)}`);
    if (!Number.isSafeInteger(phys) || phys < 0 || phys % PAGE_SIZE !== 0) {
      throw kerr('EINVAL', `ioremap for ${owner}: ${hex(phys)} must be a 4 KiB aligned physical address`);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > VIRT_STRIDE) {
      throw kerr('EINVAL', `ioremap for ${owner}: size ${hex(size)} must be 4 KiB to 64 KiB in whole pages`);
    }
    const region = this.map.lookup(phys);
    if (region === undefined) {
      throw kerr('ENXIO', `ioremap for ${owner}: nothing is mapped at ${hex(phys)}; check the firmware's base address`);
    }
    checkShadowUnchanged(owner, region.device);
    if (this.nextVirtSlot >= (0x100000000 - VIRT_LO_BASE) / VIRT_STRIDE) {
      throw kerr('ENOMEM', 'ioremap: virtual address space for mappings is exhausted');
    }
    const virtLo = VIRT_LO_BASE + this.nextVirtSlot++ * VIRT_STRIDE;
    const mapId = this.nextMapId++;
    const io = new IoMem(this, phys, size, virtLo, VIRT_HI, owner, mapId, this.kernel.kasan.alloc('ioremap mapping', `${owner} #${mapId}`));
    this.live.add(io);
    for (const o of this.observers) o.onMap?.(io);
    return io;
  }

  iounmap(io: IoMem): void {
    if (!(io instanceof IoMem)) throw kerr('EINVAL', `iounmap: not a mapping, got ${describeValue(io)}`);
    if (!this.live.delete(io)) throw kerr('EINVAL', `iounmap of ${io.owner}: mapping ${io.mapId} is not live (double unmap?)`);
    io.kill();
    io.shadow.free();
    for (const o of this.observers) o.onUnmap?.(io);
  }

  mappings(): IoMem[] {
    return [...this.live];
  }

  observe(o: AccessObserver): () => void {
    if (!this.observers.includes(o)) this.observers = [...this.observers, o];
    this.kmmioArmed = true;
    this.updateQuiet();
    return () => {
      this.observers = this.observers.filter((x) => x !== o);
      this.kmmioArmed = this.observers.length > 0;
      this.updateQuiet();
    };
  }

  /**
   * @internal an access while observers are attached: each one's `before`, in
   * attach order; returns the observers to hand to afterAccess, which the
   * accessor calls once the access is done (also if it threw).
   */
  beforeAccess(io: IoMem, offset: number, width: number, write: boolean, lo: number, hi: number): readonly AccessObserver[] {
    const obs = this.observers;
    for (let i = 0; i < obs.length; i++) obs[i]!.before?.(io, offset, width, write, lo, hi);
    return obs;
  }

  /** @internal each observer's onAccess, innermost (last attached) first, with the value read or written. */
  afterAccess(obs: readonly AccessObserver[], io: IoMem, offset: number, width: number, write: boolean, lo: number, hi: number): void {
    for (let i = obs.length - 1; i >= 0; i--) obs[i]!.onAccess(io, offset, width, write, lo, hi);
  }

  /**
   * Hold every access to [phys, phys + len) until the clock reaches `untilNs`
   * (a device waking from a low-power state, a congested fabric). A path that
   * may sleep waits for it (IoMem.readlWhenReady) and can be preempted
   * meanwhile; an atomic access spins through it and completes at once, as
   * the clock cannot move under a spinning CPU here.
   */
  stall(phys: number, len: number, untilNs: number): void {
    if (!Number.isSafeInteger(phys) || phys < 0 || !Number.isSafeInteger(len) || len <= 0) {
      throw kerr('EINVAL', `bus stall: the range must be a physical address >= 0 and a length > 0, got ${phys}+${len}`);
    }
    const now = this.kernel.clock.now();
    if (!Number.isSafeInteger(untilNs) || untilNs <= now) throw kerr('EINVAL', `bus stall: the end ${untilNs} must be an integer time after now (${now} ns)`);
    this.stalls.push({ start: phys, end: phys + len, until: untilNs });
  }

  /** When an access to `phys` made now would complete, if the bus holds it; 0 if it would not wait. */
  stalledUntil(phys: number): number {
    const stalls = this.stalls;
    if (stalls.length === 0) return 0;
    const now = this.kernel.clock.now();
    let until = 0;
    for (let i = stalls.length - 1; i >= 0; i--) {
      const s = stalls[i]!;
      if (s.until <= now) stalls.splice(i, 1);
      else if (phys >= s.start && phys < s.end && s.until > until) until = s.until;
    }
    return until;
  }

  /** @internal a promise that settles when the clock reaches `t` */
  clockReaches(t: number): Promise<void> {
    return new Promise<void>((done) => void this.kernel.clock.at(t, done));
  }

  /**
   * @internal an access that waits for the bus: observers see it begin now
   * and end once `perform` has run after `wait` (a kmmio hit spans the wait).
   */
  async observedAcross(io: IoMem, offset: number, width: number, wait: Promise<void>, perform: () => number): Promise<number> {
    const obs = this.beforeAccess(io, offset, width, false, 0, 0);
    let r = 0;
    try {
      await wait;
      r = perform();
    } finally {
      this.afterAccess(obs, io, offset, width, false, r, 0);
    }
    return r;
  }

  /** @internal record and return a refused access */
  refuse(e: BusError): BusError {
    this.refused.push(e);
    if (this.refused.length > 1024) this.refused.shift();
    return e;
  }

  /** @internal an access through a released mapping: recorded and logged */
  useAfterUnmap(io: IoMem, offset: number, width: number, write: boolean): BusError {
    const v: BusViolation = {
      owner: io.owner,
      mapId: io.mapId,
      offset,
      width,
      write,
      timeNs: this.kernel.clock.now(),
      callers: this.kernel.calls.names(),
    };
    this.violations.push(v);
    this.kernel.kasan.check(io.shadow, `${width * 8}-bit ${write ? 'write' : 'read'} at offset ${hex(offset)}`);
    const msg = `${io.owner}: ${width * 8}-bit ${write ? 'write' : 'read'} at offset ${hex(offset)} through mapping ${io.mapId} after iounmap (use after release)`;
    this.kernel.log.err('mmio', `BUG: ${msg}${v.callers.length ? ` in ${v.callers.join(' <- ')}` : ''}`);
    return new BusError('use-after-unmap', io.phys + offset, width, msg);
  }
}

// kmmio: probes on physical ranges whose handlers run around every access inside them, registered and freed safely under hits.
import { type Kernel, kerr, type Shadow, type Srcu } from '@cspmu/kernel';
import { PAGE_SIZE } from './address-map.js';
import type { AccessObserver, MmioBus } from './bus.js';
import { hex } from './bus-error.js';
import type { IoMem } from './iomem.js';

/** One traced access, as the handlers see it (one object, reused: copy what you keep). */
export interface KmmioAccess {
  io: IoMem | undefined;
  offset: number;
  phys: number;
  width: number;
  write: boolean;
  /** The value written (before and after) or read (after only), as 32-bit halves. */
  lo: number;
  hi: number;
}

/** A probe on a physical range, with handlers around every access inside it. */
export interface KmmioProbe {
  readonly addr: number;
  readonly len: number;
  pre?(probe: KmmioProbe, addr: number, access: Readonly<KmmioAccess>): void;
  post?(probe: KmmioProbe, access: Readonly<KmmioAccess>): void;
}

interface FaultPage {
  readonly base: number;
  count: number;
  armed: boolean;
  /** Which unregister owns freeing it (0: none); a newer one, or a re-registration, takes it over. */
  releaseTicket: number;
  /** Its lifetime, for the KASAN checker: a hit in progress must never see it freed. */
  readonly shadow: Shadow;
}

export interface KmmioStats {
  /** Accesses handled by a probe (pre and post ran). */
  hits: number;
  /** Accesses to an armed page made while another hit was in progress (an interrupt handler, say): let through, not re-entered. */
  nestedHits: number;
}

/**
 * kmmio-style probes: a probe arms the 4 KiB pages it covers; pages are
 * shared and refcounted by overlapping registrations. Unlike upstream, a
 * probe that overlaps an existing one anywhere (not only at its first page)
 * is refused, and a refusal changes no counter and arms no page. A hit runs
 * the pre handler, the access and the post handler with the page disarmed
 * and local interrupts off, so an interrupt the access raises is taken
 * after the hit (as the kernel's single-step window with IF clear does); an
 * access made while a hit is still in progress (from a handler, say) is let
 * through and counted, never re-entering a handler. Unregistering disarms
 * at once and frees the probe's unused pages after a grace period, when no
 * hit can still be using them. (The kernel frees in two RCU stages because
 * its fault handler finds the page again through the list; a hit here keeps
 * the page it started with, so one grace period covers it.)
 */
export class Kmmio implements AccessObserver {
  private readonly probes: KmmioProbe[] = [];
  private readonly pages = new Map<number, FaultPage>();
  private readonly srcu: Srcu;
  /** The hit in progress (its page, probe and SRCU token), kept in fields so a hit allocates nothing; activePage undefined: none. */
  private activePage: FaultPage | undefined;
  private activeProbe: KmmioProbe | undefined;
  private activeToken = 0;
  private readonly access: KmmioAccess = { io: undefined, offset: 0, phys: 0, width: 0, write: false, lo: 0, hi: 0 };
  private detach: (() => void) | undefined;
  /** Accesses begun while a hit is in progress and not yet finished. */
  private nested = 0;
  readonly stats: KmmioStats = { hits: 0, nestedHits: 0 };
  private tickets = 0;
  /** kmmio_count: registered probes. */
  count = 0;

  constructor(
    private readonly bus: MmioBus,
    private readonly kernel: Kernel,
  ) {
    this.srcu = kernel.srcu('kmmio');
  }

  get pageCount(): number {
    return this.pages.size;
  }

  /** Refcount of the fault page holding `phys`, or 0. */
  pageRefs(phys: number): number {
    return this.pages.get(Math.floor(phys / PAGE_SIZE))?.count ?? 0;
  }

  register(p: KmmioProbe): void {
    if (!Number.isSafeInteger(p?.addr) || !Number.isSafeInteger(p.len) || p.addr < 0 || p.len <= 0) {
      throw kerr('EINVAL', 'a kmmio probe needs an integer physical addr >= 0 and len > 0');
    }
    const end = p.addr + p.len;
    for (const q of this.probes) {
      if (p.addr < q.addr + q.len && q.addr < end) {
        throw kerr('EEXIST', `kmmio probe ${hex(p.addr)}+${hex(p.len)} overlaps the probe at ${hex(q.addr)}+${hex(q.len)}`);
      }
    }
    const first = Math.floor(p.addr / PAGE_SIZE);
    const last = Math.floor((end - 1) / PAGE_SIZE);
    if (this.bus.map.lookup(first * PAGE_SIZE) === undefined) throw kerr('EINVAL', `kmmio probe at ${hex(p.addr)}: nothing is mapped there`);
    this.count++;
    this.probes.unshift(p);
    for (let pg = first; pg <= last; pg++) {
      const page = this.pages.get(pg);
      if (page) {
        if (page.count === 0) {
          page.armed = true;
          page.releaseTicket = 0;
        }
        page.count++;
      } else
        this.pages.set(pg, {
          base: pg * PAGE_SIZE,
          count: 1,
          armed: true,
          releaseTicket: 0,
          shadow: this.kernel.kasan.alloc('struct kmmio_fault_page', hex(pg * PAGE_SIZE)),
        });
    }
    this.detach ??= this.bus.observe(this);
  }

  async unregister(p: KmmioProbe): Promise<void> {
    const i = this.probes.indexOf(p);
    if (i < 0) throw kerr('ENOENT', `kmmio probe at ${hex(p.addr)} is not registered`);
    const release: FaultPage[] = [];
    const ticket = ++this.tickets;
    for (let pg = Math.floor(p.addr / PAGE_SIZE); pg <= Math.floor((p.addr + p.len - 1) / PAGE_SIZE); pg++) {
      const page = this.pages.get(pg)!;
      page.count--;
      if (page.count === 0) {
        page.armed = false;
        page.releaseTicket = ticket;
        release.push(page);
      }
    }
    this.probes.splice(i, 1);
    this.count--;
    await this.kernel.calls.runAsync('unregister_kmmio_probe', async () => {
      await this.srcu.synchronize();
      for (const page of release) {
        // A page taken again meanwhile, or released again by a later unregister, is not ours to free.
        if (page.releaseTicket !== ticket) continue;
        this.pages.delete(page.base / PAGE_SIZE);
        this.kernel.calls.run('kfree', () => page.shadow.free(), 'rcu_free_kmmio_fault_pages');
      }
    });
    if (this.probes.length === 0 && this.pages.size === 0 && this.detach) {
      this.detach();
      this.detach = undefined;
    }
  }

  before(io: IoMem, offset: number, width: number, write: boolean, lo: number, hi: number): void {
    const phys = io.phys + offset;
    const page = this.pages.get(Math.floor(phys / PAGE_SIZE));
    if (this.activePage !== undefined) {
      this.nested++;
      if (page && this.probeAt(phys) !== undefined) this.stats.nestedHits++;
      return;
    }
    if (!page?.armed) return;
    const probe = this.probeAt(phys);
    const a = this.access;
    a.io = io;
    a.offset = offset;
    a.phys = phys;
    a.width = width;
    a.write = write;
    a.lo = lo;
    a.hi = hi;
    this.activePage = page;
    this.activeProbe = probe;
    this.activeToken = this.srcu.readLock();
    page.armed = false;
    // The hit runs with interrupts off (the single-step window): what the access raises is taken after it.
    this.kernel.irqs.disableLocal();
    probe?.pre?.(probe, phys, a);
  }

  onAccess(_io: IoMem, _offset: number, _width: number, _write: boolean, lo: number, hi: number): void {
    const page = this.activePage;
    if (page === undefined) return;
    if (this.nested > 0) {
      this.nested--;
      return;
    }
    const probe = this.activeProbe;
    this.access.lo = lo;
    this.access.hi = hi;
    this.activePage = undefined;
    this.activeProbe = undefined;
    try {
      probe?.post?.(probe, this.access);
      this.stats.hits++;
    } finally {
      if (page.shadow.freedBy !== null) this.kernel.calls.run('post_kmmio_handler', () => page.shadow.report('kmmio_fault_page->armed'));
      if (page.count > 0) page.armed = true;
      this.srcu.readUnlock(this.activeToken);
      this.kernel.irqs.enableLocal();
    }
  }

  /** The probe covering `phys`, if any (a loop, not find(): no closure per access). */
  private probeAt(phys: number): KmmioProbe | undefined {
    const probes = this.probes;
    for (let i = 0; i < probes.length; i++) {
      const q = probes[i]!;
      if (phys >= q.addr && phys < q.addr + q.len) return q;
    }
    return undefined;
  }
}

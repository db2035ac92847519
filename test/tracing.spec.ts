// Tests of tracing: rwmmio lines, kmmio probes and mmiotrace, and per-call-site function tracing.
import { FunctionTracer, IRQ_HANDLED, KernelError, type SiteTracer } from '@cspmu/kernel';
import { BusError, Kmmio, MmioTrace } from '@cspmu/mmio';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

/** The rwmmio lines of a stat of one event on Grace's first cache PMU: open, 1 µs of counting, a read, a close. */
async function statTrace(event: string): Promise<string[]> {
  const m = await Machine.boot({ platform: 'grace', installed: [] });
  m.kernel.trace.enable('rwmmio:rwmmio_read');
  m.kernel.trace.enable('rwmmio:rwmmio_write');
  const [e] = m.open(event);
  m.advance(1000);
  m.perf.read(e!);
  await m.perf.close(e!);
  return m.kernel.trace.peek().map((l) => l.text);
}
const p0 = (o: number) => `0xffff80008000${o.toString(16).padStart(4, '0')}`;
const p1 = (o: number) => `0xffff80008001${o.toString(16).padStart(4, '0')}`;

describe('Tracing: rwmmio', function () {
  this.timeout(60000);

  it('prints the exact lines of a probe, naming the driver functions', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const dev = m.bus.device('arm-cs-arch-pmu.1')!;
    await m.bus.deviceReleaseDriver(dev);
    m.kernel.trace.enable('rwmmio:*');
    await m.bus.attachDevice(dev);
    const va = (off: number) => `0xffff8000800${(6).toString(16)}${off.toString(16).padStart(4, '0')}`;
    const rd = (fn: string, off: number, val: string) => [
      `rwmmio_read: arm_cspmu_device_probe -> ${fn} width=32 addr=${va(off)}`,
      `rwmmio_post_read: arm_cspmu_device_probe -> ${fn} width=32 val=${val} addr=${va(off)}`,
    ];
    const wr = (fn: string, off: number, val: string) => [
      `rwmmio_write: arm_cspmu_device_probe -> ${fn} width=32 val=${val} addr=${va(off)}`,
      `rwmmio_post_write: arm_cspmu_device_probe -> ${fn} width=32 val=${val} addr=${va(off)}`,
    ];
    expect(m.kernel.trace.peek().map((l) => `${l.event}: ${l.text}`)).to.deep.equal([
      // 7.3's FEAT_CSPMU_EXT64 test: PMCNTENCLR reads back 0 and PMDEVARCH names no EXT64 part.
      ...wr('arm_cspmu_init_mmio', 0xc20, '0xffffffff'),
      ...wr('arm_cspmu_init_mmio', 0xc10, '0xffffffff'),
      ...rd('arm_cspmu_init_mmio', 0xc20, '0'),
      ...rd('arm_cspmu_init_mmio', 0xfbc, '0x47702a56'),
      ...rd('arm_cspmu_init_mmio', 0xe00, '0x1f03'),
      ...rd('arm_cspmu_init_impl_ops', 0xe08, '0'),
      ...rd('arm_cspmu_init_impl_ops', 0xfe0, '0xa1'),
      ...rd('arm_cspmu_init_impl_ops', 0xfe4, '0xb5'),
      ...rd('arm_cspmu_init_impl_ops', 0xfe8, '0x1b'),
      ...rd('arm_cspmu_init_impl_ops', 0xfec, '0x20'),
      ...rd('arm_cspmu_init_impl_ops', 0xfd0, '0x4'),
      `rwmmio_write: arm_cspmu_device_probe -> arm_cspmu_register_pmu width=32 val=0x6 addr=${va(0xe04)}`,
      `rwmmio_post_write: arm_cspmu_device_probe -> arm_cspmu_register_pmu width=32 val=0x6 addr=${va(0xe04)}`,
    ]);
  });

  it('prints the exact sequence of a stat of one event, as the kernel driver makes it', async () => {
    expect(await statTrace('arm_cspmu_cache_0/event=0x1a5/')).to.deep.equal([
      `perf_pmu_disable -> arm_cspmu_disable width=32 val=0 addr=${p0(0xe04)}`,
      `arm_cspmu_start -> arm_cspmu_write_counter width=64 val=0x7fffffffffffffff addr=${p1(0)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x1a5 addr=${p0(0x400)}`,
      `arm_cspmu_start -> arm_cspmu_set_ev_filter width=32 val=0 addr=${p0(0xa00)}`,
      `arm_cspmu_start -> arm_cspmu_set_ev_filter width=32 val=0 addr=${p0(0x800)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x1 addr=${p0(0xc40)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x1 addr=${p0(0xc00)}`,
      `perf_pmu_enable -> arm_cspmu_enable width=32 val=0x1 addr=${p0(0xe04)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=${p1(0)}`,
      `perf_pmu_disable -> arm_cspmu_disable width=32 val=0 addr=${p0(0xe04)}`,
      `arm_cspmu_del -> arm_cspmu_stop width=32 val=0x1 addr=${p0(0xc20)}`,
      `arm_cspmu_del -> arm_cspmu_stop width=32 val=0x1 addr=${p0(0xc60)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=${p1(0)}`,
    ]);
  });

  it('prints the exact sequence of a stat of the cycle event: the cycle filter written under its own frame, the enables after it under start again', async () => {
    // The cycle counter is counter 31 (page 1 at 0xf8); start writes its period, then PMCCFILTR through set_cc_filter, then enables it.
    expect(await statTrace('arm_cspmu_cache_0/cycles/')).to.deep.equal([
      `perf_pmu_disable -> arm_cspmu_disable width=32 val=0 addr=${p0(0xe04)}`,
      `arm_cspmu_start -> arm_cspmu_write_counter width=64 val=0x7fffffffffffffff addr=${p1(0xf8)}`,
      `arm_cspmu_start -> arm_cspmu_set_cc_filter width=32 val=0 addr=${p0(0x47c)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x80000000 addr=${p0(0xc40)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x80000000 addr=${p0(0xc00)}`,
      `perf_pmu_enable -> arm_cspmu_enable width=32 val=0x1 addr=${p0(0xe04)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=${p1(0xf8)}`,
      `perf_pmu_disable -> arm_cspmu_disable width=32 val=0 addr=${p0(0xe04)}`,
      `arm_cspmu_del -> arm_cspmu_stop width=32 val=0x80000000 addr=${p0(0xc20)}`,
      `arm_cspmu_del -> arm_cspmu_stop width=32 val=0x80000000 addr=${p0(0xc60)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=${p1(0xf8)}`,
    ]);
  });

  it('prints the exact sequence of an overflow interrupt: the counter read under event_update, the preload under the handler again', async () => {
    // arm-generic's memory-controller PMU has 32-bit counters: its cycle counter, preloaded at 2^31 - 1, wraps once in 4 s.
    const m = await Machine.boot({ platform: 'arm-generic' });
    m.open('arm_cspmu_mc_0/cycles/');
    m.kernel.trace.enable('rwmmio:rwmmio_read');
    m.kernel.trace.enable('rwmmio:rwmmio_write');
    m.advance(4e9);
    const va = (o: number) => `0xffff80008006${o.toString(16).padStart(4, '0')}`;
    expect(m.kernel.trace.peek().map((l) => l.text)).to.deep.equal([
      `<unknown> -> arm_cspmu_handle_irq width=32 val=0 addr=${va(0xe04)}`,
      `<unknown> -> arm_cspmu_handle_irq width=32 addr=${va(0xc80)}`,
      `<unknown> -> arm_cspmu_handle_irq width=32 val=0x80000000 addr=${va(0xc80)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=32 addr=${va(0x7c)}`,
      `arm_cspmu_handle_irq -> arm_cspmu_write_counter width=32 val=0x7fffffff addr=${va(0x7c)}`,
      `<unknown> -> arm_cspmu_handle_irq width=32 val=0x1 addr=${va(0xe04)}`,
    ]);
  });

  it('filters by device and by function', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    for (const tp of m.kernel.trace.list()) if (tp.def.system === 'rwmmio') tp.setFilter('dev == "arm-cs-arch-pmu.4" && caller ~ "*read_counter"');
    m.kernel.trace.enable('rwmmio:rwmmio_read');
    const evs = m.open('arm_cspmu_pcie_0/event=0x0/,arm_cspmu_cache_0/cycles/');
    for (const e of evs) m.perf.read(e);
    // Only the PCIe PMU's hi-lo-hi counter reads pass: three 32-bit reads (its page is the sixth mapping).
    expect(m.kernel.trace.peek().map((l) => l.text)).to.deep.equal([
      'arm_cspmu_event_update -> arm_cspmu_read_counter width=32 addr=0xffff800080050004',
      'arm_cspmu_event_update -> arm_cspmu_read_counter width=32 addr=0xffff800080050000',
      'arm_cspmu_event_update -> arm_cspmu_read_counter width=32 addr=0xffff800080050004',
    ]);
  });

  it('traces nothing for an access through a released mapping, and reports it', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const inst = m.driver.instanceByName('arm_cspmu_cache_1')!;
    await m.bus.deviceReleaseDriver(m.bus.device('arm-cs-arch-pmu.16')!);
    m.kernel.trace.enable('rwmmio:*');
    expect(() => inst.base0.readl(0xe00)).to.throw(BusError, 'after iounmap');
    expect(m.kernel.trace.peek()).to.deep.equal([]);
    expect(m.mmio.violations).to.have.length(1);
  });
});

describe('Tracing: kmmio probes and mmiotrace', function () {
  this.timeout(60000);

  it('refuses a probe overlapping another anywhere (EEXIST), leaking no counter or page', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const k = new Kmmio(m.mmio, m.kernel);
    const a = { addr: 0x50020000, len: 0x2000 };
    k.register(a);
    expect([k.count, k.pageCount]).to.deep.equal([1, 2]);
    // Upstream checked only the first page: this one starts before and overlaps a's second page.
    for (const bad of [
      { addr: 0x5001f000, len: 0x3000 },
      { addr: 0x50021800, len: 4 },
      { addr: 0x50020ffc, len: 8 },
    ]) {
      expect(() => k.register(bad)).to.throw(KernelError, 'EEXIST');
      expect([k.count, k.pageCount, k.pageRefs(0x50020000), k.pageRefs(0x50021000)]).to.deep.equal([1, 2, 1, 1]);
    }
    expect(() => k.register({ addr: 0x60000000, len: 4 })).to.throw(KernelError, 'nothing is mapped there');
    expect(k.count).to.equal(1);
  });

  it('shares refcounted pages between adjacent probes and frees them after grace periods', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const k = new Kmmio(m.mmio, m.kernel);
    const a = { addr: 0x50020000, len: 0x800 };
    const b = { addr: 0x50020800, len: 0x1000 };
    k.register(a);
    k.register(b);
    expect([k.pageRefs(0x50020000), k.pageRefs(0x50021000), k.pageCount]).to.deep.equal([2, 1, 2]);
    await k.unregister(a);
    expect([k.pageRefs(0x50020000), k.pageCount]).to.deep.equal([1, 2]);
    await k.unregister(b);
    expect(k.pageCount).to.equal(0);
  });

  it('makes unregister wait while a hit is using the probe: its page is freed only after the hit', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const k = new Kmmio(m.mmio, m.kernel);
    const io = m.mmio.ioremap(0x50000000, 0x1000, 'probe-test');
    const order: string[] = [];
    let unreg: Promise<void> | undefined;
    const p = {
      addr: 0x50000000,
      len: 0x1000,
      // Another CPU unregisters inside this hit's single-step window.
      pre: () => {
        order.push('pre');
        unreg = k.unregister(p).then(() => void order.push('unregistered'));
      },
      post: () => void order.push(`post (pages ${k.pageCount})`),
    };
    k.register(p);
    io.readl(0xe00);
    expect(order).to.deep.equal(['pre', 'post (pages 1)']);
    await unreg;
    expect(order).to.deep.equal(['pre', 'post (pages 1)', 'unregistered']);
    expect(k.pageCount).to.equal(0);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
    // The next access is untraced and the hit left nothing behind (interrupts on, no reader held).
    io.readl(0xe00);
    expect(k.stats).to.deep.equal({ hits: 1, nestedHits: 0 });
  });

  it('takes an interrupt raised during a hit after the hit, without re-entering a handler', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const k = new Kmmio(m.mmio, m.kernel);
    const io = m.mmio.ioremap(0x50000000, 0x1000, 'irq-test');
    const order: string[] = [];
    let depth = 0;
    k.register({
      addr: 0x50000000,
      len: 0x1000,
      pre: (_p, addr) => {
        depth++;
        expect(depth).to.equal(1);
        order.push(`pre 0x${addr.toString(16)}`);
      },
      post: (_p, a) => {
        order.push(`post 0x${a.phys.toString(16)}`);
        depth--;
      },
    });
    // The driver's own handler is replaced by one that touches the traced page.
    m.kernel.irqs.free(0x100);
    m.kernel.irqs.request(
      0x100,
      () => {
        order.push('irq');
        io.writel(io.readl(0xc80), 0xc80);
        return IRQ_HANDLED;
      },
      'test',
    );
    io.writel(1, 0xc40);
    order.length = 0;
    io.writel(1, 0xcc0);
    expect(order).to.deep.equal(['pre 0x50000cc0', 'post 0x50000cc0', 'irq', 'pre 0x50000c80', 'post 0x50000c80', 'pre 0x50000c80', 'post 0x50000c80']);
    expect(k.stats).to.deep.equal({ hits: 4, nestedHits: 0 });
  });

  it('writes mmiotrace text for a probe and a stat, with markers and lost events', async () => {
    let mt!: MmioTrace;
    const m = await Machine.boot({
      platform: 'arm-generic',
      installed: [],
      beforeDrivers: (mm) => {
        mt = new MmioTrace(mm.mmio, mm.kernel);
        mt.enable();
      },
    });
    mt.mark('stat begins');
    const [e] = m.open('arm_cspmu_smmu_256/event=0x1/');
    m.advance(1500);
    m.perf.read(e!);
    const lines = mt.text().split('\n');
    expect(lines[0]).to.equal('VERSION 20070824');
    expect(lines.slice(1, 9)).to.deep.equal([
      'MAP 0.000000 0 0x50000000 0xffff800080000000 0x1000 0x0 0',
      'W 4 0.000000 0 0x50000c20 0xffffffff 0x0 0',
      'W 4 0.000000 0 0x50000c10 0xffffffff 0x0 0',
      'R 4 0.000000 0 0x50000c20 0x0 0x0 0',
      'R 4 0.000000 0 0x50000fbc 0x47702a56 0x0 0',
      'R 4 0.000000 0 0x50000e00 0x5f07 0x0 0',
      'R 4 0.000000 0 0x50000e08 0x5a00043b 0x0 0',
      'W 4 0.000000 0 0x50000e04 0x6 0x0 0',
    ]);
    const tail = lines.slice(lines.indexOf('MARK 0.000000 stat begins'));
    expect(tail).to.deep.equal([
      'MARK 0.000000 stat begins',
      'W 4 0.000000 1 0x50010e04 0x0 0x0 0',
      'W 4 0.000000 1 0x50010000 0x7fffffff 0x0 0',
      'W 4 0.000000 1 0x50010400 0x1 0x0 0',
      'W 4 0.000000 1 0x50010a00 0x0 0x0 0',
      'W 4 0.000000 1 0x50010800 0x0 0x0 0',
      'W 4 0.000000 1 0x50010c40 0x1 0x0 0',
      'W 4 0.000000 1 0x50010c00 0x1 0x0 0',
      'W 4 0.000000 1 0x50010e04 0x1 0x0 0',
      'R 4 0.000001 1 0x50010000 0x800005db 0x0 0',
      '',
    ]);
    m.kernel.trace.configure(4, 'overwrite');
    for (let i = 0; i < 10; i++) m.perf.read(e!);
    expect(mt.text().split('\n').slice(0, 2)).to.deep.equal(['VERSION 20070824', 'MARK 0.000000 Lost 6 events.']);
    await mt.disable();
    expect(mt.kmmio.count).to.equal(0);
  });
});

describe('Tracing: per-callsite function tracing', function () {
  this.timeout(60000);

  it('patches one site alone and prints callback, PMU, event, duration and result', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const sites = m.kernel.callSites;
    const before = new Map(sites.list().map((s) => [s.name, s.ops]));
    const t = new FunctionTracer(m.kernel.trace);
    sites.attach('pmu->add', t);
    expect(sites.get('pmu->add').ops).to.equal(t);
    for (const s of sites.list()) if (s.name !== 'pmu->add') expect(s.ops, s.name).to.equal(before.get(s.name));
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    m.perf.read(e!);
    const lines = m.kernel.trace.peek().map((l) => l.text);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^pmu->add arm_cspmu_cache_0 event=1 dur=\d+ns ret=0$/);
  });

  it('records errno, falls back to a list for several tracers, and frees a tracer only after a grace period', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const sites = m.kernel.callSites;
    const t1 = new FunctionTracer(m.kernel.trace, 't1');
    const seen: string[] = [];
    let detach: Promise<void> | undefined;
    const t2: SiteTracer & { released: boolean } = {
      name: 't2',
      released: false,
      onCall: (_s, target, id) => {
        seen.push(`${target} ${id}`);
        detach ??= sites.detach('pmu->event_init', t2);
      },
      release() {
        this.released = true;
      },
    };
    sites.attach('pmu->event_init', t1);
    sites.attach('pmu->event_init', t2);
    expect(sites.get('pmu->event_init').ops).to.deep.equal([t1, t2]);
    try {
      m.perf.open({ type: m.perf.pmuByName('arm_cspmu_cache_0')!.type, config: 1n, sample_period: 10 }, { cpu: 0 });
    } catch {
      /* EOPNOTSUPP, traced */
    }
    expect(t2.released).to.equal(false);
    await detach;
    expect(t2.released).to.equal(true);
    expect(sites.get('pmu->event_init').ops).to.equal(t1);
    expect(seen).to.deep.equal(['arm_cspmu_cache_0 1']);
    expect(m.kernel.trace.peek().map((l) => l.text)[0]).to.match(/^pmu->event_init arm_cspmu_cache_0 event=1 dur=\d+ns errno=EOPNOTSUPP$/);
  });

  it('traces driver-to-backend op calls too', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    m.kernel.callSites.attach('cspmu->set_ev_filter', new FunctionTracer(m.kernel.trace));
    m.open('nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/');
    expect(m.kernel.trace.peek().map((l) => l.text.replace(/dur=\d+ns/, 'dur=Nns'))).to.deep.equal([
      'cspmu->set_ev_filter nvidia_pcie_pmu_0 event=1 dur=Nns ret=0',
    ]);
  });
});

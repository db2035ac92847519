// Micro-benchmarks of the hot paths: MMIO accessors with tracing off and on, counter reads, open+close, call-site ops, lazy counting.
import { defineBackend } from '@cspmu/arm-cspmu';
import { createKernel, type SiteTracer } from '@cspmu/kernel';
import { MmioBus, RegisterBank } from '@cspmu/mmio';
import { parseEventList } from '@cspmu/perf-tool';
import { Machine } from '@cspmu/system';
import { do_not_optimize, measure } from 'mitata';

/** p50 nanoseconds per call of `fn`. */
export async function ns(fn: () => unknown): Promise<number> {
  const s = await measure(fn, { min_cpu_time: 400e6 });
  return s.p50;
}

export interface MmioFigures {
  /** Medians over alternating rounds (raw, off, on in each), ns. */
  readonly raw: number;
  readonly off: number;
  readonly on: number;
  /** Median and range over the rounds of off/raw and on/off. */
  readonly offRatio: Spread;
  readonly onRatio: Spread;
  readonly rounds: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

/**
 * readl of a plain register with tracing off, against a DataView read of the
 * same word of the same state at the same constant offset, and with rwmmio
 * tracing into the ring. Both of readl's paths are warmed first (a traced
 * phase and a read with a side effect), as any real run has them: V8
 * compiles the fast path alone while the other has never run, which would
 * flatter the first measurement.
 */
export async function mmio(rounds = 5): Promise<MmioFigures> {
  const { kernel } = createKernel();
  const bus = new MmioBus(kernel);
  let live = 0;
  const bank = new RegisterBank('bench', 0x1000, [
    { name: 'R', offset: 0x100, access: 'RW', reset: 0x1234 },
    { name: 'LIVE', offset: 0x104, access: 'RO', read: () => live++ },
  ]);
  bus.map.map(0x10000, 0x1000, bank, 'bench');
  const io = bus.ioremap(0x10000, 0x1000, 'bench');
  const dv = new DataView(bank.state.buffer);
  kernel.trace.configure(1 << 16, 'overwrite');
  const traced = (on: boolean) => kernel.trace.enable('rwmmio:*', on);
  traced(true);
  for (let i = 0; i < 100_000; i++) io.readl(0x100);
  traced(false);
  for (let i = 0; i < 100_000; i++) io.readl(0x104);
  const raws: number[] = [];
  const offs: number[] = [];
  const ons: number[] = [];
  for (let r = 0; r < rounds; r++) {
    raws.push(await ns(() => do_not_optimize(dv.getUint32(0x100, true))));
    offs.push(await ns(() => do_not_optimize(io.readl(0x100))));
    traced(true);
    const written = kernel.trace.ring.written;
    ons.push(await ns(() => do_not_optimize(io.readl(0x100))));
    traced(false);
    if (kernel.trace.ring.written === written) throw new Error('mmio_on: traced reads wrote no records');
  }
  if (io.readl(0x100) !== 0x1234 || dv.getUint32(0x100, true) !== 0x1234) throw new Error('mmio: the register does not hold what the bench reads');
  return {
    raw: spread(raws).median,
    off: spread(offs).median,
    on: spread(ons).median,
    offRatio: spread(offs.map((o, i) => o / raws[i]!)),
    onRatio: spread(ons.map((o, i) => o / offs[i]!)),
    rounds,
  };
}

export async function readPath(): Promise<{ readq: number; hilohi: number }> {
  const m = await Machine.boot({ platform: 'grace' });
  const [scf, pcie] = m.open('nvidia_scf_pmu_0/cycles/,nvidia_pcie_pmu_0/rd_bytes_loc/');
  m.advance(1_000_000);
  const readq = await ns(() => do_not_optimize(m.perf.readCount(scf!)));
  const hilohi = await ns(() => do_not_optimize(m.perf.readCount(pcie!)));
  return { readq, hilohi };
}

export async function openClose(): Promise<number> {
  const m = await Machine.boot({ platform: 'grace' });
  const [p] = parseEventList(m.perf, ['nvidia_scf_pmu_0/cmem_rd_data/']);
  // An uncore PMU refuses exclusions; perf retries without exclude_guest, so open what it opens the second time.
  const { exclude_guest: _guest, ...attr } = p!.attr;
  return ns(async () => await m.perf.close(m.perf.open(attr, { cpu: 0 })));
}

const noop = (name: string): SiteTracer => ({ name, onCall: () => undefined });

export async function callsiteOps(): Promise<{ alone: number; withUnrelated: number; listDispatch: number }> {
  const m = await Machine.boot({ platform: 'grace' });
  const [e] = m.open('nvidia_scf_pmu_0/cycles/');
  const sites = m.kernel.callSites;
  const relevant = noop('relevant');
  sites.attach('pmu->read', relevant);
  const alone = await ns(() => do_not_optimize(m.perf.readCount(e!)));
  const others: SiteTracer[] = [];
  for (let i = 0; i < 100; i++) {
    sites.site(`bench:unrelated_${i}`, () => ['', -1]);
    const t = noop(`unrelated_${i}`);
    sites.attach(`bench:unrelated_${i}`, t);
    others.push(t);
  }
  const withUnrelated = await ns(() => do_not_optimize(m.perf.readCount(e!)));
  // For contrast: one global list of all 101 tracers consulted on every call (list_ops dispatch).
  await sites.detach('pmu->read', relevant);
  const all: [string, SiteTracer][] = [['pmu->read', relevant], ...others.map((t, i): [string, SiteTracer] => [`bench:unrelated_${i}`, t])];
  const list: SiteTracer = {
    name: 'list_ops',
    onCall(site, target, id, dur, res, err) {
      for (const [name, t] of all) if (name === site.name) t.onCall(site, target, id, dur, res, err);
    },
  };
  sites.attach('pmu->read', list);
  const listDispatch = await ns(() => do_not_optimize(m.perf.readCount(e!)));
  return { alone, withUnrelated, listDispatch };
}

export async function lazyCount(): Promise<{ small: number; large: number }> {
  const small = await Machine.boot({ platform: 'grace' });
  const [a] = small.open('nvidia_scf_pmu_0/cycles/');
  small.advance(667); // 1,000 cycles at 1.5 GHz
  const large = await Machine.boot({ platform: 'grace' });
  const [b] = large.open('nvidia_scf_pmu_0/cycles/');
  large.advance(666_666_666_667); // 10^12 cycles
  if (small.perf.readCount(a!) !== 1000 || large.perf.readCount(b!) !== 1e12) throw new Error('lazy_count setup did not count as planned');
  return { small: await ns(() => do_not_optimize(small.perf.readCount(a!))), large: await ns(() => do_not_optimize(large.perf.readCount(b!))) };
}

export const SCF_BACKEND = defineBackend({
  name: 'bench_scf_cspmu',
  match: { implementer: 0x36b, product: 0x2cf },
  init: (inst) => ({ getName: () => inst.uniqueName(`bench_scf_${inst.apmt?.id}`) }),
});

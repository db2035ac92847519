// Per-operation figures: each function sets its subject up once and returns probes, each probe one measurement in ns per operation.
import { defineBackend } from '@cspmu/arm-cspmu';
import { createKernel } from '@cspmu/kernel';
import { MmioBus, RegisterBank } from '@cspmu/mmio';
import { PERF_EVENT_STATE } from '@cspmu/perf';
import { parseEventList } from '@cspmu/perf-tool';
import { Machine } from '@cspmu/system';
import { measure } from 'mitata';
import { KERNEL_LOOP, type LoopCounts } from './kernel-ref.js';
import { perOp } from './per-op.js';

/** One measurement: median nanoseconds per call. */
export type Probe = () => Promise<number>;

/**
 * Median nanoseconds per call of `fn` over about `cpuMs` of calls, for figures
 * whose two sides are both ours (mitata calls `fn` in batches of 4,096 and
 * takes the median batch); figures against the kernel use perOp instead.
 */
export async function ns(fn: () => unknown, cpuMs = 150): Promise<number> {
  const s = await measure(fn, { min_cpu_time: cpuMs * 1e6 });
  return s.p50;
}

/** Where the mmio figures' reads are summed: every read must count (see mmio()). */
let rawSum = 0;
let offSum = 0;

/**
 * readl of a plain register with tracing off, against a DataView read of the
 * same word of the same state at the same constant offset, and with rwmmio
 * tracing into the ring. Both of readl's paths are warmed first (a traced
 * phase and a read with a side effect), as any real run has them: V8
 * compiles the fast path alone while the other has never run, which would
 * flatter the first measurement. Each side adds its reads into its own sum:
 * with do_not_optimize (one property store per call) V8 merged the four
 * unrolled calls of mitata's loop on the raw side into one store and dropped
 * three of the four reads, so raw timed a quarter of a read per call.
 */
export async function mmio(counts: LoopCounts = KERNEL_LOOP.read): Promise<{ raw: Probe; off: Probe; on: Probe }> {
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
  if (io.readl(0x100) !== 0x1234 || dv.getUint32(0x100, true) !== 0x1234) throw new Error('mmio: the register does not hold what the bench reads');
  const tracedReads = (n: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += io.readl(0x100);
    return sum;
  };
  return {
    raw: () =>
      ns(() => {
        rawSum = (rawSum + dv.getUint32(0x100, true)) | 0;
      }),
    off: () =>
      ns(() => {
        offSum = (offSum + io.readl(0x100)) | 0;
      }),
    on: async () => {
      traced(true);
      const written = kernel.trace.ring.written;
      const t = await perOp(tracedReads, { ...counts, each: 0x1234 });
      traced(false);
      if (kernel.trace.ring.written === written) throw new Error('mmio_on: traced reads wrote no records');
      return t;
    },
  };
}

/** perf read of a running uncore counter: a 64-bit one (readq) and a 32-bit pair read hi-lo-hi. */
export async function readPath(counts: LoopCounts = KERNEL_LOOP.read): Promise<{ readq: Probe; hilohi: Probe }> {
  const m = await Machine.boot({ platform: 'grace' });
  const [scf, pcie] = m.open('nvidia_scf_pmu_0/cycles/,nvidia_pcie_pmu_0/rd_bytes_loc/');
  m.advance(1_000_000);
  const perf = m.perf;
  // Virtual time stands still, so every read returns the same count: the loops' sums check that each read ran.
  const readqs = (n: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += perf.readCount(scf!);
    return sum;
  };
  const hilohis = (n: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += perf.readCount(pcie!);
    return sum;
  };
  return {
    readq: () => perOp(readqs, { ...counts, each: perf.readCount(scf!) }),
    hilohi: () => perOp(hilohis, { ...counts, each: perf.readCount(pcie!) }),
  };
}

/**
 * perf_event_open + close of an uncore event, as perf opens it, with no other
 * event in the PMU's context (the C program holds none in its task's either).
 */
export async function openClose(counts: LoopCounts = KERNEL_LOOP.openClose): Promise<Probe> {
  const m = await Machine.boot({ platform: 'grace' });
  const [p] = parseEventList(m.perf, ['nvidia_scf_pmu_0/cmem_rd_data/']);
  // An uncore PMU refuses exclusions; perf retries without exclude_guest, so open what it opens the second time.
  const { exclude_guest: _guest, ...attr } = p!.attr;
  // As the kernel's close(), ours frees straight through when nothing sleeps: timed without an await per
  // iteration (the harness's own async machinery is not part of open + close), and checked to have done so
  // (each pair adds 1 when its event is freed by the time close() returns).
  const perf = m.perf;
  const openCloses = (n: number) => {
    let freed = 0;
    for (let i = 0; i < n; i++) {
      const e = perf.open(attr, { cpu: 0 });
      void perf.close(e);
      if (e.state === PERF_EVENT_STATE.DEAD) freed++;
    }
    return freed;
  };
  return () => perOp(openCloses, { ...counts, each: 1 });
}

type PerfEvent = ReturnType<Machine['open']>[number];

/** Reading a counter after 10^3 events and after 10^12 (two machines). */
export async function lazyCount(): Promise<{ small: Probe; large: Probe }> {
  const small = await Machine.boot({ platform: 'grace' });
  const [a] = small.open('nvidia_scf_pmu_0/cycles/');
  small.advance(667); // 1,000 cycles at 1.5 GHz
  const large = await Machine.boot({ platform: 'grace' });
  const [b] = large.open('nvidia_scf_pmu_0/cycles/');
  large.advance(666_666_666_667); // 10^12 cycles
  if (small.perf.readCount(a!) !== 1000 || large.perf.readCount(b!) !== 1e12) throw new Error('lazy_count setup did not count as planned');
  // Each read is added into a sum (a double), not passed to do_not_optimize: that stores it in an object, which
  // boxes 10^12 (above the small-integer range) in a new heap number on every read and not 1,000, so the harness
  // made the large side 5-17 ns dearer (1.10-1.36x at load average 22, where the summed loops gave 1.016-1.027x).
  // Both sides run one loop function, so one compiled copy of the read path: with a loop each, the one compiled
  // first (seeing only counts under 2^30) kept code for small integers, and the other got code for doubles.
  const reads = (perf: Machine['perf'], e: PerfEvent, n: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += perf.readCount(e);
    return sum;
  };
  const loops = { n: 4096, loops: 500, statistic: 'median' } as const;
  return {
    small: () => perOp((n) => reads(small.perf, a!, n), { ...loops, each: 1000 }),
    large: () => perOp((n) => reads(large.perf, b!, n), { ...loops, each: 1e12 }),
  };
}

export const SCF_BACKEND = defineBackend({
  name: 'bench_scf_cspmu',
  match: { implementer: 0x36b, product: 0x2cf },
  init: (inst) => ({ getName: () => inst.uniqueName(`bench_scf_${inst.apmt?.id}`) }),
});

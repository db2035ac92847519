// Test helpers for register-write tests: compact rwmmio lines per device, and a generic Arm PMU's platform entry.
import type { PlatformSpec } from '@cspmu/hw';
import type { Machine } from '@cspmu/system';

/**
 * One device's rwmmio trace, as compact lines: `p0 W32 0xe04 = 0x1` for a
 * write (page, width, offset in the page, value), `p1 R64 0x0` for a read.
 * The page is found from the bound instance's mappings; `page: false`
 * prints offsets only (probe attempts map and unmap their own pages).
 */
export class RwmmioLog {
  constructor(
    private readonly m: Machine,
    private readonly device: string,
    private readonly opts: { reads?: boolean; page?: boolean } = {},
  ) {
    const trace = m.kernel.trace;
    const events = opts.reads ? ['rwmmio_write', 'rwmmio_read'] : ['rwmmio_write'];
    for (const e of events) {
      trace.get(e).setFilter(`dev == "${device}"`);
      trace.enable(`rwmmio:${e}`);
    }
    trace.read();
  }

  /** The lines traced since the last call. */
  take(): string[] {
    const inst = [...this.m.driver.instances.values()].find((i) => i.device === this.device);
    const page0 = inst ? BigInt(inst.base0.virtAddress(0)) : -1n;
    const page1 = inst ? BigInt(inst.base1.virtAddress(0)) : -1n;
    return this.m.kernel.trace.read().map((l) => {
      const f = /width=(\d+)(?: val=(\S+))? addr=(\S+)$/.exec(l.text);
      if (!f) throw new Error(`not an rwmmio line: ${l.text}`);
      const addr = BigInt(f[3]!);
      const off = addr & 0xfffn;
      const base = addr - off;
      const page = this.opts.page === false ? '' : base === page0 ? 'p0 ' : base === page1 ? 'p1 ' : 'p? ';
      const val = f[2] === undefined ? '' : ` = 0x${BigInt(f[2]).toString(16)}`;
      return `${page}${l.event === 'rwmmio_write' ? 'W' : 'R'}${f[1]} 0x${off.toString(16)}${val}`;
    });
  }
}

/**
 * Every device's MMIO accesses as `RwmmioLog` prints them without pages,
 * through a bus observer (the same accesses rwmmio traces, with the device
 * named on each): for recording many devices at once, during boot.
 */
export function accessesByDevice(m: Machine): Map<string, string[]> {
  const byDev = new Map<string, string[]>();
  m.mmio.observe({
    onAccess(io, off, width, write, lo, hi) {
      const val = write ? ` = 0x${((BigInt(hi) << 32n) | BigInt(lo)).toString(16)}` : '';
      let list = byDev.get(io.owner);
      if (!list) byDev.set(io.owner, (list = []));
      list.push(`${write ? 'W' : 'R'}${width * 8} 0x${off.toString(16)}${val}`);
    },
  });
  return byDev;
}

/** A generic Arm PMU as a platform file gives it (JEP106 0x43b: no vendor backend claims it). */
export function armPmu(over: Partial<PlatformSpec['pmus'][number]> & { label: string; id: number; base0: string }): PlatformSpec['pmus'][number] {
  return {
    type: 'mc',
    instPrimary: over.id,
    implementer: '0x43b',
    product: '0x5b0',
    counters: 5,
    counterBits: 32,
    cycleCounter: true,
    dualPage: false,
    atomic64: false,
    clockHz: 1e9,
    affinity: { container: 0 },
    ...over,
  };
}

/** A one-socket machine with the given PMUs and events 0x1-0x3 counting on all of them. */
export function platformOf(name: string, pmus: PlatformSpec['pmus']): PlatformSpec {
  return {
    name,
    cpus: { sockets: 1, coresPerSocket: 4 },
    pmus,
    workload: {
      name: `${name}-load`,
      phases: [
        {
          durationNs: 1_000_000,
          streams: [
            { pmu: '*', event: 0x1, rate: 1e9 },
            { pmu: '*', event: 0x2, rate: 2e8 },
            { pmu: '*', event: 0x3, rate: 3e7 },
          ],
        },
      ],
    },
  };
}

// The built-in Grace-like 2-socket NVIDIA machine: its PMUs and its streaming workload.
import type { PlatformSpec, PmuDeviceSpec } from './platform.js';
import type { StreamSpec, WorkloadSpec } from './workload.js';

const GB = 1e9;
const hex = (n: number) => `0x${n.toString(16)}`;

const GRACE_SOCKET_BASE = [0x10_0000_0000, 0x20_0000_0000];

/** Per socket, as on Grace: an SCF, two NVLink-C2C, a CNVLink and a PCIe PMU. */
function gracePmus(socket: number): PmuDeviceSpec[] {
  const base = GRACE_SOCKET_BASE[socket]!;
  const common = {
    implementer: '0x36b',
    counterBits: 64,
    cycleCounter: true,
    affinity: { container: socket },
  } as const;
  const irq = (i: number) => ({ gsi: 0x200 + socket * 16 + i, trigger: 'level' as const });
  return [
    {
      ...common,
      label: `scf${socket}`,
      id: socket * 16,
      type: 'cache',
      instSecondary: socket,
      product: '0x2cf',
      counters: 9,
      dualPage: true,
      atomic64: true,
      clockHz: 1.5e9,
      base0: hex(base),
      base1: hex(base + 0x1000),
      irq: irq(0),
    },
    {
      ...common,
      label: `nvlink_c2c0_${socket}`,
      id: socket * 16 + 1,
      type: 'acpi',
      instPrimary: 'NVDA2001',
      instSecondary: socket,
      product: '0x105',
      counters: 5,
      dualPage: false,
      atomic64: true,
      clockHz: 1e9,
      base0: hex(base + 0x10000),
      irq: irq(1),
    },
    {
      ...common,
      label: `nvlink_c2c1_${socket}`,
      id: socket * 16 + 2,
      type: 'acpi',
      instPrimary: 'NVDA2002',
      instSecondary: socket,
      product: '0x104',
      counters: 5,
      dualPage: false,
      atomic64: true,
      clockHz: 1e9,
      base0: hex(base + 0x20000),
      irq: irq(2),
    },
    {
      ...common,
      label: `cnvlink${socket}`,
      id: socket * 16 + 3,
      type: 'acpi',
      instPrimary: 'NVDA2003',
      instSecondary: socket,
      product: '0x106',
      counters: 5,
      dualPage: false,
      atomic64: true,
      clockHz: 1e9,
      base0: hex(base + 0x30000),
      irq: irq(3),
    },
    {
      ...common,
      label: `pcie${socket}`,
      id: socket * 16 + 4,
      type: 'pcie',
      instPrimary: socket,
      product: '0x103',
      counters: 9,
      dualPage: false,
      atomic64: false,
      clockHz: 1e9,
      base0: hex(base + 0x40000),
      irq: irq(4),
    },
  ];
}

export const GRACE_PLATFORM: PlatformSpec = {
  name: 'grace',
  description: 'A 2-socket NVIDIA Grace-like machine: 72 cores and 5 CoreSight PMUs (SCF, NVLink-C2C0/1, CNVLink, PCIe) per socket',
  cpus: { sockets: 2, coresPerSocket: 72 },
  pmus: [...gracePmus(0), ...gracePmus(1)],
  workload: 'grace-stream',
};

/** SCF traffic for one phase: read and write bandwidth to CPU memory, in bytes per second. */
function scfStreams(label: string, readBps: number, writeBps: number, gpuReadBps: number): StreamSpec[] {
  return [
    { pmu: label, event: '0x1a5', rate: readBps / 32 }, // cmem_rd_data: 32-byte beats
    { pmu: label, event: '0x1a6', rate: readBps / 64 }, // cmem_rd_access: 64-byte lines
    { pmu: label, event: '0x1a7', rate: (readBps / 64) * 40 }, // cmem_rd_outstanding: ~40 in flight per cycle-weighted access
    { pmu: label, event: '0x1b1', rate: writeBps / 32 }, // cmem_wr_data
    { pmu: label, event: '0x1ca', rate: writeBps / 64 }, // cmem_wr_access
    { pmu: label, event: '0x1db', rate: writeBps }, // cmem_wr_total_bytes
    { pmu: label, event: '0x1ab', rate: writeBps / 2 / 32 }, // cmem_wb_data
    { pmu: label, event: '0x1ac', rate: writeBps / 2 / 64 }, // cmem_wb_access
    { pmu: label, event: '0x16d', rate: gpuReadBps / 32 }, // gmem_rd_data
    { pmu: label, event: '0x16e', rate: gpuReadBps / 64 }, // gmem_rd_access
    { pmu: label, event: '0x1a2', rate: readBps / 20 / 32 }, // remote_socket_rd_data
    { pmu: label, event: '0xf2', rate: (readBps + writeBps) / 64 }, // scf_cache
    { pmu: label, event: '0xf1', rate: readBps / 64 / 4 }, // scf_cache_refill
    { pmu: label, event: '0xf0', rate: writeBps / 64 / 2 }, // scf_cache_allocate
    { pmu: label, event: '0xf3', rate: writeBps / 64 / 3 }, // scf_cache_wb
    { pmu: label, event: '0x1d', rate: 1.5e9 }, // bus_cycles
  ];
}

/** MCF traffic (PCIe, C2C, CNVLink): bytes per second per port for reads and writes. */
function mcfStreams(label: string, readPorts: number[], writePorts: number[], loc: boolean): StreamSpec[] {
  const sfx = loc ? 0 : 1;
  const total = readPorts.map((r, i) => r + (writePorts[i] ?? 0));
  return [
    { pmu: label, event: 0x0 + sfx, ports: readPorts }, // rd_bytes_*
    { pmu: label, event: 0x2 + sfx, ports: writePorts }, // wr_bytes_*
    { pmu: label, event: 0x4 + sfx, ports: total }, // total_bytes_*
    { pmu: label, event: 0x6 + sfx, ports: readPorts.map((b) => b / 64) }, // rd_req_*
    { pmu: label, event: 0x8 + sfx, ports: writePorts.map((b) => b / 64) }, // wr_req_*
    { pmu: label, event: 0xa + sfx, ports: total.map((b) => b / 64) }, // total_req_*
    { pmu: label, event: 0xc + sfx, ports: readPorts.map((b) => (b / 64) * 30) }, // rd_cum_outs_*
  ];
}

function gracePhase(name: string, read: number, write: number): { name: string; durationNs: number; streams: StreamSpec[] } {
  const streams: StreamSpec[] = [];
  for (const s of [0, 1]) {
    const k = s === 0 ? 1 : 0.5;
    streams.push(...scfStreams(`scf${s}`, read * k, write * k, 50 * GB * k));
    // Ten PCIe root ports: traffic on ports 0, 2 and 9.
    const pcieRd = [4, 0, 8, 0, 0, 0, 0, 0, 0, 2].map((g) => g * GB * k);
    const pcieWr = [2, 0, 3, 0, 0, 0, 0, 0, 0, 1].map((g) => g * GB * k);
    streams.push(...mcfStreams(`pcie${s}`, pcieRd, pcieWr, true));
    streams.push(...mcfStreams(`nvlink_c2c0_${s}`, [120 * GB * k, 100 * GB * k], [80 * GB * k, 60 * GB * k], true));
    streams.push(...mcfStreams(`nvlink_c2c1_${s}`, [30 * GB * k, 20 * GB * k], [10 * GB * k, 10 * GB * k], true));
    streams.push(...mcfStreams(`cnvlink${s}`, [10 * GB * k, 5 * GB * k, 0, 0], [4 * GB * k, 2 * GB * k, 0, 0], false));
  }
  return { name, durationNs: 5_000_000, streams };
}

export const GRACE_STREAM_WORKLOAD: WorkloadSpec = {
  name: 'grace-stream',
  description: 'STREAM-like memory traffic: 5 ms read-heavy (200 GB/s reads on socket 0), then 5 ms write-heavy, repeating; socket 1 runs at half the rate',
  repeat: true,
  phases: [gracePhase('read-heavy', 200 * GB, 20 * GB), gracePhase('write-heavy', 40 * GB, 150 * GB)],
};

// ---------------------------------------------------------------- AmpereOne

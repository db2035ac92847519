// The built-in AmpereOne-like and Arm generic machines with their workloads, and lookup of built-in platforms and workloads by name.
import { kerr } from '@cspmu/kernel';
import { GRACE_PLATFORM, GRACE_STREAM_WORKLOAD } from './builtins-grace.js';
import type { PlatformSpec, PmuDeviceSpec } from './platform.js';
import { IDLE_WORKLOAD, type StreamSpec, type WorkloadSpec } from './workload.js';

const hex = (n: number) => `0x${n.toString(16)}`;

// ---------------------------------------------------------------- Grace

export const AMPERE_PLATFORM: PlatformSpec = {
  name: 'ampereone',
  description: 'An AmpereOne-like machine: 192 cores and 8 MCU (memory controller) PMUs, implementer 0xA16',
  cpus: { sockets: 1, coresPerSocket: 192 },
  pmus: Array.from(
    { length: 8 },
    (_, i): PmuDeviceSpec => ({
      label: `mcu${i}`,
      id: i,
      type: 'mc',
      instPrimary: 0,
      implementer: '0xa16',
      product: '0x1',
      counters: 11,
      counterBits: 64,
      cycleCounter: true,
      dualPage: false,
      atomic64: true,
      clockHz: 1.6e9,
      base0: hex(0x1_0000_0000 + i * 0x10000),
      irq: { gsi: 0x300 + i, trigger: 'level' },
      affinity: { container: 0 },
    }),
  ),
  workload: 'ampere-dram',
};

/** PMAUXR0-2 (PMIMPDEF words 0-2), as ampere_cspmu programs them: threshold, rank bitmap, bank bitmap. */
const THRESHOLD = 'impdef0:0-7';
const RANK = 'impdef1:0-15';
const BANK = 'impdef2';

/**
 * A DRAM command stream split over ranks and banks: rank bitmap bit i
 * selects rank i, bank bitmap bit j bank j, and a bitmap of 0 means every
 * rank (bank). `rankShares` and `bankShares` each add up to 1.
 */
export function rankBankStreams(event: number, perSecond: number, rankShares: readonly number[], bankShares: readonly number[]): StreamSpec[] {
  const anyOf = (field: string, bit: number) => ({ field, anyBit: 2 ** bit });
  const none = (field: string) => ({ field, equals: 0 });
  const out: StreamSpec[] = [{ pmu: 'mcu*', event, rate: perSecond, when: [none(RANK), none(BANK)] }];
  rankShares.forEach((r, i) => {
    out.push({ pmu: 'mcu*', event, rate: perSecond * r, when: [anyOf(RANK, i), none(BANK)] });
  });
  bankShares.forEach((b, j) => {
    out.push({ pmu: 'mcu*', event, rate: perSecond * b, when: [none(RANK), anyOf(BANK, j)] });
    rankShares.forEach((r, i) => {
      out.push({ pmu: 'mcu*', event, rate: perSecond * r * b, when: [anyOf(RANK, i), anyOf(BANK, j)] });
    });
  });
  return out;
}

/** A queue-threshold event: `atZero` cycles per second with anything queued, a tenth fewer per step of threshold, none from 10 up. */
function thresholdRates(atZero: number): NonNullable<StreamSpec['values']> {
  return { field: THRESHOLD, rates: Object.fromEntries(Array.from({ length: 10 }, (_, t) => [t, (atZero * (10 - t)) / 10])) };
}

/** Two ranks (60/40) and eight banks (even) carry the traffic. */
const RANKS = [0.6, 0.4];
const BANKS = Array.from({ length: 8 }, () => 1 / 8);

export const AMPERE_DRAM_WORKLOAD: WorkloadSpec = {
  name: 'ampere-dram',
  description:
    'Steady DRAM traffic on every memory controller. DRAM commands split over two ranks (60/40) and eight banks by the rank and bank filters (PMAUXR1/2, 0 = all); the queue-threshold events count cycles with more entries than the threshold (PMAUXR0)',
  phases: [
    {
      durationNs: 10_000_000,
      streams: [
        { pmu: 'mcu*', event: 0x00, rate: 1.6e9 }, // cycle_count
        ...rankBankStreams(0x01, 2e8, RANKS, BANKS), // act_sent
        ...rankBankStreams(0x02, 1.9e8, RANKS, BANKS), // pre_sent
        ...rankBankStreams(0x03, 8e8, RANKS, BANKS), // rd_sent
        ...rankBankStreams(0x05, 4e8, RANKS, BANKS), // wr_sent
        { pmu: 'mcu*', event: 0x0b, rate: 1e6 }, // ref_sent
        { pmu: 'mcu*', event: 0x32, rate: 8e8 }, // read_data_return
        // queue_fill_gt_thresh, queue_rds_gt_thresh, queue_wrs_gt_thresh: cycles with more than `threshold` entries queued.
        { pmu: 'mcu*', event: 0x27, values: thresholdRates(1.5e9) },
        { pmu: 'mcu*', event: 0x28, values: thresholdRates(1.2e9) },
        { pmu: 'mcu*', event: 0x29, values: thresholdRates(8e8) },
      ],
    },
  ],
};

// ---------------------------------------------------------------- Arm generic

export const ARM_GENERIC_PLATFORM: PlatformSpec = {
  name: 'arm-generic',
  description: 'An Arm-implemented system (JEP106 0x43B) with one PMU of each APMT type; the SMMU PMU reads PMIIDR as 0',
  cpus: { sockets: 1, coresPerSocket: 8 },
  pmus: [
    {
      label: 'mc0',
      id: 0,
      type: 'mc',
      instPrimary: 0,
      implementer: '0x43b',
      product: '0x5a0',
      counters: 8,
      counterBits: 32,
      cycleCounter: true,
      dualPage: false,
      atomic64: false,
      clockHz: 1e9,
      base0: '0x50000000',
      irq: { gsi: 0x100, trigger: 'level' },
      affinity: { container: 0 },
    },
    {
      label: 'smmu0',
      id: 1,
      type: 'smmu',
      instPrimary: '0x100',
      implementer: '0x43b',
      product: '0x5a1',
      variant: 1,
      revision: 2,
      pmiidrZero: true,
      counters: 4,
      counterBits: 32,
      cycleCounter: false,
      dualPage: false,
      atomic64: false,
      clockHz: 1e9,
      base0: '0x50010000',
      affinity: { processor: 0 },
    },
    {
      label: 'pcie0',
      id: 2,
      type: 'pcie',
      instPrimary: 0,
      implementer: '0x43b',
      product: '0x5a2',
      counters: 40,
      counterBits: 64,
      cycleCounter: true,
      dualPage: true,
      atomic64: false,
      clockHz: 1e9,
      base0: '0x50020000',
      base1: '0x50021000',
      irq: { gsi: 0x102, trigger: 'edge' },
      affinity: { container: 0 },
    },
    {
      label: 'acpi0',
      id: 3,
      type: 'acpi',
      instPrimary: 'ARMHC500',
      instSecondary: 7,
      implementer: '0x43b',
      product: '0x5a3',
      counters: 6,
      counterBits: 64,
      cycleCounter: true,
      dualPage: false,
      atomic64: true,
      clockHz: 1e9,
      base0: '0x50030000',
      irq: { gsi: 0x103, trigger: 'level' },
      affinity: { container: 0 },
    },
    {
      label: 'cache0',
      id: 4,
      type: 'cache',
      instSecondary: 3,
      implementer: '0x43b',
      product: '0x5a4',
      counters: 6,
      counterBits: 48,
      cycleCounter: true,
      dualPage: false,
      atomic64: true,
      fzo: true,
      clockHz: 2e9,
      base0: '0x50040000',
      irq: { gsi: 0x104, trigger: 'level' },
      affinity: { container: 0 },
    },
  ],
  workload: 'arm-generic-basic',
};

export const ARM_GENERIC_WORKLOAD: WorkloadSpec = {
  name: 'arm-generic-basic',
  description: 'Events 0x1-0x4 on every PMU at fixed rates',
  phases: [
    {
      durationNs: 1_000_000,
      streams: [
        { pmu: '*', event: 0x1, rate: 1e9 },
        { pmu: '*', event: 0x2, rate: 2.5e8 },
        { pmu: '*', event: 0x3, rate: 3.3e7 },
        { pmu: 'pcie0', event: 0x4, ports: [1e8, 2e8, 4e8, 8e8] },
      ],
    },
  ],
};

export const BUILTIN_PLATFORMS: Readonly<Record<string, PlatformSpec>> = {
  grace: GRACE_PLATFORM,
  ampereone: AMPERE_PLATFORM,
  'arm-generic': ARM_GENERIC_PLATFORM,
};

export const BUILTIN_WORKLOADS: Readonly<Record<string, WorkloadSpec>> = {
  idle: IDLE_WORKLOAD,
  'grace-stream': GRACE_STREAM_WORKLOAD,
  'ampere-dram': AMPERE_DRAM_WORKLOAD,
  'arm-generic-basic': ARM_GENERIC_WORKLOAD,
};

function closest(name: string, names: string[]): string {
  if (typeof name !== 'string') return '';
  const close = names.filter((n) => n.startsWith(name.slice(0, 3)) || name.startsWith(n.slice(0, 3)));
  return close.length ? ` (did you mean ${close.join(' or ')}?)` : '';
}

export function builtinPlatform(name: string): PlatformSpec {
  const p = typeof name === 'string' && Object.hasOwn(BUILTIN_PLATFORMS, name) ? BUILTIN_PLATFORMS[name] : undefined;
  if (!p)
    throw kerr(
      'ENOENT',
      `no built-in platform '${name}'${closest(name, Object.keys(BUILTIN_PLATFORMS))}; built-in: ${Object.keys(BUILTIN_PLATFORMS).join(', ')}`,
    );
  return p;
}

export function builtinWorkload(name: string): WorkloadSpec {
  const w = typeof name === 'string' && Object.hasOwn(BUILTIN_WORKLOADS, name) ? BUILTIN_WORKLOADS[name] : undefined;
  if (!w)
    throw kerr(
      'ENOENT',
      `no built-in workload '${name}'${closest(name, Object.keys(BUILTIN_WORKLOADS))}; built-in: ${Object.keys(BUILTIN_WORKLOADS).join(', ')}`,
    );
  return w;
}

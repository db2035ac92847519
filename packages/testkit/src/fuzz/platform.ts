// The fuzz machine: three small PMUs whose counters all count one event per nanosecond.
import type { PlatformSpec, WorkloadSpec } from '@cspmu/hw';

/**
 * A small machine where every counter counts exactly one per nanosecond
 * (cycles at 1 GHz, event 0x1 at 1e9/s), so an event's count must equal its
 * running time: a 32-bit PMU with an IRQ (overflows every ~2.1 s), a 64-bit
 * PMU without single-copy 64-bit access (read hi-lo-hi, and its reads take
 * bus time, so a 64-bit read can tear), and an Arm PMU with one event counter.
 */
export const FUZZ_WORKLOAD: WorkloadSpec = { name: 'fuzz', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 1, rate: 1e9 }] }] };

/**
 * The fuzz machine's rotation interval (the kernel's default is 4 ms): long
 * enough that seconds-long advances stay cheap, short enough that most
 * advances rotate a multiplexing PMU.
 */
export const FUZZ_MUX_INTERVAL_MS = 100;

/** The label of the fuzz machine's 64-bit PMU whose counters can tear. */
export const FUZZ_TEARING_PMU = 'p64';

/** The fuzz platform with `latencyNs` of bus time per back-to-back access to the non-atomic 64-bit PMU. */
export function fuzzPlatform(latencyNs = 0): PlatformSpec {
  return {
    name: 'fuzz',
    cpus: { sockets: 2, coresPerSocket: 2 },
    workload: FUZZ_WORKLOAD,
    pmus: [
      {
        label: 'p32',
        id: 0,
        type: 'cache',
        instSecondary: 0,
        implementer: '0x36b',
        product: '0x2cf',
        counters: 4,
        counterBits: 32,
        cycleCounter: true,
        dualPage: false,
        atomic64: false,
        clockHz: 1e9,
        base0: '0x70000000',
        irq: { gsi: 0x400, trigger: 'level' },
        affinity: { container: 0 },
      },
      {
        label: FUZZ_TEARING_PMU,
        id: 1,
        type: 'cache',
        instSecondary: 1,
        implementer: '0x36b',
        product: '0x2cf',
        counters: 3,
        counterBits: 64,
        cycleCounter: true,
        dualPage: true,
        atomic64: false,
        clockHz: 1e9,
        base0: '0x70010000',
        base1: '0x70011000',
        irq: { gsi: 0x401, trigger: 'level' },
        affinity: { container: 1 },
        accessLatencyNs: latencyNs,
      },
      {
        label: 'arm',
        id: 2,
        type: 'mc',
        instPrimary: 0,
        implementer: '0x43b',
        product: '0x5a0',
        counters: 2,
        counterBits: 64,
        cycleCounter: true,
        dualPage: false,
        atomic64: true,
        clockHz: 1e9,
        base0: '0x70020000',
        affinity: { container: 0 },
      },
    ],
  };
}

export const FUZZ_PLATFORM: PlatformSpec = fuzzPlatform(0);

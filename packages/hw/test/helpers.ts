// Test helpers for the PMU model: a default model configuration, and a lone device on a bus with its IRQ deliveries recorded.
import { createKernel, IRQ_HANDLED, type ManualClock } from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { apmtNodesOf, buildApmt, CspmuModel, type CspmuModelConfig, GRACE_PLATFORM, loadPlatform, REG, Workload, type WorkloadSpec } from '../src/index.js';

export const BASE0 = 0x40000000;
export const BASE1 = 0x40001000;

export function modelConfig(over: Partial<CspmuModelConfig> = {}): CspmuModelConfig {
  return {
    label: 'pmu0',
    counters: 5,
    counterBits: 32,
    cycleCounter: true,
    dualPage: false,
    atomic64: false,
    ext64: false,
    fzo: false,
    implementer: 0x43b,
    product: 0x5a0,
    variant: 1,
    revision: 2,
    pmiidrZero: false,
    clockHz: 1e9,
    accessLatencyNs: 0,
    ...over,
  };
}

/** A lone PMU device on a bus, driven only through MMIO; IRQ deliveries are recorded with their virtual time. */
export function rig(over: Partial<CspmuModelConfig> = {}, workload?: WorkloadSpec | Workload) {
  const { kernel } = createKernel();
  const clock = kernel.clock as ManualClock;
  const bus = new MmioBus(kernel);
  const irq = kernel.irqs.registerLine(100, 'level');
  const wl =
    workload instanceof Workload
      ? workload
      : new Workload(workload ?? { name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] }] });
  const cfg = modelConfig(over);
  const dev = new CspmuModel(cfg, { clock, workload: wl, irqs: kernel.irqs, irq });
  dev.attach(bus.map, cfg.label, BASE0, cfg.dualPage ? BASE1 : undefined);
  const io0 = bus.ioremap(BASE0, 0x1000, 'pmu0');
  const io1 = cfg.dualPage ? bus.ioremap(BASE1, 0x1000, 'pmu0.1') : io0;
  const irqTimes: number[] = [];
  return {
    kernel,
    clock,
    bus,
    dev,
    io0,
    io1,
    irq,
    irqTimes,
    handleIrqs: (fn?: () => void) =>
      kernel.irqs.request(
        irq,
        () => {
          irqTimes.push(clock.now());
          fn?.();
          return IRQ_HANDLED;
        },
        'test',
      ),
  };
}

export { REG };

/** The APMT firmware would publish for the Grace built-in platform. */
export function graceApmt(): Uint8Array {
  return buildApmt(apmtNodesOf(loadPlatform(GRACE_PLATFORM)));
}

/** Set the header checksum so the table's bytes sum to 0 again (after a test changed some). */
export function fixChecksum(b: Uint8Array): Uint8Array {
  b[9] = 0;
  let sum = 0;
  for (const x of b) sum = (sum + x) & 0xff;
  b[9] = (0x100 - sum) & 0xff;
  return b;
}

/** One slice of a counter's run, as the model's replay service is given it. */
export type ReplayWindow = { counter: number; start: number; end: number };
/** The model's replay service: the cycles a rotation's runs can be repeated in closed form, and each counter's total, or undefined. */
export type Replay = (w: ReplayWindow[], active: number[], period: number, max: number) => { cycles: number; totals: number[] } | undefined;

/** The replay of `r`'s first device, called through its service. */
export function replayOf(r: ReturnType<typeof rig>): Replay {
  const service = r.dev.page0.service as { replay: Replay };
  return (w, active, period, max) => service.replay(w, active, period, max);
}

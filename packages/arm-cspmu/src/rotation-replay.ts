// Multiplexing in closed form for one instance: the device sums each window's copies, the driver folds them into the events.
import type { RotationReplay } from '@cspmu/perf';
import type { ArmCspmu } from './instance.js';

/** The device model's side (offered through the bus as an emulator service). */
interface CounterWindowService {
  replay(
    windows: readonly { counter: number; start: number; end: number }[],
    active: readonly number[],
    period: number,
    maxCycles: number,
  ): { cycles: number; totals: readonly number[] } | undefined;
}

/**
 * Apply `plan`'s cycles if the device can sum them exactly; refused while
 * anything watches MMIO (a kmmio observer or an rwmmio tracepoint: both make
 * the bus observed) or call sites, which must see every access and call. No
 * other tracepoint records anything in a rotation. A released instance's
 * mappings are gone before it is freed, so it reaches no device, and a
 * group's software member has no counter, which the device refuses. Each
 * window's count is what arm_cspmu_event_update would have folded at each
 * of its copies' ends: the device checked that no copy wraps, so the delta
 * from the preload is the count itself.
 */
export function replayRotations(inst: ArmCspmu, plan: RotationReplay): number {
  if (inst.base0.observed || inst.kernel.callSites.anyAttached()) return 0;
  const service = inst.base0.deviceService() as Partial<CounterWindowService> | undefined;
  if (typeof service?.replay !== 'function') return 0;
  const windows = plan.windows.map((w) => ({ counter: w.idx, start: w.start, end: w.end }));
  const active = plan.active.map((e) => e.hw.idx);
  const r = service.replay(windows, active, plan.period, plan.maxCycles);
  if (r === undefined) return 0;
  for (let i = 0; i < plan.windows.length; i++) plan.windows[i]!.event.count += r.totals[i]!;
  return r.cycles;
}

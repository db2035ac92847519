// Overflow storms run two ways, for comparing a closed form with delivering every interrupt.
import type { PlatformSpec } from '@cspmu/hw';
import { Machine } from '@cspmu/system';

/**
 * Everything an overflow storm changes, after each slice of `slices` (ns): counts, counter values,
 * overflow and interrupt statistics, and the clock's work. Counters open `openAt` ns after boot.
 */
export async function runStorm(platform: PlatformSpec, slices: readonly number[], stepwise: boolean, openAt = 0) {
  const m = await Machine.boot({ platform, installed: [] });
  // An enabled tracepoint must see every interrupt's accesses, so the driver refuses closed forms.
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  m.advance(openAt);
  const evs = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
  const mark = m.kernel.clock.work.steps;
  const counts: number[][] = [];
  for (const ns of slices) {
    m.advance(ns);
    counts.push(evs.map((e) => m.perf.read(e).value));
  }
  const devices = m.platform.pmus.map((d) => m.hardware.device(d.label));
  const result = {
    counts,
    overflows: devices.map((d) => d.overflows),
    values: devices.map((d) => d.counterValue(31)),
    irqs: m.platform.pmus.map((d) => ({ ...m.kernel.irqs.stats(d.irq!.gsi) })),
    work: m.kernel.clock.work.steps - mark,
  };
  await m.shutdown();
  return result;
}

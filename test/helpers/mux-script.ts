// A multiplexing script on one 4-counter PMU, run once in closed form and once stepped (a tracepoint refuses every closed form), for tests to compare.
import type { PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { onePmu } from './platforms.js';

/**
 * Move the clock to an absolute time, change an event (by its index in open order), take a CPU down or up (the PMU's
 * events leave a CPU going down), or open one more group (its events take the next indices), at the current time.
 */
export type MuxStep =
  | { readonly to: number }
  | { readonly op: 'close' | 'disable' | 'enable'; readonly event: number }
  | { readonly cpu: number; readonly online: boolean }
  | { readonly open: readonly string[] };

export interface MuxScript {
  /** Groups of events on the PMU 'w' (arm-generic-basic's: 0x1 at 1 GHz, 0x2 at 250 MHz, 0x3 at 33 MHz), as `event=0x1/` or `event=0x2/D`. */
  readonly groups: readonly (readonly string[])[];
  readonly intervalMs: number;
  readonly steps: readonly MuxStep[];
}

/** After each step, every open event as `index: value / time enabled / time running`. */
export interface MuxOutcome {
  readonly reads: readonly (readonly string[])[];
  readonly work: number;
}

export async function runMuxScript(s: MuxScript, stepwise: boolean): Promise<MuxOutcome> {
  const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  const w = m.driver.bindings()[0]!.pmu;
  const openGroup = (g: readonly string[]) => m.open(`{${g.map((e) => `${w}/${e}`).join(',')}}`);
  const evs: PerfEvent[] = s.groups.flatMap(openGroup);
  m.perf.setMuxInterval(evs[0]!.pmu, s.intervalMs);
  const open = new Set(evs);
  const closing: Promise<void>[] = [];
  const reads: string[][] = [];
  const mark = m.kernel.clock.work.steps;
  for (const step of s.steps) {
    if ('to' in step) m.advance(step.to - m.kernel.clock.now());
    else if ('cpu' in step) {
      if (step.online) m.kernel.cpus.cpuUp(step.cpu);
      else m.kernel.cpus.cpuDown(step.cpu);
    } else if ('open' in step) {
      for (const e of openGroup(step.open)) {
        evs.push(e);
        open.add(e);
      }
    } else {
      const e = evs[step.event]!;
      if (step.op === 'close') {
        open.delete(e);
        closing.push(m.perf.close(e));
      } else m.perf[step.op](e);
    }
    reads.push(
      evs.flatMap((e, i) => {
        if (!open.has(e)) return [];
        const r = m.perf.read(e);
        return [`${i}: ${r.value} / ${r.timeEnabled} / ${r.timeRunning}`];
      }),
    );
  }
  const work = m.kernel.clock.work.since(mark);
  await Promise.all(closing);
  await m.shutdown();
  return { reads, work };
}

// The emulated hardware of one machine: a PMU model per platform device, mapped on the bus with its interrupt line, built whole or not at all.
import { type Clock, describeValue, type IrqController, kerr } from '@cspmu/kernel';
import type { AddressMap } from '@cspmu/mmio';
import { builtinWorkload } from './builtins.js';
import { CspmuLayouts } from './cspmu-layouts.js';
import { CspmuModel } from './cspmu-model.js';
import type { Platform } from './platform.js';
import { Workload, type WorkloadSpec } from './workload.js';

export interface HardwareDeps {
  readonly clock: Clock;
  readonly irqs: IrqController;
  readonly map: AddressMap;
}

/** Resolve a workload given by name (built-in) or as a description. */
export function loadWorkload(w: string | WorkloadSpec): Workload {
  return new Workload(typeof w === 'string' ? builtinWorkload(w) : w);
}

/**
 * The layouts every machine of this process shares: a test or a fuzz run
 * boots thousands of machines of a few kinds of device, and compiling a
 * kind's layouts was a tenth of what a boot allocated. Bounded, because a
 * property test boots machines of ever new kinds.
 */
export const SHARED_LAYOUTS = new CspmuLayouts(64);

/**
 * The emulated hardware of one machine: a CoreSight PMU model per platform
 * device, its pages on the address map and its interrupt line registered
 * as firmware would. Built whole or not at all.
 */
export class Hardware {
  readonly devices = new Map<string, CspmuModel>();
  readonly byId = new Map<number, CspmuModel>();

  constructor(
    readonly platform: Platform,
    readonly workload: Workload,
    deps: HardwareDeps,
  ) {
    const mapped: (() => void)[] = [];
    try {
      for (const d of platform.pmus) {
        const irq = d.irq ? deps.irqs.registerLine(d.irq.gsi, d.irq.trigger) : undefined;
        const dev = new CspmuModel(d, { clock: deps.clock, workload, irqs: deps.irqs, layouts: SHARED_LAYOUTS, ...(irq !== undefined ? { irq } : {}) });
        const regions = dev.attach(deps.map, `${d.label}`, d.base0, d.dualPage ? d.base1 : undefined);
        mapped.push(() => {
          for (const r of regions) deps.map.unmap(r);
        });
        this.devices.set(d.label, dev);
        this.byId.set(d.id, dev);
      }
    } catch (e) {
      for (const undo of mapped.reverse()) undo();
      for (const dev of this.devices.values()) dev.shutdown();
      throw e;
    }
  }

  device(label: string): CspmuModel {
    const d = this.devices.get(label);
    if (!d) throw kerr('ENOENT', `no PMU device ${describeValue(label)} on platform '${this.platform.name}'`);
    return d;
  }

  shutdown(): void {
    for (const d of this.devices.values()) d.shutdown();
  }
}

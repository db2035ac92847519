import type { CallSite, CallSites } from '@cspmu/kernel';
import type { PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';

/** The perf core's call sites into PMUs, each patchable on its own. */
export class PmuCallSites {
  readonly eventInit: CallSite;
  readonly add: CallSite;
  readonly del: CallSite;
  readonly start: CallSite;
  readonly stop: CallSite;
  readonly read: CallSite;
  readonly enable: CallSite;
  readonly disable: CallSite;

  constructor(
    readonly sites: CallSites,
    nameOf: (pmu: Pmu) => string,
  ) {
    const d = (pmu: unknown, e: unknown): [string, number] => [nameOf(pmu as Pmu), (e as PerfEvent | undefined)?.id ?? -1];
    this.eventInit = sites.site('pmu->event_init', d);
    this.add = sites.site('pmu->add', d);
    this.del = sites.site('pmu->del', d);
    this.start = sites.site('pmu->start', d);
    this.stop = sites.site('pmu->stop', d);
    this.read = sites.site('pmu->read', d);
    this.enable = sites.site('pmu->pmu_enable', d);
    this.disable = sites.site('pmu->pmu_disable', d);
  }

  /** Call `pmu.add`, through the site's tracers if it is patched. */
  add_(pmu: Pmu, e: PerfEvent, flags: number): number {
    return this.add.ops === null ? pmu.add(e, flags) : this.sites.call(this.add, pmu, pmu.add, e, flags);
  }

  del_(pmu: Pmu, e: PerfEvent, flags: number): void {
    if (this.del.ops === null) pmu.del(e, flags);
    else this.sites.call(this.del, pmu, pmu.del, e, flags);
  }

  read_(pmu: Pmu, e: PerfEvent): void {
    if (this.read.ops === null) pmu.read(e);
    else this.sites.call(this.read, pmu, pmu.read, e);
  }

  eventInit_(pmu: Pmu, e: PerfEvent): void {
    if (this.eventInit.ops === null) pmu.eventInit(e);
    else this.sites.call(this.eventInit, pmu, pmu.eventInit, e);
  }

  enable_(pmu: Pmu): void {
    if (this.enable.ops === null) pmu.pmuEnable();
    else this.sites.call(this.enable, pmu, pmu.pmuEnable, undefined);
  }

  disable_(pmu: Pmu): void {
    if (this.disable.ops === null) pmu.pmuDisable();
    else this.sites.call(this.disable, pmu, pmu.pmuDisable, undefined);
  }
}

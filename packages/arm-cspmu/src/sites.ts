import type { CallSite, CallSites } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import type { CspmuInstance, EventAttrSpec, FormatAttrSpec } from './backend-api.js';
import type { ArmCspmu } from './instance.js';

/** The driver's call sites into backend ops, each patchable on its own. */
export class BackendCallSites {
  private readonly s: Record<string, CallSite> = {};

  constructor(readonly sites: CallSites) {
    const d = (_ops: unknown, inst: unknown, e: unknown): [string, number] => {
      const i = inst as ArmCspmu;
      return [i.name || i.device, (e as PerfEvent | undefined)?.id ?? -1];
    };
    for (const op of ['set_ev_filter', 'set_cc_filter', 'reset_ev_filter', 'validate_event', 'event_type', 'is_cycle_counter_event', 'get_name', 'get_identifier', 'get_event_attrs', 'get_format_attrs']) {
      this.s[op] = sites.site(`cspmu->${op}`, d);
    }
  }

  private via<R>(op: string, inst: ArmCspmu, fn: (inst: CspmuInstance, e: PerfEvent) => R, e?: PerfEvent): R {
    const site = this.s[op]!;
    return site.ops === null ? fn.call(inst.ops, inst, e!) : this.sites.call(site, inst.ops, fn, inst, e);
  }

  setEvFilter(inst: ArmCspmu, e: PerfEvent): void {
    this.via('set_ev_filter', inst, inst.ops.setEvFilter, e);
  }
  setCcFilter(inst: ArmCspmu, e: PerfEvent): void {
    this.via('set_cc_filter', inst, inst.ops.setCcFilter, e);
  }
  resetEvFilter(inst: ArmCspmu, e: PerfEvent): void {
    this.via('reset_ev_filter', inst, inst.ops.resetEvFilter, e);
  }
  validateEvent(inst: ArmCspmu, e: PerfEvent): void {
    this.via('validate_event', inst, inst.ops.validateEvent, e);
  }
  eventType(inst: ArmCspmu, e: PerfEvent): number {
    return this.via('event_type', inst, inst.ops.eventType, e);
  }
  isCycleCounterEvent(inst: ArmCspmu, e: PerfEvent): boolean {
    return this.via('is_cycle_counter_event', inst, inst.ops.isCycleCounterEvent, e);
  }
  getName(inst: ArmCspmu): string {
    return this.via('get_name', inst, inst.ops.getName);
  }
  getIdentifier(inst: ArmCspmu): string {
    return this.via('get_identifier', inst, inst.ops.getIdentifier);
  }
  getEventAttrs(inst: ArmCspmu): readonly EventAttrSpec[] {
    return this.via('get_event_attrs', inst, inst.ops.getEventAttrs);
  }
  getFormatAttrs(inst: ArmCspmu): readonly FormatAttrSpec[] {
    return this.via('get_format_attrs', inst, inst.ops.getFormatAttrs);
  }
}

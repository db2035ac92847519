import { defineBackend, IMPL_ID_AMPERE, PMIMPDEF, type BackendDefinition, type CspmuInstance } from '@cspmu/arm-cspmu';
import { kerr, type PerfEvent } from './kernel-types.js';
import { MCU_EVENTS } from './events.js';

/** PMAUXR0..2 in the PMIMPDEF area of page 0. */
const PMAUXR0 = PMIMPDEF + 0x0;
const PMAUXR1 = PMIMPDEF + 0x4;
const PMAUXR2 = PMIMPDEF + 0x8;

interface Filter {
  readonly threshold: number;
  readonly rank: number;
  readonly bank: number;
}

/** threshold config1:0-7, rank config1:8-23, bank config1:24-55 */
export function filterOf(e: PerfEvent): Filter {
  const c = e.attr.config1;
  return { threshold: Number(c & 0xffn), rank: Number((c >> 8n) & 0xffffn), bank: Number((c >> 24n) & 0xffffffffn) };
}

const same = (a: Filter, b: Filter) => a.threshold === b.threshold && a.rank === b.rank && a.bank === b.bank;

/**
 * The AmpereOne MCU backend. Filters are per PMU instance, so every event
 * counting at once must carry the same threshold, rank and bank: mixing
 * them in one PMU is EINVAL. Names come from a per-machine counter that,
 * as upstream's IDA, never gives a number back.
 */
export function ampereBackend(): BackendDefinition {
  let next = 0;
  return defineBackend({
    name: 'ampere_cspmu',
    match: { implementer: IMPL_ID_AMPERE },
    init(inst: CspmuInstance) {
      const id = next++;
      return {
        getName: () => inst.uniqueName(`ampere_mcu_pmu_${id}`),
        getEventAttrs: () => MCU_EVENTS,
        getFormatAttrs: () => [
          { name: 'event', format: 'config:0-32' },
          { name: 'threshold', format: 'config1:0-7' },
          { name: 'rank', format: 'config1:8-23' },
          { name: 'bank', format: 'config1:24-55' },
        ],
        setEvFilter: (i, e) => {
          const f = filterOf(e);
          i.base0.writel(f.threshold, PMAUXR0);
          i.base0.writel(f.rank, PMAUXR1);
          i.base0.writel(f.bank, PMAUXR2);
        },
        // PMCCFILTR is RES0 on this PMU: nothing to program.
        setCcFilter: () => undefined,
        validateEvent: (i, e) => {
          const f = filterOf(e);
          if (e.leader !== e && !same(f, filterOf(e.leader))) {
            throw kerr('EINVAL', `${i.device}: threshold/rank/bank differ from the group leader's; the filters are per PMU`);
          }
          const firstRegular = i.usedCounters().find((idx) => !i.hasCycleCounter || idx < i.cycleCounterLogicalIdx);
          const other = firstRegular === undefined ? undefined : i.eventAt(firstRegular);
          if (other && !same(f, filterOf(other))) {
            throw kerr('EINVAL', `${i.device}: threshold/rank/bank differ from the event already counting; the filters are per PMU`);
          }
        },
      };
    },
  });
}

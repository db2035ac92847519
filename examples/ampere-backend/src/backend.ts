// The AmpereOne MCU backend's ops: threshold, rank and bank written to PMAUXR0-2, one filter per PMU instance.
import { type CspmuInstance, defineBackend, formatField, kerr, type PerfEvent, PMIMPDEF } from '@cspmu/arm-cspmu';
import { MCU_EVENTS } from './events.js';

/** Ampere's JEP106 implementer code (the claim in package.json says the same; the loader checks). */
export const AMPERE_IMPLEMENTER = 0xa16;

/** PMAUXR0..2 in the PMIMPDEF area of page 0. */
const PMAUXR0 = PMIMPDEF + 0x0;
const PMAUXR1 = PMIMPDEF + 0x4;
const PMAUXR2 = PMIMPDEF + 0x8;

const EVENT = formatField('event', 'config:0-32');
const THRESHOLD = formatField('threshold', 'config1:0-7');
const RANK = formatField('rank', 'config1:8-23');
const BANK = formatField('bank', 'config1:24-55');

interface Filter {
  readonly threshold: number;
  readonly rank: number;
  readonly bank: number;
}

/** The event's threshold, rank and bank, read through the same fields its format files list. */
export function filterOf(e: PerfEvent): Filter {
  return { threshold: Number(THRESHOLD.value(e)), rank: Number(RANK.value(e)), bank: Number(BANK.value(e)) };
}

const same = (a: Filter, b: Filter) => a.threshold === b.threshold && a.rank === b.rank && a.bank === b.bank;

/** The event on the lowest-numbered regular counter in use (the cycle counter is not regular), if any. */
function firstRegularEvent(i: CspmuInstance): PerfEvent | undefined {
  const idx = i.usedCounters().find((n) => !i.hasCycleCounter || n < i.cycleCounterLogicalIdx);
  return idx === undefined ? undefined : i.eventAt(idx);
}

/**
 * The AmpereOne MCU backend. Filters are per PMU instance, so every event
 * counting at once must carry the same threshold, rank and bank: mixing
 * them in one PMU is EINVAL. Names are `ampere_mcu_pmu_<n>`, n from an
 * index that, as upstream's IDA, never gives a number back while the module
 * is loaded. Linux 6.12 had the driver's intermediate version: it takes the
 * PMAUXR values from the event on the first regular counter in use rather
 * than from the event being started, and writes PMCCFILTR = 0 when the
 * cycle counter starts.
 */
export const ampereBackend = defineBackend({
  name: 'ampere_cspmu',
  match: { implementer: AMPERE_IMPLEMENTER },
  init(inst) {
    const id = inst.nameIndex('ampere_mcu_pmu');
    return {
      getName: () => inst.uniqueName(`ampere_mcu_pmu_${id}`),
      getEventAttrs: () => MCU_EVENTS,
      getFormatAttrs: () => [EVENT, THRESHOLD, RANK, BANK],
      setEvFilter: (i, e) => {
        const f = filterOf(i.kernelVersion === '6.12' ? (firstRegularEvent(i) ?? e) : e);
        i.base0.writel(f.threshold, PMAUXR0);
        i.base0.writel(f.rank, PMAUXR1);
        i.base0.writel(f.bank, PMAUXR2);
      },
      // PMCCFILTR is RES0 on this PMU: 7.3 programs nothing, 6.12 wrote 0.
      setCcFilter: (i) => {
        if (i.kernelVersion === '6.12') i.writeCcFilter(0);
      },
      validateEvent: (i, e) => {
        const f = filterOf(e);
        if (e.leader !== e && !same(f, filterOf(e.leader))) {
          throw kerr('EINVAL', `${i.device}: threshold/rank/bank differ from the group leader's; the filters are per PMU`);
        }
        const other = firstRegularEvent(i);
        if (other && !same(f, filterOf(other))) {
          throw kerr('EINVAL', `${i.device}: threshold/rank/bank differ from the event already counting; the filters are per PMU`);
        }
      },
    };
  },
});

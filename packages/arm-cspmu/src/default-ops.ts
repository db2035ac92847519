import { Ida } from '@cspmu/kernel';
import type { BackendOps, CspmuInstance, FormatAttrSpec } from './backend-api.js';
import { CYCLES_ATTR, GENERIC_FORMATS } from './generic.js';
import { APMT_TYPE_NAMES, CYCLES_EVENT, PMCCFILTR, PMEVFILT2R, PMEVFILTR } from './regs.js';

/**
 * The core's shared format files print the bits the event fields may use:
 * all 64 under FEAT_CSPMU_EXT64. A backend that lists one of them (by name
 * and default text) shows the same file.
 */
const EXT64_FORMATS: Readonly<Record<string, readonly [string, string]>> = {
  event: ['config:0-32', 'config:0-63'],
  filter: ['config1:0-31', 'config1:0-63'],
  filter2: ['config2:0-31', 'config2:0-63'],
};

export function sharedFormatText(inst: CspmuInstance, f: FormatAttrSpec): string {
  const shared = EXT64_FORMATS[f.name];
  return inst.ext64 && shared !== undefined && shared[0] === f.format ? shared[1] : f.format;
}

const low32 = (v: bigint) => Number(v & 0xffffffffn);
const high32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);

/** The default ops every backend starts from (the generic driver's behaviour). */
export function defaultOps(nameIndexes: Map<string, Ida>): Required<BackendOps> {
  return {
    getEventAttrs: () => [CYCLES_ATTR],
    getFormatAttrs: () => GENERIC_FORMATS,
    getIdentifier: (inst) => inst.pmiidr.toString(16),
    getName: (inst) => genericName(inst, nameIndexes),
    // FEAT_CSPMU_EXT64 drops the cycle test and the cycle filter: the generic driver never uses the cycle counter there.
    isCycleCounterEvent: (inst, e) => !inst.ext64 && e.attr.config === CYCLES_EVENT,
    eventType: (_inst, e) => e.attr.config,
    setCcFilter: (inst, e) => {
      if (!inst.ext64) inst.base0.writel(low32(e.attr.config1), PMCCFILTR);
    },
    setEvFilter: (inst, e) => {
      const i = e.hw.idx;
      if (inst.ext64) {
        inst.base0.writeqParts(low32(e.attr.config1), high32(e.attr.config1), PMEVFILTR + 8 * i);
        inst.base0.writeqParts(low32(e.attr.config2), high32(e.attr.config2), PMEVFILT2R + 8 * i);
      } else {
        inst.base0.writel(low32(e.attr.config1), PMEVFILTR + 4 * i);
        inst.base0.writel(low32(e.attr.config2), PMEVFILT2R + 4 * i);
      }
    },
    resetEvFilter: () => undefined,
    validateEvent: () => undefined,
    eventAttrIsVisible: (inst, attr, kind) => !(kind === 'events' && 'event' in attr && attr.event === CYCLES_EVENT && (!inst.hasCycleCounter || inst.ext64)),
  };
}

function hidOf(instPrimary: bigint): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    const b = Number((instPrimary >> BigInt(8 * i)) & 0xffn);
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

/**
 * The generic name: `arm_cspmu_<type>_<k>` with a per-type index that is
 * never given back (so names depend on probe history, as upstream), or
 * `arm_cspmu_acpi_<HID>_<UID>` for ACPI-type nodes; without an APMT node
 * `arm_cspmu_<n>`. Made unique if it is taken.
 */
export function genericName(inst: CspmuInstance, nameIndexes: Map<string, Ida>): string {
  const next = (key: string) => {
    let ida = nameIndexes.get(key);
    if (!ida) nameIndexes.set(key, (ida = new Ida()));
    return ida.alloc();
  };
  if (!inst.apmt) return inst.uniqueName(`arm_cspmu_${next('mc')}`);
  const type = APMT_TYPE_NAMES[inst.apmt.type];
  if (type === undefined) return '';
  if (type === 'acpi') return inst.uniqueName(`arm_cspmu_acpi_${hidOf(inst.apmt.instPrimary)}_${inst.apmt.instSecondary}`);
  return inst.uniqueName(`arm_cspmu_${type}_${next(type)}`);
}

/** Merge a backend's ops over the defaults. */
export function mergeOps(defaults: Required<BackendOps>, ops: BackendOps): Required<BackendOps> {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(ops)) if (typeof v === 'function') (out as Record<string, unknown>)[k] = v;
  return out;
}


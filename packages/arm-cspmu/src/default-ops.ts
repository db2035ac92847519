// The default backend ops (the generic driver's behaviour) every backend starts from, and the core's shared format files.
import { Ida } from '@cspmu/kernel';
import type { BackendOps, CspmuInstance, FormatAttrSpec } from './backend-api.js';
import { CYCLES_ATTR, GENERIC_FORMATS, GENERIC_FORMATS_6_12 } from './generic.js';
import type { DriverProfile } from './profile.js';
import * as regs from './regs.js';
import { APMT_TYPE_NAMES } from './regs.js';
import { u64High, u64Low } from './u64-words.js';

/** What the default per-event ops use on every open (local copies: see regs.ts). */
const { CYCLES_EVENT, PMCCFILTR, PMEVFILT2R, PMEVFILTR } = regs;

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

const low32 = u64Low;
const high32 = u64High;

/** The default ops every backend starts from (the generic driver's behaviour). */
export function defaultOps(nameIndexes: Map<string, Ida>, profile: Pick<DriverProfile, 'filter2' | 'namesFromApmt'>): Required<BackendOps> {
  return {
    getEventAttrs: () => [CYCLES_ATTR],
    getFormatAttrs: () => (profile.filter2 ? GENERIC_FORMATS : GENERIC_FORMATS_6_12),
    getIdentifier: (inst) => inst.pmiidr.toString(16),
    getName: (inst) => (profile.namesFromApmt ? genericName(inst, nameIndexes) : genericName612(inst, nameIndexes)),
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
        if (profile.filter2) inst.base0.writel(low32(e.attr.config2), PMEVFILT2R + 4 * i);
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
 * The generic name as Linux 7.3 builds it from the APMT node, so it does not
 * depend on probe order: `arm_cspmu_mc_<node id>`, `arm_cspmu_smmu_<n>` and
 * `arm_cspmu_pcie_<n>` with n the low 32 bits of inst_primary,
 * `arm_cspmu_cache_<inst_secondary>`, `arm_cspmu_acpi_<HID>_<UID>`; a device
 * without a node (DT) takes `arm_cspmu_<n>` from a counter of its own. Such
 * names can collide; the second probe then fails with EEXIST.
 */
export function genericName(inst: CspmuInstance, nameIndexes: Map<string, Ida>): string {
  if (!inst.apmt) return inst.uniqueName(`arm_cspmu_${next(nameIndexes, 'dt')}`);
  const a = inst.apmt;
  switch (APMT_TYPE_NAMES[a.type]) {
    case 'mc':
      return inst.uniqueName(`arm_cspmu_mc_${a.id >>> 0}`);
    case 'smmu':
    case 'pcie':
      return inst.uniqueName(`arm_cspmu_${APMT_TYPE_NAMES[a.type]}_${Number(a.instPrimary & 0xffffffffn)}`);
    case 'cache':
      return inst.uniqueName(`arm_cspmu_cache_${a.instSecondary >>> 0}`);
    case 'acpi':
      return inst.uniqueName(`arm_cspmu_acpi_${hidOf(a.instPrimary)}_${a.instSecondary}`);
    default:
      return '';
  }
}

/**
 * The generic name of Linux 6.12: `arm_cspmu_<type>_<k>` with one counter per
 * node type, taken when probe reaches naming and never given back (DT
 * devices share the mc counter), or `arm_cspmu_acpi_<HID>_<UID>`.
 */
export function genericName612(inst: CspmuInstance, nameIndexes: Map<string, Ida>): string {
  if (!inst.apmt) return inst.uniqueName(`arm_cspmu_${next(nameIndexes, 'mc')}`);
  const type = APMT_TYPE_NAMES[inst.apmt.type];
  if (type === undefined) return '';
  if (type === 'acpi') return inst.uniqueName(`arm_cspmu_acpi_${hidOf(inst.apmt.instPrimary)}_${inst.apmt.instSecondary}`);
  return inst.uniqueName(`arm_cspmu_${type}_${next(nameIndexes, type)}`);
}

/** The next index of a naming key, from an IDA that never gets it back. */
function next(nameIndexes: Map<string, Ida>, key: string): number {
  let ida = nameIndexes.get(key);
  if (!ida) nameIndexes.set(key, (ida = new Ida()));
  return ida.alloc();
}

/** Merge a backend's ops over the defaults. */
export function mergeOps(defaults: Required<BackendOps>, ops: BackendOps): Required<BackendOps> {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(ops)) if (typeof v === 'function') (out as Record<string, unknown>)[k] = v;
  return out;
}

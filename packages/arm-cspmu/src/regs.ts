/**
 * The CoreSight PMU registers the driver uses (its own header; drivers never see the device model).
 * Code that runs on every perf open and close takes module-local copies (`const { PMCNTENSET } = regs`):
 * V8 folds a module's own consts into optimised code, but reads an imported binding from its cell, with
 * a TDZ check, at every use, and then knows nothing of its value.
 */
export const PMEVCNTR_LO = 0x000;
export const PMEVCNTR_HI = 0x004;
export const PMEVTYPER = 0x400;
export const PMCCFILTR = 0x47c;
export const PMEVFILT2R = 0x800;
export const PMEVFILTR = 0xa00;
export const PMCNTENSET = 0xc00;
export const PMCNTENCLR = 0xc20;
/** FEAT_CSPMU_EXT64: the counter enables as a value (PMCNTENSET4 without the extension). */
export const PMCNTEN = 0xc10;
export const PMINTENSET = 0xc40;
export const PMINTENCLR = 0xc60;
export const PMOVSCLR = 0xc80;
export const PMOVSSET = 0xcc0;
export const PMIMPDEF = 0xd80;
export const PMCFGR = 0xe00;
export const PMCR = 0xe04;
export const PMIIDR = 0xe08;
/** PMCR under FEAT_CSPMU_EXT64. */
export const PMCR_EXT64 = 0xe10;
export const PMDEVARCH = 0xfbc;
export const PMPIDR0 = 0xfe0;
export const PMPIDR1 = 0xfe4;
export const PMPIDR2 = 0xfe8;
export const PMPIDR3 = 0xfec;
export const PMPIDR4 = 0xfd0;

export const PMCFGR_N = 0xff;
export const PMCFGR_SIZE_SHIFT = 8;
export const PMCFGR_SIZE = 0x3f;
export const PMCFGR_CC = 1 << 14;

export const PMCR_E = 1 << 0;
export const PMCR_P = 1 << 1;
export const PMCR_C = 1 << 2;

export const MAX_HW_CNTRS = 256;
/** Logical index meaning "no cycle counter". */
export const CYCLE_CNTR_IDX_NONE = MAX_HW_CNTRS;
export const CYCLE_CNTR_PHYS = 31;

/** The default cycles event: config bit 32. */
export const CYCLES_EVENT = 0x100000000n;

/** APMT node flags and types, as the driver reads them from platform data. */
export const APMT_FLAG_ATOMIC = 1 << 2;
export const APMT_FLAG_AFFINITY_CONTAINER = 1 << 1;
export const APMT_TYPE_NAMES = ['mc', 'smmu', 'pcie', 'acpi', 'cache'] as const;

/** JEP106 implementer codes of the backends we know. */
export const IMPL_ID_NVIDIA = 0x36b;
export const IMPL_ID_AMPERE = 0xa16;
export const IMPL_ID_ARM = 0x43b;

export const PMIIDR_IMPLEMENTER_MASK = 0xfff;
export const PMIIDR_PRODUCTID_MASK = 0xfff00000;
export const PMIIDR_VARIANT_MASK = 0x000f0000;
export const PMIIDR_REVISION_MASK = 0x0000f000;

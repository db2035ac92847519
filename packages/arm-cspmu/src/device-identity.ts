// Who made a device and which CPUs it serves, as probe works it out: PMIIDR (or the PMPIDRs, or the APMT impl_id) and the APMT affinity.
import type { Cpus } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import type { ApmtInfo } from './backend-api.js';
import { APMT_FLAG_AFFINITY_CONTAINER, PMIIDR, PMPIDR0, PMPIDR1, PMPIDR2, PMPIDR3, PMPIDR4 } from './regs.js';

/**
 * Who made the device and which CPUs it serves, as probe works it out:
 * PMIIDR, rebuilt from the PMPIDRs when it reads 0 (7.3; 6.12 leaves it 0), overridden by a non-zero
 * APMT impl_id; and the CPUs matching the APMT node's processor affinity.
 */
export function readPmiidr(base0: IoMem, apmt: ApmtInfo | undefined, pmpidrFallback = true): number {
  let v = base0.readl(PMIIDR);
  if (v === 0 && pmpidrFallback) {
    const p0 = base0.readl(PMPIDR0);
    const p1 = base0.readl(PMPIDR1);
    const p2 = base0.readl(PMPIDR2);
    const p3 = base0.readl(PMPIDR3);
    const p4 = base0.readl(PMPIDR4);
    const product = (p0 & 0xff) | ((p1 & 0xf) << 8);
    const implementer = ((p1 >> 4) & 0xf) | ((p2 & 0x7) << 4) | ((p4 & 0xf) << 8);
    v = ((product << 20) | (((p2 >> 4) & 0xf) << 16) | (((p3 >> 4) & 0xf) << 12) | implementer) >>> 0;
  }
  if (apmt && apmt.implId !== 0) v = apmt.implId >>> 0;
  return v >>> 0;
}

/** Every possible CPU without an APMT node; else the CPUs of its affinity container, or the one CPU of its ACPI UID. */
export function associatedCpus(cpus: Cpus, node: ApmtInfo | undefined): number[] {
  if (!node) return cpus.possible();
  if (node.flags & APMT_FLAG_AFFINITY_CONTAINER) return cpus.possible().filter((c) => cpus.containerUidOf(c) === node.procAffinity);
  const one = cpus.possible().find((c) => cpus.acpiUidOf(c) === node.procAffinity);
  return one === undefined ? [] : [one];
}

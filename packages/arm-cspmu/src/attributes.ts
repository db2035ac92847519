// The PMU's sysfs attribute groups: events/ and format/ from the backend's ops, and identifier, cpumask and associated_cpus read live.
import { formatCpuList } from '@cspmu/kernel';
import type { AttributeGroup, PmuAttribute } from '@cspmu/perf';
import { sharedFormatText } from './default-ops.js';
import type { ArmCspmu } from './instance.js';
import { type BackendCallSites, callOp } from './sites.js';

/**
 * The PMU's sysfs attribute groups: `events/` and `format/` from the
 * backend's ops (filtered by its is_visible), and `identifier`, `cpumask`
 * and `associated_cpus`, read live.
 */
export function buildAttrGroups(inst: ArmCspmu, sites: BackendCallSites): AttributeGroup[] {
  // Every show reads the instance (the strings live in it, as in the kernel's attribute structs).
  const attr = (name: string, show: () => string): PmuAttribute => ({
    name,
    show: () => {
      if (inst.shadow.freedBy !== null) inst.shadow.report(`arm_cspmu sysfs ${name}`);
      return show();
    },
  });
  const evAttrs: PmuAttribute[] = [];
  const visibleEvents = callOp(sites, 'getEventAttrs', inst).filter((a) => inst.ops.eventAttrIsVisible(inst, a, 'events'));
  for (const a of visibleEvents) {
    evAttrs.push(attr(a.name, () => `event=0x${a.event.toString(16)}${a.extraTerms ? `,${a.extraTerms}` : ''}\n`));
    // No kernel creates unit or scale files; they exist only under the 'units' proposal.
    if (!inst.profile.proposed.has('units')) continue;
    if (a.scale !== undefined) evAttrs.push(attr(`${a.name}.scale`, () => `${a.scale}\n`));
    if (a.unit !== undefined) evAttrs.push(attr(`${a.name}.unit`, () => `${a.unit}\n`));
  }
  const fmtAttrs = callOp(sites, 'getFormatAttrs', inst)
    .filter((f) => inst.ops.eventAttrIsVisible(inst, f, 'format'))
    .map((f) => attr(f.name, () => `${sharedFormatText(inst, f)}\n`));
  return [
    { name: 'events', attrs: evAttrs },
    { name: 'format', attrs: fmtAttrs },
    {
      attrs: [
        attr('identifier', () => `${inst.identifier}\n`),
        attr('cpumask', () => `${inst.activeCpu >= 0 ? formatCpuList([inst.activeCpu]) : ''}\n`),
        attr('associated_cpus', () => `${formatCpuList(inst.associatedCpus)}\n`),
      ],
    },
  ];
}

// The PMU's sysfs attribute groups: events/ and format/ from the backend's ops, and identifier, cpumask and associated_cpus read live.
import { formatCpuList } from '@cspmu/kernel';
import type { AttributeGroup, PmuAttribute } from '@cspmu/perf';
import type { EventAttrSpec, FormatAttrSpec } from './backend-api.js';
import { sharedFormatText } from './default-ops.js';
import type { ArmCspmu } from './instance.js';
import { type BackendCallSites, callOp } from './sites.js';

/**
 * The PMU's sysfs attribute groups: `events/` and `format/` from the
 * backend's ops (filtered by its is_visible), and `identifier`, `cpumask`
 * and `associated_cpus`, read live.
 */
export function buildAttrGroups(inst: ArmCspmu, sites: BackendCallSites): AttributeGroup[] {
  const evAttrs: PmuAttribute[] = [];
  const visibleEvents = callOp(sites, 'getEventAttrs', inst).filter((a) => inst.ops.eventAttrIsVisible(inst, a, 'events'));
  for (const a of visibleEvents) {
    evAttrs.push(new InstanceAttribute(inst, a.name, eventText, a));
    // No kernel creates unit or scale files; they exist only under the 'units' proposal.
    if (!inst.profile.proposed.has('units')) continue;
    if (a.scale !== undefined) evAttrs.push(new InstanceAttribute(inst, `${a.name}.scale`, scaleText, a));
    if (a.unit !== undefined) evAttrs.push(new InstanceAttribute(inst, `${a.name}.unit`, unitText, a));
  }
  const fmtAttrs = callOp(sites, 'getFormatAttrs', inst)
    .filter((f) => inst.ops.eventAttrIsVisible(inst, f, 'format'))
    .map((f) => new InstanceAttribute(inst, f.name, formatText, f));
  return [
    { name: 'events', attrs: evAttrs },
    { name: 'format', attrs: fmtAttrs },
    {
      attrs: [
        new InstanceAttribute(inst, 'identifier', identifierText, undefined),
        new InstanceAttribute(inst, 'cpumask', cpumaskText, undefined),
        new InstanceAttribute(inst, 'associated_cpus', associatedCpusText, undefined),
      ],
    },
  ];
}

// The files' texts, one function per kind of file, shared by every instance.
const eventText = (_inst: ArmCspmu, a: EventAttrSpec) => `event=0x${a.event.toString(16)}${a.extraTerms ? `,${a.extraTerms}` : ''}\n`;
const scaleText = (_inst: ArmCspmu, a: EventAttrSpec) => `${a.scale}\n`;
const unitText = (_inst: ArmCspmu, a: EventAttrSpec) => `${a.unit}\n`;
const formatText = (inst: ArmCspmu, f: FormatAttrSpec) => `${sharedFormatText(inst, f)}\n`;
const identifierText = (inst: ArmCspmu) => `${inst.identifier}\n`;
const cpumaskText = (inst: ArmCspmu) => `${inst.activeCpu >= 0 ? formatCpuList([inst.activeCpu]) : ''}\n`;
const associatedCpusText = (inst: ArmCspmu) => `${formatCpuList(inst.associatedCpus)}\n`;

/**
 * One sysfs file of an instance: its text is made from the instance when
 * read (the strings live in it, as in the kernel's attribute structs), so
 * a read through a released instance is reported. A class with a shared
 * text function, not closures: every bound device has these.
 */
class InstanceAttribute<S> implements PmuAttribute {
  constructor(
    private readonly inst: ArmCspmu,
    readonly name: string,
    private readonly text: (inst: ArmCspmu, spec: S) => string,
    private readonly spec: S,
  ) {}

  show(): string {
    const inst = this.inst;
    if (inst.shadow.freedBy !== null) inst.shadow.report(`arm_cspmu sysfs ${this.name}`);
    return this.text(inst, this.spec);
  }
}

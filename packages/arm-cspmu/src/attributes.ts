// The PMU's sysfs attribute groups: events/ and format/ from the backend's ops, and identifier, cpumask and associated_cpus read live.
import { formatCpuList } from '@cspmu/kernel';
import type { AttributeGroup, PmuAttribute } from '@cspmu/perf';
import type { EventAttrSpec } from './backend-api.js';
import type { CspmuDevice } from './cspmu-device.js';
import { sharedFormatText } from './default-ops.js';
import { type BackendCallSites, callOp } from './sites.js';

/**
 * The PMU's sysfs attribute groups: `events/` and `format/` from the
 * backend's ops (filtered by its is_visible), and `identifier`, `cpumask`
 * and `associated_cpus`, read live.
 */
export function buildAttrGroups(inst: CspmuDevice, sites: BackendCallSites): AttributeGroup[] {
  const evAttrs: PmuAttribute[] = [];
  const visibleEvents = callOp(sites, 'getEventAttrs', inst).filter((a) => inst.ops.eventAttrIsVisible(inst, a, 'events'));
  for (const a of visibleEvents) {
    evAttrs.push(specAttribute(EVENT_FILES, a.name, a, eventText));
    // No kernel creates unit or scale files; they exist only under the 'units' proposal.
    if (!inst.profile.proposed.has('units')) continue;
    if (a.scale !== undefined) evAttrs.push(specAttribute(SCALE_FILES, `${a.name}.scale`, a, scaleText));
    if (a.unit !== undefined) evAttrs.push(specAttribute(UNIT_FILES, `${a.name}.unit`, a, unitText));
  }
  const formats = inst.ext64 ? EXT64_FORMAT_FILES : FORMAT_FILES;
  // Pushed, as the events are, not map()ped: V8 11.3's map() gives a packed array until this is optimised and a holey
  // one after, which deoptimises the optimised code that walks the groups ("wrong map").
  const visibleFormats = callOp(sites, 'getFormatAttrs', inst).filter((f) => inst.ops.eventAttrIsVisible(inst, f, 'format'));
  const fmtAttrs: PmuAttribute[] = [];
  for (const f of visibleFormats) fmtAttrs.push(specAttribute(formats, f.name, f, (spec) => `${sharedFormatText(inst, spec)}\n`));
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

// The texts of events and format files depend on their spec alone (and the format on FEAT_CSPMU_EXT64, the same for every
// instance of one geometry): one file object per spec and kind serves every instance, as the kernel's static attributes do.
const EVENT_FILES = new WeakMap<object, SpecAttribute>();
const SCALE_FILES = new WeakMap<object, SpecAttribute>();
const UNIT_FILES = new WeakMap<object, SpecAttribute>();
const FORMAT_FILES = new WeakMap<object, SpecAttribute>();
const EXT64_FORMAT_FILES = new WeakMap<object, SpecAttribute>();

/** The shared file for `spec` in `files`, made (with its text) the first time an instance shows it. */
function specAttribute<S extends object>(files: WeakMap<object, SpecAttribute>, name: string, spec: S, text: (spec: S) => string): SpecAttribute {
  let a = files.get(spec);
  if (a === undefined || a.name !== name) files.set(spec, (a = new SpecAttribute(name, text(spec))));
  return a;
}

/** A file whose text is fixed by its spec. */
class SpecAttribute implements PmuAttribute {
  constructor(
    readonly name: string,
    private readonly text: string,
  ) {}

  show(): string {
    return this.text;
  }
}

// The files' texts, one function per kind of file.
const eventText = (a: EventAttrSpec) => `event=0x${a.event.toString(16)}${a.extraTerms ? `,${a.extraTerms}` : ''}\n`;
const scaleText = (a: EventAttrSpec) => `${a.scale}\n`;
const unitText = (a: EventAttrSpec) => `${a.unit}\n`;
const identifierText = (inst: CspmuDevice) => `${inst.identifier}\n`;
const cpumaskText = (inst: CspmuDevice) => `${inst.activeCpu >= 0 ? formatCpuList([inst.activeCpu]) : ''}\n`;
const associatedCpusText = (inst: CspmuDevice) => `${formatCpuList(inst.associatedCpus)}\n`;

/**
 * One sysfs file of an instance: its text is made from the instance when
 * read (the strings live in it, as in the kernel's attribute structs), so
 * a read through a released instance is reported. A class with a shared
 * text function, not closures: every bound device has these.
 */
class InstanceAttribute<S> implements PmuAttribute {
  constructor(
    private readonly inst: CspmuDevice,
    readonly name: string,
    private readonly text: (inst: CspmuDevice, spec: S) => string,
    private readonly spec: S,
  ) {}

  show(): string {
    const inst = this.inst;
    if (inst.shadow.freedBy !== null) inst.shadow.report(`arm_cspmu sysfs ${this.name}`);
    return this.text(inst, this.spec);
  }
}

// Platform descriptions: their schema, and loading one into checked devices, CPUs and APMT nodes.
import { type CpuTopology, type KernelVersion, kerr, listProblems } from '@cspmu/kernel';
import {
  APMT_FLAG_AFFINITY_CONTAINER,
  APMT_FLAG_ATOMIC,
  APMT_FLAG_DUAL_PAGE,
  APMT_IRQ_MODE_EDGE,
  APMT_NODE_TYPES,
  type ApmtNode,
  type ApmtNodeType,
  hidToInstPrimary,
} from './apmt.js';
import { type PmuCapOptions, pmuCap, RAISE_PMU_CAP } from './pmu-cap.js';
import { toNumber, validateOrThrow, validatePlatform } from './schema.js';
import type { WorkloadSpec } from './workload.js';

type Num = number | string;

/** A PMU device as a platform file describes it. Numbers may be "0x…" strings. */
export interface PmuDeviceSpec {
  readonly label: string;
  /** APMT node id; becomes the platform device id (`arm-cs-arch-pmu.<id>`). */
  readonly id: number;
  readonly type: ApmtNodeType;
  /** inst_primary: a number, or for the `acpi` type the _HID string. */
  readonly instPrimary?: Num;
  readonly instSecondary?: number;
  readonly implementer: Num;
  readonly product: Num;
  readonly variant?: number;
  readonly revision?: number;
  /** PMIIDR reads 0: software must rebuild the identity from the PMPIDRs. */
  readonly pmiidrZero?: boolean;
  /** APMT impl_id, which overrides the registers. */
  readonly implId?: Num;
  readonly counters: number;
  readonly counterBits: number;
  readonly cycleCounter: boolean;
  readonly dualPage: boolean;
  readonly atomic64: boolean;
  readonly fzo?: boolean;
  /** FEAT_CSPMU_EXT64: PMCR at 0xe10, 64-bit event types and filters, PMCNTEN at 0xc10 (at most 128 counters). */
  readonly ext64?: boolean;
  readonly clockHz: number;
  readonly base0: Num;
  readonly base1?: Num;
  readonly irq?: { readonly gsi: number; readonly trigger: 'level' | 'edge' };
  /** A processor UID, or a processor-container UID (a socket here). */
  readonly affinity: { readonly processor: number } | { readonly container: number };
  readonly accessLatencyNs?: number;
}

export interface PlatformSpec {
  readonly name: string;
  readonly description?: string;
  readonly cpus: { readonly sockets: number; readonly coresPerSocket: number } | { readonly nodeOfCpu: readonly number[] };
  readonly pmus: readonly PmuDeviceSpec[];
  /** A built-in workload name or a workload. */
  readonly workload?: string | WorkloadSpec;
  /** The upstream kernel whose driver behaviour to model (default: the boot option, else 7.3). */
  readonly kernelVersion?: KernelVersion;
}

/** A PMU device with every number resolved and defaults applied. */
export interface PmuDevice {
  readonly label: string;
  readonly id: number;
  readonly type: ApmtNodeType;
  readonly instPrimary: bigint;
  readonly instSecondary: number;
  readonly implementer: number;
  readonly product: number;
  readonly variant: number;
  readonly revision: number;
  readonly pmiidrZero: boolean;
  readonly implId: number;
  readonly counters: number;
  readonly counterBits: number;
  readonly cycleCounter: boolean;
  readonly dualPage: boolean;
  readonly atomic64: boolean;
  readonly fzo: boolean;
  readonly ext64: boolean;
  readonly clockHz: number;
  readonly base0: number;
  readonly base1: number;
  readonly irq: { readonly gsi: number; readonly trigger: 'level' | 'edge' } | undefined;
  readonly affinity: { readonly kind: 'processor' | 'container'; readonly uid: number };
  readonly accessLatencyNs: number;
}

export interface Platform {
  readonly name: string;
  readonly description: string;
  readonly topology: CpuTopology;
  readonly pmus: readonly PmuDevice[];
  readonly workload: string | WorkloadSpec;
  readonly kernelVersion: KernelVersion | undefined;
}

/**
 * PMCFGR.SIZE is a 6-bit field holding the counter width minus one, so a
 * counter is 1 to 64 bits wide; no other width can be described.
 */
export const COUNTER_WIDTH_RULE = 'PMCFGR.SIZE [13:8] holds the counter width minus one, so widths are 1 to 64 bits';

function topologyOf(cpus: PlatformSpec['cpus']): CpuTopology {
  if ('nodeOfCpu' in cpus) return { nodeOfCpu: [...cpus.nodeOfCpu] };
  const nodeOfCpu: number[] = [];
  for (let s = 0; s < cpus.sockets; s++) for (let c = 0; c < cpus.coresPerSocket; c++) nodeOfCpu.push(s);
  return { nodeOfCpu };
}

/**
 * Check a platform description and resolve it. Schema errors name every bad
 * field; then the rules a schema cannot say: unique labels and ids, counter
 * counts the architecture allows, page-aligned non-overlapping bases, and an
 * affinity that names a real CPU or socket. More devices than the `maxPmus`
 * cap (default 4096) are refused before anything else is checked.
 */
export function loadPlatform(spec: unknown, options?: PmuCapOptions): Platform {
  const cap = pmuCap(options);
  const name = (spec as { name?: unknown })?.name;
  const what = `platform '${typeof name === 'string' ? name : '?'}'`;
  const pmuList = (spec as { pmus?: unknown })?.pmus;
  if (Array.isArray(pmuList) && pmuList.length > cap) {
    throw kerr('EINVAL', `${what}: pmus: ${pmuList.length} PMU devices are more than the cap of ${cap}; ${RAISE_PMU_CAP}`);
  }
  validateOrThrow(validatePlatform, spec, what);
  const p = spec as PlatformSpec;
  const topology = topologyOf(p.cpus);
  const nodes = new Set(topology.nodeOfCpu);
  const labels = new Map<string, number>();
  const ids = new Map<number, string>();
  const pages = new Map<number, string>();
  const errors: string[] = [];
  const pmus: PmuDevice[] = [];
  for (const [i, d] of p.pmus.entries()) {
    const at = `pmus.${i} (${d.label})`;
    const fail = (m: string) => errors.push(`${at}.${m}`);
    if (labels.has(d.label)) fail(`label: '${d.label}' is already used by pmus.${labels.get(d.label)}`);
    labels.set(d.label, i);
    if (ids.has(d.id)) fail(`id: ${d.id} is already used by ${ids.get(d.id)}`);
    ids.set(d.id, d.label);
    const maxCounters = d.counterBits > 32 || d.ext64 ? 128 : 256;
    if (d.counterBits < 1 || d.counterBits > 64) fail(`counterBits: ${d.counterBits} is impossible; ${COUNTER_WIDTH_RULE}`);
    if (d.counters < 1 || d.counters > maxCounters) {
      const why = d.counterBits > 32 ? 'counters wider than 32 bits allow' : d.ext64 ? 'FEAT_CSPMU_EXT64 allows' : 'the architecture allows';
      fail(`counters: ${d.counters} is impossible; ${why} 1 to ${maxCounters}`);
    }
    if (d.cycleCounter && d.counters < 1) fail('counters: a cycle counter needs counters >= 1');
    let implementer = 0,
      product = 0,
      base0 = 0,
      base1 = 0,
      implId = 0;
    try {
      implementer = toNumber(d.implementer, 'implementer');
      product = toNumber(d.product, 'product');
      base0 = toNumber(d.base0, 'base0');
      base1 = d.base1 === undefined ? 0 : toNumber(d.base1, 'base1');
      implId = d.implId === undefined ? 0 : toNumber(d.implId, 'implId');
    } catch (e) {
      fail((e as Error).message.replace(/^EINVAL: /, ''));
    }
    if (implementer > 0xfff || (implementer & 0x80) !== 0) fail(`implementer: 0x${implementer.toString(16)} is not a 12-bit JEP106 code (bit 7 must be 0)`);
    if (product > 0xfff) fail(`product: 0x${product.toString(16)} does not fit PMIIDR's 12-bit PRODUCTID`);
    if (implId > 0xffffffff) fail('implId: must fit 32 bits');
    const checkBase = (b: number, field: string) => {
      if (b === 0 || b % 0x1000 !== 0) fail(`${field}: 0x${b.toString(16)} must be a non-zero 4 KiB aligned address`);
      const other = pages.get(b);
      if (other !== undefined) fail(`${field}: page 0x${b.toString(16)} overlaps ${other}`);
      else pages.set(b, `${d.label} ${field}`);
    };
    checkBase(base0, 'base0');
    if (d.dualPage) {
      if (d.base1 === undefined) fail('base1: a dual-page PMU needs base1');
      else checkBase(base1, 'base1');
    } else if (d.base1 !== undefined) fail('base1: given, but dualPage is false');
    if ('processor' in d.affinity) {
      if (d.affinity.processor >= topology.nodeOfCpu.length) fail(`affinity.processor: no CPU with ACPI UID ${d.affinity.processor}`);
    } else if (!nodes.has(d.affinity.container)) {
      fail(`affinity.container: no processor container (socket) ${d.affinity.container}`);
    }
    let instPrimary = 0n;
    if (d.type === 'acpi') {
      if (typeof d.instPrimary !== 'string' || !/^[A-Z0-9_]{7,8}$/.test(d.instPrimary))
        fail('instPrimary: an acpi-type PMU needs a _HID string such as "NVDA2001"');
      else instPrimary = hidToInstPrimary(d.instPrimary);
    } else if (d.instPrimary !== undefined) {
      if (typeof d.instPrimary === 'string' && !/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(d.instPrimary)) fail('instPrimary: only acpi-type PMUs take a _HID');
      else instPrimary = BigInt(d.instPrimary);
    }
    pmus.push({
      label: d.label,
      id: d.id,
      type: d.type,
      instPrimary,
      instSecondary: d.instSecondary ?? 0,
      implementer,
      product,
      variant: d.variant ?? 0,
      revision: d.revision ?? 0,
      pmiidrZero: d.pmiidrZero ?? false,
      implId,
      counters: d.counters,
      counterBits: d.counterBits,
      cycleCounter: d.cycleCounter,
      dualPage: d.dualPage,
      atomic64: d.atomic64,
      fzo: d.fzo ?? false,
      ext64: d.ext64 ?? false,
      clockHz: d.clockHz,
      base0,
      base1,
      irq: d.irq,
      affinity: 'processor' in d.affinity ? { kind: 'processor', uid: d.affinity.processor } : { kind: 'container', uid: d.affinity.container },
      accessLatencyNs: d.accessLatencyNs ?? 0,
    });
  }
  if (errors.length > 0) throw kerr('EINVAL', `${what}: ${listProblems(errors)}`);
  return { name: p.name, description: p.description ?? '', topology, pmus, workload: p.workload ?? 'idle', kernelVersion: p.kernelVersion };
}

/** The APMT nodes firmware would publish for a platform. */
export function apmtNodesOf(platform: Platform): Omit<ApmtNode, 'length' | 'reserved'>[] {
  // Array.from, not map(): V8 11.3's map() gives a packed array until this is optimised and a holey one after, which
  // deoptimises the optimised code that reads the nodes ("wrong map").
  return Array.from(platform.pmus, (d) => ({
    flags: (d.dualPage ? APMT_FLAG_DUAL_PAGE : 0) | (d.affinity.kind === 'container' ? APMT_FLAG_AFFINITY_CONTAINER : 0) | (d.atomic64 ? APMT_FLAG_ATOMIC : 0),
    type: APMT_NODE_TYPES.indexOf(d.type),
    id: d.id,
    instPrimary: d.instPrimary,
    instSecondary: d.instSecondary,
    baseAddress0: d.base0,
    baseAddress1: d.dualPage ? d.base1 : 0,
    ovflwIrq: d.irq?.gsi ?? 0,
    ovflwIrqFlags: d.irq?.trigger === 'edge' ? APMT_IRQ_MODE_EDGE : 0,
    procAffinity: d.affinity.uid,
    implId: d.implId,
  }));
}

// Checking an APMT: fwts's verdicts (failures) and the extra checks cspmu makes (warnings), from one walk.
import { kerr, listProblems } from '@cspmu/kernel';
import {
  APMT_FLAG_DUAL_PAGE,
  APMT_FLAGS_RESERVED,
  APMT_HEADER_LENGTH,
  APMT_IRQ_FLAGS_RESERVED,
  APMT_NODE_LENGTH,
  APMT_NODE_TYPES,
  type ApmtTable,
  apmtHid,
  readApmtHeader,
  readApmtNode,
} from './apmt.js';
import { type PmuCapOptions, pmuCap, RAISE_PMU_CAP } from './pmu-cap.js';

/**
 * Failures: what fwts's `apmt` and checksum tests fail, plus what cannot be
 * read as an APMT at all (too short, wrong signature or length, more nodes
 * than cspmu reads).
 */
export type ApmtFailureCode =
  | 'APMT_SHORT'
  | 'APMT_SIGNATURE'
  | 'APMT_LENGTH'
  | 'APMT_CHECKSUM'
  | 'APMT_NODE_LENGTH_ZERO'
  | 'APMT_NODE_OUT_OF_RANGE'
  | 'APMT_FLAGS_RESERVED'
  | 'APMT_INST_SECONDARY'
  | 'APMT_INST_PRIMARY'
  | 'APMT_NODE_TYPE'
  | 'APMT_RESERVED1'
  | 'APMT_IRQ_FLAGS_RESERVED'
  | 'APMT_TOO_MANY_NODES';

/** Warnings: checks beyond fwts. The kernel boots such tables (sometimes losing devices: see the message). */
export type ApmtWarningCode =
  | 'APMT_NODE_SIZE'
  | 'APMT_NODE_TRUNCATED'
  | 'APMT_DUPLICATE_ID'
  | 'APMT_ID_TRUNCATED'
  | 'APMT_ACPI_HID'
  | 'APMT_BASE1_IGNORED'
  | 'APMT_BASE_ZERO'
  | 'APMT_BASE_ALIGN'
  | 'APMT_BASE_RANGE'
  | 'APMT_INST_WIDTH'
  | 'APMT_PAGE_OVERLAP';

/** One thing found in a table: where (node index and field), what, and whether fwts would fail it. */
export interface ApmtViolation {
  readonly severity: 'failure' | 'warning';
  readonly code: ApmtFailureCode | ApmtWarningCode;
  readonly node?: number;
  readonly field: string;
  readonly message: string;
}

/** A node as read, with its base addresses exactly (they may exceed 2^53). */
type ReadNode = ReturnType<typeof readApmtNode>;

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

/**
 * Walk a table as fwts does and list everything found: fwts's rules as
 * failures (the walk stops at a zero length or a node past the end), the
 * checksum as a failure, and cspmu's extra checks as warnings. `table` is
 * undefined only when the bytes hold no APMT header at all. Nodes past the
 * `maxPmus` cap (default 4096) are not read.
 */
export function parseApmt(bytes: Uint8Array, options?: PmuCapOptions): { table: ApmtTable | undefined; violations: ApmtViolation[] } {
  const maxNodes = pmuCap(options);
  const v: ApmtViolation[] = [];
  const fail = (code: ApmtFailureCode, field: string, message: string, node?: number) =>
    v.push({ severity: 'failure', code, field, message, ...(node === undefined ? {} : { node }) });
  const warn = (code: ApmtWarningCode, field: string, message: string, node?: number) =>
    v.push({ severity: 'warning', code, field, message, ...(node === undefined ? {} : { node }) });
  if (bytes.length < APMT_HEADER_LENGTH) {
    fail('APMT_SHORT', 'header', `table is ${bytes.length} bytes; the ACPI header alone is ${APMT_HEADER_LENGTH}`);
    return { table: undefined, violations: v };
  }
  const header = readApmtHeader(bytes);
  if (header.signature !== 'APMT') fail('APMT_SIGNATURE', 'header.signature', `signature is '${header.signature}', expected 'APMT'`);
  let end = header.length;
  if (header.length < APMT_HEADER_LENGTH || header.length > bytes.length) {
    fail('APMT_LENGTH', 'header.length', `header length ${header.length} does not fit the ${bytes.length}-byte table (minimum ${APMT_HEADER_LENGTH})`);
    end = Math.min(Math.max(header.length, APMT_HEADER_LENGTH), bytes.length);
  }
  let sum = 0;
  for (let i = 0; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  if (sum !== 0) {
    const should = (header.checksum - sum) & 0xff;
    fail('APMT_CHECKSUM', 'header.checksum', `checksum ${hex(header.checksum)} is wrong: the bytes sum to ${hex(sum)}, not 0 (it should be ${hex(should)})`);
  }
  const nodes: ReadNode[] = [];
  let at = APMT_HEADER_LENGTH;
  for (let index = 0; at < end; index++) {
    if (index === maxNodes) {
      const more = Math.ceil((end - at) / APMT_NODE_LENGTH);
      fail('APMT_TOO_MANY_NODES', 'length', `the table holds more than ${maxNodes} nodes (about ${more} more); the rest are not read; ${RAISE_PMU_CAP}`, index);
      break;
    }
    const length = end - at >= 2 ? bytes[at]! | (bytes[at + 1]! << 8) : -1;
    if (length === 0) {
      fail('APMT_NODE_LENGTH_ZERO', 'length', 'node length is 0: the table cannot be walked past it', index);
      break;
    }
    if (length < 0 || at + length > end) {
      fail(
        'APMT_NODE_OUT_OF_RANGE',
        'length',
        `node at offset ${at} runs past the end of the table (${end - at} byte(s) left, length ${length < 0 ? '?' : length})`,
        index,
      );
      break;
    }
    if (at + APMT_NODE_LENGTH > end) {
      warn('APMT_NODE_TRUNCATED', 'length', `node length is ${length}, must be ${APMT_NODE_LENGTH}; its fields run past the end of the table`, index);
      break;
    }
    if (length !== APMT_NODE_LENGTH)
      warn('APMT_NODE_SIZE', 'length', `node length is ${length}, must be ${APMT_NODE_LENGTH}; the next node is read ${length} bytes on`, index);
    const node = readApmtNode(bytes, at);
    checkNode(node, index, fail, warn);
    nodes.push(node);
    at += length;
  }
  checkAcrossNodes(nodes, warn);
  // Table-wide findings first, then node by node (a stable sort keeps each node's own order).
  v.sort((a, b) => (a.node ?? -1) - (b.node ?? -1));
  return { table: { header, nodes: nodes.map(({ rawBase0, rawBase1, ...n }) => n) }, violations: v };
}

type Fail = (code: ApmtFailureCode, field: string, message: string, node?: number) => void;
type Warn = (code: ApmtWarningCode, field: string, message: string, node?: number) => void;

/** fwts's per-node rules, then cspmu's. */
function checkNode(n: ReadNode, i: number, fail: Fail, warn: Warn): void {
  if (n.flags & APMT_FLAGS_RESERVED) fail('APMT_FLAGS_RESERVED', 'flags', `reserved flag bits ${hex(n.flags & APMT_FLAGS_RESERVED)} (bits 3-7) are set`, i);
  const type = APMT_NODE_TYPES[n.type];
  if (type === 'mc' || type === 'smmu' || type === 'pcie') {
    if (n.instSecondary !== 0)
      fail('APMT_INST_SECONDARY', 'inst_secondary', `node type ${n.type} (${type}) must have inst_secondary 0, got ${hex(n.instSecondary)}`, i);
  } else if (type === 'cache') {
    if (n.instPrimary !== 0n)
      fail(
        'APMT_INST_PRIMARY',
        'inst_primary',
        `node type 4 (cache) must have inst_primary 0, got ${hex(n.instPrimary)}; the cache id goes in inst_secondary`,
        i,
      );
  } else if (type === undefined) {
    fail('APMT_NODE_TYPE', 'type', `node type ${n.type} is unknown; known types are 0-4 (${APMT_NODE_TYPES.join(', ')})`, i);
  }
  if (n.reserved !== 0) fail('APMT_RESERVED1', 'reserved', `reserved field is ${hex(n.reserved)}, must be 0`, i);
  if (n.ovflwIrqFlags & APMT_IRQ_FLAGS_RESERVED) {
    fail('APMT_IRQ_FLAGS_RESERVED', 'ovflw_irq_flags', `reserved interrupt flag bits ${hex(n.ovflwIrqFlags & APMT_IRQ_FLAGS_RESERVED)} (bits 1-31) are set`, i);
  }

  if (n.id > 0x7fffffff)
    warn('APMT_ID_TRUNCATED', 'id', `id ${hex(n.id)} does not fit a platform device id; the kernel truncates it to ${hex(n.id & 0x7fffffff)}`, i);
  const checkBase = (raw: bigint, field: string) => {
    if (raw === 0n) warn('APMT_BASE_ZERO', field, `${field} is 0`, i);
    else if (raw % 4096n !== 0n) warn('APMT_BASE_ALIGN', field, `${field} ${hex(raw)} is not 4 KiB aligned`, i);
    if (raw > BigInt(Number.MAX_SAFE_INTEGER))
      warn('APMT_BASE_RANGE', field, `${field} ${hex(raw)} is above what the emulator can map (2^53); booting refuses it`, i);
  };
  checkBase(n.rawBase0, 'base_address0');
  if (n.flags & APMT_FLAG_DUAL_PAGE) checkBase(n.rawBase1, 'base_address1');
  else if (n.rawBase1 !== 0n) warn('APMT_BASE1_IGNORED', 'base_address1', `base_address1 is ${hex(n.rawBase1)} but DUAL_PAGE is not set, so it is ignored`, i);
  if (type === 'acpi' && apmtHid(n) === undefined) {
    warn(
      'APMT_ACPI_HID',
      'inst_primary',
      `inst_primary ${hex(n.instPrimary)} is not a _HID string; the kernel names the PMU and finds its ACPI device from these bytes as they are`,
      i,
    );
  }
  if ((type === 'mc' || type === 'smmu') && n.instPrimary > 0xffffffffn) {
    warn('APMT_INST_WIDTH', 'inst_primary', `inst_primary ${hex(n.instPrimary)} does not fit 32 bits; the kernel uses the low 32 bits in names`, i);
  }
  if (type === 'pcie' && n.instPrimary > 0xffffn)
    warn('APMT_INST_WIDTH', 'inst_primary', `inst_primary ${hex(n.instPrimary)} is a PCIe segment and should fit 16 bits`, i);
}

/** Duplicate ids and overlapping pages, in O(n log n). */
function checkAcrossNodes(nodes: readonly ReadNode[], warn: Warn): void {
  const ids = new Map<number, number>();
  const pages: { start: bigint; node: number; field: string }[] = [];
  nodes.forEach((n, i) => {
    const id = n.id & 0x7fffffff;
    const prev = ids.get(id);
    if (prev !== undefined) {
      warn(
        'APMT_DUPLICATE_ID',
        'id',
        `id ${id} is already used by node ${prev}; Linux 7.3 fails to add this node's device (EEXIST) and stops creating devices`,
        i,
      );
    } else ids.set(id, i);
    pages.push({ start: n.rawBase0, node: i, field: 'base_address0' });
    if (n.flags & APMT_FLAG_DUAL_PAGE) pages.push({ start: n.rawBase1, node: i, field: 'base_address1' });
  });
  pages.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.node - b.node));
  const overlaps: { p: (typeof pages)[number]; other: (typeof pages)[number] }[] = [];
  for (let k = 1; k < pages.length; k++) {
    const a = pages[k - 1]!;
    const b = pages[k]!;
    if (b.start < a.start + 0x1000n) overlaps.push(a.node <= b.node ? { p: b, other: a } : { p: a, other: b });
  }
  overlaps.sort((x, y) => x.p.node - y.p.node);
  for (const { p, other } of overlaps) {
    warn(
      'APMT_PAGE_OVERLAP',
      p.field,
      `page ${hex(p.start)} overlaps node ${other.node} ${other.field} (${hex(other.start)}); the kernel fails to claim it (EBUSY) and stops creating devices`,
      p.node,
    );
  }
}

export function failuresOf(v: readonly ApmtViolation[]): ApmtViolation[] {
  return v.filter((x) => x.severity === 'failure');
}

/** Parse, and throw EINVAL listing every failure (warnings pass). */
export function decodeApmt(bytes: Uint8Array, options?: PmuCapOptions): ApmtTable {
  const { table, violations } = parseApmt(bytes, options);
  const failures = failuresOf(violations);
  if (failures.length > 0 || !table) {
    throw kerr('EINVAL', `APMT is invalid (${failures.length} failure(s)): ${listProblems(failures.map(formatViolation))}`);
  }
  return table;
}

export function formatViolation(x: ApmtViolation): string {
  return `${x.node === undefined ? '' : `node ${x.node} `}${x.field}: ${x.message} [${x.code}]`;
}

/** Both verdict lists of a table as `cspmu apmt check` and `decode` print them. */
export function verdictLines(violations: readonly ApmtViolation[]): string[] {
  return violations.map((x) => `${x.severity === 'failure' ? 'FAILED' : 'WARNING'}: ${formatViolation(x)}`);
}

/** What no kernel can walk safely (it would loop on a zero length or read past the table), and what the emulator cannot map. */
const UNBOOTABLE: ReadonlySet<ApmtViolation['code']> = new Set([
  'APMT_SHORT',
  'APMT_SIGNATURE',
  'APMT_LENGTH',
  'APMT_NODE_LENGTH_ZERO',
  'APMT_NODE_OUT_OF_RANGE',
  'APMT_NODE_TRUNCATED',
  'APMT_TOO_MANY_NODES',
  'APMT_BASE_RANGE',
]);

/**
 * The table as booting takes it: EINVAL for what cannot be walked or mapped;
 * otherwise the table and the lines the kernel logs about it (the checksum
 * warning of ACPICA, which installs the table anyway). Everything else fwts
 * fails, the kernel ignores.
 */
export function apmtForBoot(bytes: Uint8Array, options?: PmuCapOptions): { table: ApmtTable; log: string[] } {
  const { table, violations } = parseApmt(bytes, options);
  const refused = violations.filter((x) => UNBOOTABLE.has(x.code));
  if (refused.length > 0 || !table) {
    throw kerr('EINVAL', `APMT cannot be booted (${refused.length} problem(s)): ${listProblems(refused.map(formatViolation))}`);
  }
  const log: string[] = [];
  const sum = violations.find((x) => x.code === 'APMT_CHECKSUM');
  if (sum) {
    let total = 0;
    for (let i = 0; i < table.header.length; i++) total = (total + bytes[i]!) & 0xff;
    const should = (table.header.checksum - total) & 0xff;
    const h2 = (n: number) => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
    log.push(`ACPI BIOS Warning (bug): Incorrect checksum in table [APMT] - ${h2(table.header.checksum)}, should be ${h2(should)}`);
  }
  return { table, log };
}

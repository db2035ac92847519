import { kerr, listProblems } from '@cspmu/kernel';

export const APMT_HEADER_LENGTH = 36;
export const APMT_NODE_LENGTH = 56;
/** At most this many nodes are read from a table (4096 PMUs is far beyond any machine; a bigger table is refused). */
export const MAX_APMT_NODES = 4096;

export const APMT_FLAG_DUAL_PAGE = 1 << 0;
export const APMT_FLAG_AFFINITY_CONTAINER = 1 << 1;
export const APMT_FLAG_ATOMIC = 1 << 2;
const APMT_FLAGS_RESERVED = 0xf8;

export const APMT_IRQ_MODE_EDGE = 1 << 0;
const APMT_IRQ_FLAGS_RESERVED = 0xfffffffe;

/** APMT node types (DEN0117). */
export const APMT_NODE_TYPES = ['mc', 'smmu', 'pcie', 'acpi', 'cache'] as const;
export type ApmtNodeType = (typeof APMT_NODE_TYPES)[number];

export interface ApmtHeader {
  readonly signature: string;
  readonly length: number;
  readonly revision: number;
  readonly checksum: number;
  readonly oemId: string;
  readonly oemTableId: string;
  readonly oemRevision: number;
  readonly aslCompilerId: string;
  readonly aslCompilerRevision: number;
}

export interface ApmtNode {
  readonly length: number;
  readonly flags: number;
  readonly type: number;
  readonly id: number;
  /** 8 raw bytes; for the ACPI type, the _HID characters. */
  readonly instPrimary: bigint;
  readonly instSecondary: number;
  readonly baseAddress0: number;
  readonly baseAddress1: number;
  readonly ovflwIrq: number;
  readonly reserved: number;
  readonly ovflwIrqFlags: number;
  readonly procAffinity: number;
  readonly implId: number;
}

export interface ApmtTable {
  readonly header: ApmtHeader;
  readonly nodes: readonly ApmtNode[];
}

/** One thing wrong with a table: where (node index and field) and what. */
export interface ApmtViolation {
  readonly code:
    | 'APMT_SHORT'
    | 'APMT_SIGNATURE'
    | 'APMT_LENGTH'
    | 'APMT_CHECKSUM'
    | 'APMT_NODE_LENGTH'
    | 'APMT_NODE_TRUNCATED'
    | 'APMT_TOO_MANY_NODES'
    | 'APMT_RESERVED_BITS'
    | 'APMT_RESERVED_FIELD'
    | 'APMT_NODE_TYPE'
    | 'APMT_DUPLICATE_ID'
    | 'APMT_BASE_ADDRESS'
    | 'APMT_INSTANCE';
  readonly node?: number;
  readonly field: string;
  readonly message: string;
}

/** The text of an ACPI-type node's _HID, or undefined if the bytes are not a HID. */
export function apmtHid(node: Pick<ApmtNode, 'instPrimary'>): string | undefined {
  let s = '';
  for (let i = 0; i < 8; i++) {
    const b = Number((node.instPrimary >> BigInt(8 * i)) & 0xffn);
    if (b === 0) break;
    if (b < 0x20 || b > 0x7e) return undefined;
    s += String.fromCharCode(b);
  }
  return s.length >= 7 ? s : undefined;
}

/** Encode a _HID string into inst_primary's 8 bytes. */
export function hidToInstPrimary(hid: string): bigint {
  if (!/^[A-Z0-9_]{7,8}$/.test(hid)) throw kerr('EINVAL', `_HID '${hid}' must be 7 or 8 characters of A-Z, 0-9 or _`);
  let v = 0n;
  for (let i = hid.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(hid.charCodeAt(i));
  return v;
}

function fixedString(bytes: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(bytes[at + i]!);
  return s;
}

function readU64(dv: DataView, at: number): bigint {
  return dv.getBigUint64(at, true);
}

/** Parse and check an APMT, listing every violation (as fwts does) rather than stopping at the first. */
export function parseApmt(bytes: Uint8Array): { table: ApmtTable | undefined; violations: ApmtViolation[] } {
  const v: ApmtViolation[] = [];
  if (bytes.length < APMT_HEADER_LENGTH) {
    v.push({ code: 'APMT_SHORT', field: 'header', message: `table is ${bytes.length} bytes; the ACPI header alone is ${APMT_HEADER_LENGTH}` });
    return { table: undefined, violations: v };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: ApmtHeader = {
    signature: fixedString(bytes, 0, 4),
    length: dv.getUint32(4, true),
    revision: bytes[8]!,
    checksum: bytes[9]!,
    oemId: fixedString(bytes, 10, 6),
    oemTableId: fixedString(bytes, 16, 8),
    oemRevision: dv.getUint32(24, true),
    aslCompilerId: fixedString(bytes, 28, 4),
    aslCompilerRevision: dv.getUint32(32, true),
  };
  if (header.signature !== 'APMT') {
    v.push({ code: 'APMT_SIGNATURE', field: 'header.signature', message: `signature is '${header.signature}', expected 'APMT'` });
  }
  let end = header.length;
  if (header.length < APMT_HEADER_LENGTH || header.length > bytes.length) {
    v.push({
      code: 'APMT_LENGTH',
      field: 'header.length',
      message: `header length ${header.length} does not fit the ${bytes.length}-byte table (minimum ${APMT_HEADER_LENGTH})`,
    });
    end = Math.min(Math.max(header.length, APMT_HEADER_LENGTH), bytes.length);
  }
  let sum = 0;
  for (let i = 0; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  if (sum !== 0) {
    v.push({ code: 'APMT_CHECKSUM', field: 'header.checksum', message: `checksum 0x${header.checksum.toString(16)} is wrong: the bytes sum to 0x${sum.toString(16)}, not 0` });
  }
  const nodes: ApmtNode[] = [];
  const ids = new Map<number, number>();
  let at = APMT_HEADER_LENGTH;
  for (let index = 0; at < end; index++) {
    if (index === MAX_APMT_NODES) {
      const more = Math.ceil((end - at) / APMT_NODE_LENGTH);
      v.push({ code: 'APMT_TOO_MANY_NODES', node: index, field: 'length', message: `the table holds more than ${MAX_APMT_NODES} nodes (about ${more} more); the rest are not read` });
      break;
    }
    if (end - at < 2) {
      v.push({ code: 'APMT_NODE_TRUNCATED', node: index, field: 'length', message: `${end - at} trailing byte(s) where a node should start` });
      break;
    }
    const length = dv.getUint16(at, true);
    if (length !== APMT_NODE_LENGTH) {
      v.push({ code: 'APMT_NODE_LENGTH', node: index, field: 'length', message: `node length is ${length}, must be ${APMT_NODE_LENGTH}` });
      if (length < APMT_NODE_LENGTH) break;
    }
    if (at + APMT_NODE_LENGTH > end) {
      v.push({ code: 'APMT_NODE_TRUNCATED', node: index, field: 'length', message: `node runs past the end of the table (${end - at} bytes left, needs ${APMT_NODE_LENGTH})` });
      break;
    }
    const node: ApmtNode = {
      length,
      flags: bytes[at + 2]!,
      type: bytes[at + 3]!,
      id: dv.getUint32(at + 4, true),
      instPrimary: readU64(dv, at + 8),
      instSecondary: dv.getUint32(at + 16, true),
      baseAddress0: Number(readU64(dv, at + 20)),
      baseAddress1: Number(readU64(dv, at + 28)),
      ovflwIrq: dv.getUint32(at + 36, true),
      reserved: dv.getUint32(at + 40, true),
      ovflwIrqFlags: dv.getUint32(at + 44, true),
      procAffinity: dv.getUint32(at + 48, true),
      implId: dv.getUint32(at + 52, true),
    };
    checkNode(node, index, v, readU64(dv, at + 20), readU64(dv, at + 28));
    const prev = ids.get(node.id);
    if (prev !== undefined) {
      v.push({ code: 'APMT_DUPLICATE_ID', node: index, field: 'id', message: `id ${node.id} is already used by node ${prev}` });
    } else ids.set(node.id, index);
    nodes.push(node);
    at += Math.max(length, APMT_NODE_LENGTH);
  }
  return { table: { header, nodes }, violations: v };
}

function checkNode(n: ApmtNode, i: number, v: ApmtViolation[], raw0: bigint, raw1: bigint): void {
  if (n.flags & APMT_FLAGS_RESERVED) {
    v.push({ code: 'APMT_RESERVED_BITS', node: i, field: 'flags', message: `reserved flag bits 0x${(n.flags & APMT_FLAGS_RESERVED).toString(16)} are set` });
  }
  if (n.type >= APMT_NODE_TYPES.length) {
    v.push({ code: 'APMT_NODE_TYPE', node: i, field: 'type', message: `node type ${n.type} is reserved; known types are 0-4 (${APMT_NODE_TYPES.join(', ')})` });
  }
  if (n.reserved !== 0) {
    v.push({ code: 'APMT_RESERVED_FIELD', node: i, field: 'reserved', message: `reserved field is 0x${n.reserved.toString(16)}, must be 0` });
  }
  if (n.ovflwIrqFlags & APMT_IRQ_FLAGS_RESERVED) {
    v.push({
      code: 'APMT_RESERVED_BITS',
      node: i,
      field: 'ovflw_irq_flags',
      message: `reserved interrupt flag bits 0x${(n.ovflwIrqFlags & APMT_IRQ_FLAGS_RESERVED).toString(16)} are set (bit 1 TYPE must be 0: wired)`,
    });
  }
  const checkBase = (raw: bigint, field: string) => {
    if (raw === 0n) v.push({ code: 'APMT_BASE_ADDRESS', node: i, field, message: `${field} is 0` });
    else if (raw % 4096n !== 0n) v.push({ code: 'APMT_BASE_ADDRESS', node: i, field, message: `${field} 0x${raw.toString(16)} is not 4 KiB aligned` });
    else if (raw > BigInt(Number.MAX_SAFE_INTEGER)) v.push({ code: 'APMT_BASE_ADDRESS', node: i, field, message: `${field} 0x${raw.toString(16)} is above what the emulator maps (2^53)` });
  };
  checkBase(raw0, 'base_address0');
  if (n.flags & APMT_FLAG_DUAL_PAGE) checkBase(raw1, 'base_address1');
  else if (raw1 !== 0n) {
    v.push({ code: 'APMT_BASE_ADDRESS', node: i, field: 'base_address1', message: `base_address1 is 0x${raw1.toString(16)} but DUAL_PAGE is not set` });
  }
  switch (APMT_NODE_TYPES[n.type]) {
    case 'acpi':
      if (apmtHid(n) === undefined) {
        v.push({ code: 'APMT_INSTANCE', node: i, field: 'inst_primary', message: 'an ACPI-type node needs a 7- or 8-character _HID in inst_primary' });
      }
      break;
    case 'mc':
    case 'smmu':
    case 'cache':
      if (n.instPrimary > 0xffffffffn) {
        v.push({ code: 'APMT_INSTANCE', node: i, field: 'inst_primary', message: `inst_primary 0x${n.instPrimary.toString(16)} must fit 32 bits for type ${APMT_NODE_TYPES[n.type]}` });
      }
      break;
    case 'pcie':
      if (n.instPrimary > 0xffffn) {
        v.push({ code: 'APMT_INSTANCE', node: i, field: 'inst_primary', message: `inst_primary 0x${n.instPrimary.toString(16)} is a PCIe segment and must fit 16 bits` });
      }
      break;
  }
}

/** Parse, and throw EINVAL listing every violation if the table is not clean. */
export function decodeApmt(bytes: Uint8Array): ApmtTable {
  const { table, violations } = parseApmt(bytes);
  if (violations.length > 0 || !table) {
    throw kerr('EINVAL', `APMT is invalid (${violations.length} problem(s)): ${listProblems(violations.map(formatViolation))}`);
  }
  return table;
}

export function formatViolation(x: ApmtViolation): string {
  return `${x.node === undefined ? '' : `node ${x.node} `}${x.field}: ${x.message} [${x.code}]`;
}

export interface ApmtHeaderFields {
  readonly revision?: number;
  readonly oemId?: string;
  readonly oemTableId?: string;
  readonly oemRevision?: number;
  readonly aslCompilerId?: string;
  readonly aslCompilerRevision?: number;
}

function putString(bytes: Uint8Array, at: number, len: number, s: string): void {
  for (let i = 0; i < len; i++) bytes[at + i] = i < s.length ? s.charCodeAt(i) & 0xff : 0x20;
}

/** Build a binary APMT from nodes; the checksum is computed. */
export function buildApmt(nodes: readonly Omit<ApmtNode, 'length' | 'reserved'>[], h: ApmtHeaderFields = {}): Uint8Array {
  const length = APMT_HEADER_LENGTH + nodes.length * APMT_NODE_LENGTH;
  const bytes = new Uint8Array(length);
  const dv = new DataView(bytes.buffer);
  putString(bytes, 0, 4, 'APMT');
  dv.setUint32(4, length, true);
  bytes[8] = h.revision ?? 0;
  putString(bytes, 10, 6, h.oemId ?? 'CSPMU ');
  putString(bytes, 16, 8, h.oemTableId ?? 'EMULATED');
  dv.setUint32(24, h.oemRevision ?? 1, true);
  putString(bytes, 28, 4, h.aslCompilerId ?? 'CSPM');
  dv.setUint32(32, h.aslCompilerRevision ?? 1, true);
  nodes.forEach((n, i) => {
    const at = APMT_HEADER_LENGTH + i * APMT_NODE_LENGTH;
    dv.setUint16(at, APMT_NODE_LENGTH, true);
    bytes[at + 2] = n.flags;
    bytes[at + 3] = n.type;
    dv.setUint32(at + 4, n.id, true);
    dv.setBigUint64(at + 8, BigInt.asUintN(64, n.instPrimary), true);
    dv.setUint32(at + 16, n.instSecondary, true);
    dv.setBigUint64(at + 20, BigInt(n.baseAddress0), true);
    dv.setBigUint64(at + 28, BigInt(n.baseAddress1), true);
    dv.setUint32(at + 36, n.ovflwIrq, true);
    dv.setUint32(at + 44, n.ovflwIrqFlags, true);
    dv.setUint32(at + 48, n.procAffinity, true);
    dv.setUint32(at + 52, n.implId, true);
  });
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  bytes[9] = (0x100 - sum) & 0xff;
  return bytes;
}

/** A readable description of a table. */
export function describeApmt(t: ApmtTable): string {
  const lines = [
    `APMT revision ${t.header.revision}, OEM '${t.header.oemId.trim()}' '${t.header.oemTableId.trim()}' rev ${t.header.oemRevision}, ${t.nodes.length} node(s), ${t.header.length} bytes`,
  ];
  for (const [i, n] of t.nodes.entries()) {
    const type = APMT_NODE_TYPES[n.type] ?? `reserved(${n.type})`;
    const inst = type === 'acpi' ? `hid=${apmtHid(n) ?? '?'} uid=${n.instSecondary}` : `primary=0x${n.instPrimary.toString(16)} secondary=${n.instSecondary}`;
    const flags = [n.flags & APMT_FLAG_DUAL_PAGE ? 'dual-page' : 'single-page', n.flags & APMT_FLAG_ATOMIC ? 'atomic64' : 'no-atomic64'];
    const aff = `${n.flags & APMT_FLAG_AFFINITY_CONTAINER ? 'container' : 'processor'} ${n.procAffinity}`;
    const irq = n.ovflwIrq === 0 ? 'no irq' : `irq ${n.ovflwIrq} ${n.ovflwIrqFlags & APMT_IRQ_MODE_EDGE ? 'edge' : 'level'}`;
    const bases = `base0=0x${n.baseAddress0.toString(16)}${n.flags & APMT_FLAG_DUAL_PAGE ? ` base1=0x${n.baseAddress1.toString(16)}` : ''}`;
    const impl = n.implId ? ` impl_id=0x${n.implId.toString(16)}` : '';
    lines.push(`  node ${i}: id ${n.id} type ${type} ${inst} ${bases} ${flags.join(' ')} affinity ${aff} ${irq}${impl}`);
  }
  return lines.join('\n');
}

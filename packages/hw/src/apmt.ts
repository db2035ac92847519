// The ACPI APMT table in binary: its header and node layout, reading, building, and a text description of a table.
import { kerr } from '@cspmu/kernel';

export const APMT_HEADER_LENGTH = 36;
export const APMT_NODE_LENGTH = 56;

export const APMT_FLAG_DUAL_PAGE = 1 << 0;
export const APMT_FLAG_AFFINITY_CONTAINER = 1 << 1;
export const APMT_FLAG_ATOMIC = 1 << 2;
/** Node flags bits 3-7 are reserved. */
export const APMT_FLAGS_RESERVED = 0xf8;

export const APMT_IRQ_MODE_EDGE = 1 << 0;
/** Overflow interrupt flags bits 1-31 are reserved (bit 1 TYPE has only the value 0, wired). */
export const APMT_IRQ_FLAGS_RESERVED = 0xfffffffe;

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

/** The 36-byte ACPI header; the caller has checked that the bytes hold one. */
export function readApmtHeader(bytes: Uint8Array): ApmtHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
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
}

/** One 56-byte node at `at`, whatever its length field says (as the kernel and fwts read it). */
export function readApmtNode(bytes: Uint8Array, at: number): ApmtNode & { readonly rawBase0: bigint; readonly rawBase1: bigint } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawBase0 = dv.getBigUint64(at + 20, true);
  const rawBase1 = dv.getBigUint64(at + 28, true);
  return {
    length: dv.getUint16(at, true),
    flags: bytes[at + 2]!,
    type: bytes[at + 3]!,
    id: dv.getUint32(at + 4, true),
    instPrimary: dv.getBigUint64(at + 8, true),
    instSecondary: dv.getUint32(at + 16, true),
    baseAddress0: Number(rawBase0),
    baseAddress1: Number(rawBase1),
    ovflwIrq: dv.getUint32(at + 36, true),
    reserved: dv.getUint32(at + 40, true),
    ovflwIrqFlags: dv.getUint32(at + 44, true),
    procAffinity: dv.getUint32(at + 48, true),
    implId: dv.getUint32(at + 52, true),
    rawBase0,
    rawBase1,
  };
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

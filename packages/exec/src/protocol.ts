/** The wire protocol between the preload library and the event server (keep in step with native/cspmu-preload.h). */
import { kerr } from '@cspmu/kernel';
import type { PerfEventAttr } from '@cspmu/perf';

export const OP = {
  HELLO: 1,
  OPEN: 2,
  BIND: 3,
  READ: 4,
  IOCTL: 5,
  PRCTL: 6,
  SLEEP: 7,
  WHOAMI: 8,
  STATUS: 9,
  USERPAGE: 10,
  CLOSE: 11,
} as const;

/** Request: u32 op, u32 payload length, payload. Response: i32 ret (or -errno), u32 payload length, payload. */
export const HEADER_BYTES = 8;
/** A request larger than this is a broken client. */
export const MAX_REQUEST = 4096;

export const PERF_FLAG_FD_NO_GROUP = 1 << 0;
export const PERF_FLAG_FD_OUTPUT = 1 << 1;
export const PERF_FLAG_PID_CGROUP = 1 << 2;
export const PERF_FLAG_FD_CLOEXEC = 1 << 3;
export const PERF_FORMAT_LOST = 1 << 4;

/** `perf_event_attr.size` of the first version; the smallest the kernel accepts. */
export const PERF_ATTR_SIZE_VER0 = 64;

export interface OpenRequest {
  readonly cpu: number;
  readonly pid: number;
  readonly groupHandle: number;
  readonly flags: number;
  /** The attr as the caller wrote it: its type is the exported one. */
  readonly attr: PerfEventAttr;
  /** read_format bits the emulated core does not model but the kernel accepts (PERF_FORMAT_LOST). */
  readonly lost: boolean;
  /** sample_period/sample_freq, which the attr carries only when non-zero. */
  readonly sampling: boolean;
}

const bit = (flags: bigint, n: number): boolean => ((flags >> BigInt(n)) & 1n) === 1n;

/** The kernel's struct perf_event_attr (little-endian, as written by the caller) into the emulated core's attr. */
export function decodeAttr(b: Buffer): { attr: PerfEventAttr; lost: boolean; sampling: boolean } {
  if (b.length < PERF_ATTR_SIZE_VER0) throw kerr('EINVAL', `perf_event_attr of ${b.length} bytes is smaller than the first version's 64`);
  const flags = b.readBigUInt64LE(40);
  const freq = bit(flags, 10);
  const period = b.readBigUInt64LE(16);
  const readFormat = Number(b.readBigUInt64LE(32));
  const u64 = (off: number): bigint => (b.length >= off + 8 ? b.readBigUInt64LE(off) : 0n);
  if (period > BigInt(Number.MAX_SAFE_INTEGER)) throw kerr('EINVAL', 'sample_period is too large');
  const attr: PerfEventAttr = {
    type: b.readUInt32LE(0),
    config: b.readBigUInt64LE(8),
    config1: u64(56),
    config2: u64(64),
    config3: u64(128),
    ...(freq ? { sample_freq: Number(period), freq: true } : { sample_period: Number(period) }),
    read_format: readFormat & ~PERF_FORMAT_LOST,
    disabled: bit(flags, 0),
    inherit: bit(flags, 1),
    pinned: bit(flags, 2),
    exclusive: bit(flags, 3),
    exclude_user: bit(flags, 4),
    exclude_kernel: bit(flags, 5),
    exclude_hv: bit(flags, 6),
    exclude_idle: bit(flags, 7),
    exclude_host: bit(flags, 19),
    exclude_guest: bit(flags, 20),
  };
  return { attr, lost: (readFormat & PERF_FORMAT_LOST) !== 0, sampling: period !== 0n };
}

/** struct open_req: i32 cpu, i32 pid, i32 group handle, u32 flags, u32 attr size, attr bytes. */
export function decodeOpen(p: Buffer): OpenRequest {
  if (p.length < 20) throw kerr('EINVAL', 'open request too short');
  const size = p.readUInt32LE(16);
  if (size < PERF_ATTR_SIZE_VER0 || p.length < 20 + size) throw kerr('EINVAL', `perf_event_attr size ${size} does not match the request`);
  const { attr, lost, sampling } = decodeAttr(p.subarray(20, 20 + size));
  return { cpu: p.readInt32LE(0), pid: p.readInt32LE(4), groupHandle: p.readInt32LE(8), flags: p.readUInt32LE(12), attr, lost, sampling };
}

/** The kernel's perf ioctl numbers (_IO/_IOR/_IOW on '$'). */
export const IOC = {
  ENABLE: 0x2400,
  DISABLE: 0x2401,
  REFRESH: 0x2402,
  RESET: 0x2403,
  PERIOD: 0x40082404,
  SET_OUTPUT: 0x2405,
  SET_FILTER: 0x40082406,
  ID: 0x80082407,
  SET_BPF: 0x40042408,
  PAUSE_OUTPUT: 0x40042409,
  QUERY_BPF: 0xc008240a,
  MODIFY_ATTRIBUTES: 0x4008240b,
} as const;
export const PERF_IOC_FLAG_GROUP = 1;

// struct perf_event_attr as modelled here: copying it in from the caller (EFAULT on unreadable fields), validation and defaults.
import { describeThrown, kerr } from '@cspmu/kernel';
import { PERF_FORMAT_GROUP, PERF_FORMAT_ID, PERF_FORMAT_TOTAL_TIME_ENABLED, PERF_FORMAT_TOTAL_TIME_RUNNING } from './constants.js';

/** The parts of `struct perf_event_attr` this emulation models. */
export interface PerfEventAttr {
  readonly type: number;
  readonly config: bigint;
  readonly config1?: bigint;
  readonly config2?: bigint;
  readonly config3?: bigint;
  readonly sample_period?: number;
  readonly sample_freq?: number;
  readonly freq?: boolean;
  readonly read_format?: number;
  readonly disabled?: boolean;
  readonly pinned?: boolean;
  readonly exclusive?: boolean;
  readonly inherit?: boolean;
  readonly exclude_user?: boolean;
  readonly exclude_kernel?: boolean;
  readonly exclude_hv?: boolean;
  readonly exclude_idle?: boolean;
  readonly exclude_host?: boolean;
  readonly exclude_guest?: boolean;
}

/** The attr with every optional field filled. */
export type FullAttr = Required<PerfEventAttr>;

const U64_MAX = (1n << 64n) - 1n;
const READ_FORMAT_KNOWN = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID | PERF_FORMAT_GROUP;
const BOOLS = [
  'freq',
  'disabled',
  'pinned',
  'exclusive',
  'inherit',
  'exclude_user',
  'exclude_kernel',
  'exclude_hv',
  'exclude_idle',
  'exclude_host',
  'exclude_guest',
] as const;

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'object' && v !== null ? 'an object' : describeThrown(v));

function u64(name: 'config' | 'config1' | 'config2' | 'config3', v: unknown): bigint {
  if (v === undefined) return 0n;
  // Most of the four are 0: one comparison settles those, where the range takes two (each a call into the runtime).
  if (typeof v !== 'bigint' || (v !== 0n && (v < 0n || v > U64_MAX))) throw kerr('EINVAL', `attr.${name} must be a bigint from 0 to 2^64-1, got ${show(v)}`);
  return v;
}

function uint(name: string, v: unknown): number {
  if (v === undefined) return 0;
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw kerr('EINVAL', `attr.${name} must be a non-negative integer, got ${show(v)}`);
  return v as number;
}

function bool(name: (typeof BOOLS)[number], v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw kerr('EINVAL', `attr.${name} must be a boolean, got ${show(v)}`);
  return v;
}

/**
 * Absent, or a bigint from 0 to 2^64-1: one that its low 64 bits give back whole. No comparison with a bigint
 * bound: V8 makes that a call into a builtin (BigIntLessThanOrEqual) on every open, where it does asUintN inline.
 */
const plainU64 = (v: unknown): boolean => v === undefined || (typeof v === 'bigint' && BigInt.asUintN(64, v) === v);
/** Absent, or a non-negative safe integer. */
const plainUint = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
const plainBool = (v: unknown): boolean => v === undefined || typeof v === 'boolean';

/**
 * Check an attr field by field (EINVAL naming the field) and fill the
 * defaults. Every field is read once first, as copy_from_user does: a
 * getter that throws or a Proxy that refuses is EFAULT, as unreadable user
 * memory is, and nothing is read from the caller's object afterwards.
 *
 * An attr whose every field is plainly well-formed (what perf, and any
 * caller not probing the checks, passes) is settled by one expression of
 * tests small enough for V8 to inline whole, and built directly; anything
 * else goes to `checkFields`, which decides and names the first bad field
 * in the kernel's order. The expression only ever says "plainly fine":
 * what it turns away, checkFields still accepts if it should (a null
 * config, for one).
 */
export function normalizeAttr(attrIn: PerfEventAttr): FullAttr {
  if (typeof attrIn !== 'object' || attrIn === null) throw kerr('EINVAL', 'perf_event_attr must be an object');
  const u = attrIn as Record<keyof PerfEventAttr, never>;
  let type: unknown, config: unknown, config1: unknown, config2: unknown, config3: unknown, sample_period: unknown, sample_freq: unknown;
  let read_format: unknown, freq: unknown, disabled: unknown, pinned: unknown, exclusive: unknown, inherit: unknown, exclude_user: unknown;
  let exclude_kernel: unknown, exclude_hv: unknown, exclude_idle: unknown, exclude_host: unknown, exclude_guest: unknown;
  try {
    type = u.type;
    config = u.config;
    config1 = u.config1;
    config2 = u.config2;
    config3 = u.config3;
    sample_period = u.sample_period;
    sample_freq = u.sample_freq;
    read_format = u.read_format;
    freq = u.freq;
    disabled = u.disabled;
    pinned = u.pinned;
    exclusive = u.exclusive;
    inherit = u.inherit;
    exclude_user = u.exclude_user;
    exclude_kernel = u.exclude_kernel;
    exclude_hv = u.exclude_hv;
    exclude_idle = u.exclude_idle;
    exclude_host = u.exclude_host;
    exclude_guest = u.exclude_guest;
  } catch (e) {
    throw kerr('EFAULT', `perf_event_attr cannot be read: ${describeThrown(e)}`, e);
  }
  if (
    typeof type === 'number' &&
    type >>> 0 === type &&
    plainU64(config) &&
    (read_format === undefined || (typeof read_format === 'number' && read_format >>> 0 === read_format && (read_format & ~READ_FORMAT_KNOWN) === 0)) &&
    plainU64(config1) &&
    plainU64(config2) &&
    plainU64(config3) &&
    plainUint(sample_period) &&
    plainUint(sample_freq) &&
    plainBool(freq) &&
    plainBool(disabled) &&
    plainBool(pinned) &&
    plainBool(exclusive) &&
    plainBool(inherit) &&
    plainBool(exclude_user) &&
    plainBool(exclude_kernel) &&
    plainBool(exclude_hv) &&
    plainBool(exclude_idle) &&
    plainBool(exclude_host) &&
    plainBool(exclude_guest)
  ) {
    return {
      type,
      config: config === undefined ? 0n : (config as bigint),
      config1: config1 === undefined ? 0n : (config1 as bigint),
      config2: config2 === undefined ? 0n : (config2 as bigint),
      config3: config3 === undefined ? 0n : (config3 as bigint),
      sample_period: sample_period === undefined ? 0 : (sample_period as number),
      sample_freq: sample_freq === undefined ? 0 : (sample_freq as number),
      read_format: read_format === undefined ? 0 : read_format,
      freq: freq === true,
      disabled: disabled === true,
      pinned: pinned === true,
      exclusive: exclusive === true,
      inherit: inherit === true,
      exclude_user: exclude_user === true,
      exclude_kernel: exclude_kernel === true,
      exclude_hv: exclude_hv === true,
      exclude_idle: exclude_idle === true,
      exclude_host: exclude_host === true,
      exclude_guest: exclude_guest === true,
    };
  }
  return checkFields(
    type,
    config,
    config1,
    config2,
    config3,
    sample_period,
    sample_freq,
    read_format,
    freq,
    disabled,
    pinned,
    exclusive,
    inherit,
    exclude_user,
    exclude_kernel,
    exclude_hv,
    exclude_idle,
    exclude_host,
    exclude_guest,
  );
}

/** The field-by-field check, in the kernel's order: the first bad field is EINVAL with its name. */
function checkFields(
  type: unknown,
  config: unknown,
  config1: unknown,
  config2: unknown,
  config3: unknown,
  sample_period: unknown,
  sample_freq: unknown,
  read_format: unknown,
  freq: unknown,
  disabled: unknown,
  pinned: unknown,
  exclusive: unknown,
  inherit: unknown,
  exclude_user: unknown,
  exclude_kernel: unknown,
  exclude_hv: unknown,
  exclude_idle: unknown,
  exclude_host: unknown,
  exclude_guest: unknown,
): FullAttr {
  if (!Number.isInteger(type) || (type as number) < 0 || (type as number) > 0xffffffff) throw kerr('EINVAL', `attr.type must be a u32, got ${show(type)}`);
  const cfg = u64('config', config ?? 0n);
  const rf = uint('read_format', read_format);
  // read_format is a u64: bits above 31 are unknown too (a bitwise & alone would see only the low 32).
  const unknownBits = rf - (rf & READ_FORMAT_KNOWN);
  if (unknownBits !== 0) throw kerr('EINVAL', `attr.read_format has unknown bits 0x${unknownBits.toString(16)}`);
  return {
    type: type as number,
    config: cfg,
    config1: u64('config1', config1),
    config2: u64('config2', config2),
    config3: u64('config3', config3),
    sample_period: uint('sample_period', sample_period),
    sample_freq: uint('sample_freq', sample_freq),
    read_format: rf,
    freq: bool('freq', freq),
    disabled: bool('disabled', disabled),
    pinned: bool('pinned', pinned),
    exclusive: bool('exclusive', exclusive),
    inherit: bool('inherit', inherit),
    exclude_user: bool('exclude_user', exclude_user),
    exclude_kernel: bool('exclude_kernel', exclude_kernel),
    exclude_hv: bool('exclude_hv', exclude_hv),
    exclude_idle: bool('exclude_idle', exclude_idle),
    exclude_host: bool('exclude_host', exclude_host),
    exclude_guest: bool('exclude_guest', exclude_guest),
  };
}

export function isSampling(a: FullAttr): boolean {
  return a.sample_period !== 0 || a.sample_freq !== 0 || a.freq;
}

export function hasExcludeBits(a: FullAttr): boolean {
  return a.exclude_user || a.exclude_kernel || a.exclude_hv || a.exclude_idle || a.exclude_host || a.exclude_guest;
}

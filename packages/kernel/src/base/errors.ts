// Kernel errors: errno values by name, the KernelError that carries one, and helpers that wrap, describe and list failures.
/** Linux errno values the emulated kernel uses, by name. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENOEXEC: 8,
  EBADF: 9,
  ENXIO: 6,
  EAGAIN: 11,
  /** EAGAIN's other name: the kernel's delete_module returns it for a module in use. */
  EWOULDBLOCK: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  ERANGE: 34,
  EDEADLK: 35,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  EPROBE_DEFER: 517,
} as const;

export type ErrnoName = keyof typeof ERRNO;

// A number with two names (EAGAIN, EWOULDBLOCK) is known by the first, as glibc's strerrorname_np gives it.
const NAME_BY_NUMBER = new Map<number, ErrnoName>();
for (const name of Object.keys(ERRNO) as ErrnoName[]) if (!NAME_BY_NUMBER.has(ERRNO[name])) NAME_BY_NUMBER.set(ERRNO[name], name);

export function errnoName(errno: number): ErrnoName | undefined {
  return NAME_BY_NUMBER.get(Math.abs(errno));
}

/**
 * The one error type of the emulated kernel. `errno` is the positive number,
 * `code` its name; the message says what was wrong and what to do about it.
 */
export class KernelError extends Error {
  readonly code: ErrnoName;
  readonly errno: number;
  /** The message without the errno prefix. */
  readonly detail: string;

  constructor(code: ErrnoName, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'KernelError';
    this.code = code;
    this.detail = message;
    this.errno = ERRNO[code];
  }

  /** The kernel-style negative return value. */
  get ret(): number {
    return -this.errno;
  }
}

export function kerr(code: ErrnoName, message: string, cause?: unknown): KernelError {
  return new KernelError(code, message, cause === undefined ? undefined : { cause });
}

export function isKernelError(e: unknown, code?: ErrnoName): e is KernelError {
  return e instanceof KernelError && (code === undefined || e.code === code);
}

/**
 * Text for anything thrown, never throwing itself: a value whose toString
 * throws, a null-prototype object, a revoked Proxy or a Symbol all get a
 * description. Long texts are cut.
 */
export function describeThrown(e: unknown): string {
  let text: string;
  try {
    if (e instanceof Error) text = String(e.message);
    else if (typeof e === 'symbol') text = e.toString();
    else text = String(e);
  } catch {
    let kind: string;
    try {
      kind = e === null ? 'null' : typeof e;
    } catch {
      kind = 'value';
    }
    text = `a thrown ${kind} that cannot be turned into text`;
  }
  return text.length > MAX_THROWN_TEXT ? `${text.slice(0, MAX_THROWN_TEXT)}… (${text.length} characters)` : text;
}

const MAX_THROWN_TEXT = 1000;

/**
 * A short description of an argument for an error message, never throwing:
 * numbers, booleans, null and undefined as they print, a bigint with its n,
 * a string quoted (cut at 64 characters), anything else by its kind (its
 * toString may throw, or print a whole object).
 */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'string':
      return v.length > 64 ? `'${v.slice(0, 64)}…'` : `'${v}'`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (v === null) return 'null';
      try {
        return Array.isArray(v) ? 'an array' : 'an object';
      } catch {
        return 'an object';
      }
  }
}

/** Wrap anything thrown into a KernelError, keeping KernelErrors as they are. */
export function asKernelError(e: unknown, code: ErrnoName, context: string): KernelError {
  if (e instanceof KernelError) return e;
  return new KernelError(code, `${context}: ${describeThrown(e)}`, { cause: e });
}

/** How many problems an error message lists before it says "and K more". */
export const MAX_LISTED_PROBLEMS = 10;

/** Problems joined with `separator`, the first `max` of them, then "and K more": error messages stay bounded. */
export function listProblems(problems: readonly string[], max = MAX_LISTED_PROBLEMS, separator = '; '): string {
  if (problems.length <= max) return problems.join(separator);
  return `${problems.slice(0, max).join(separator)}${separator}and ${problems.length - max} more`;
}

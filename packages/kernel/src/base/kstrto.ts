// Parsing integers written to sysfs and sysctl files the way the kernel's kstrtoint does: base prefixes, one trailing newline, range errors.
import { kerr } from './errors.js';

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;

/**
 * kstrtoint(text, 0): an optional sign, then decimal, 0x hex or 0 octal, and
 * at most one trailing newline. EINVAL if it is not a number, ERANGE if it
 * does not fit a C int.
 */
export function kstrtoint(text: string, what: string): number {
  const body = typeof text === 'string' && text.endsWith('\n') ? text.slice(0, -1) : text;
  const m = typeof body === 'string' && body.length <= 64 ? /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(body) : null;
  if (!m) throw kerr('EINVAL', `${what}: '${String(body).slice(0, 64)}' is not an integer`);
  const digits = m[2]!;
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const v = m[1] === '-' ? -magnitude : magnitude;
  if (v < BigInt(INT_MIN) || v > BigInt(INT_MAX)) throw kerr('ERANGE', `${what}: ${body} does not fit an int (${INT_MIN} to ${INT_MAX})`);
  return Number(v);
}

import { readFileSync } from 'node:fs';
import pc from 'picocolors';
import { kerr } from '@cspmu/kernel';

/** Colours only on a TTY and never with NO_COLOR. */
export function colours(stream: NodeJS.WriteStream): ReturnType<typeof pc.createColors> {
  return pc.createColors(!!stream.isTTY && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb');
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9 };

/** `100ms`, `1.5s`, `250us`, `2m`, or a bare number of seconds, as nanoseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m)?$/.exec(text.trim());
  if (!m) throw kerr('EINVAL', `${what} '${text}' is not a time; use e.g. 100ms, 1.5s, 250us or 2m`);
  const ns = Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
  if (!Number.isSafeInteger(ns) || ns <= 0) throw kerr('EINVAL', `${what} '${text}' must be positive and below 104 days`);
  return ns;
}

/** Read a JSON file, with errors that say which file and what is wrong. */
export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw kerr('ENOENT', `cannot read ${what} file '${path}': ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw kerr('EINVAL', `${what} file '${path}' is not valid JSON: ${(e as Error).message}`);
  }
}

/** 1234567 → "1,234,567" (as perf prints counts). */
export function groupDigits(n: number, decimals = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

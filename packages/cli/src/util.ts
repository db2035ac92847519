// Small CLI helpers: colours only on a TTY, durations like 100ms, the --max-input-bytes cap on files read, and the --max-pmus cap.
import { type PmuCapOptions, pmuCap } from '@cspmu/hw';
import { DEFAULT_MAX_INPUT_BYTES, kerr, readRegularFile } from '@cspmu/kernel';
import pc from 'picocolors';

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

let maxInputBytes = DEFAULT_MAX_INPUT_BYTES;

/** The global --max-input-bytes: the size cap on every file the command reads. */
export function setMaxInputBytes(text: string | undefined): void {
  if (text === undefined) return;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw kerr('EINVAL', `--max-input-bytes '${text}' is not a whole number of bytes`);
  maxInputBytes = n;
}

let pmuCapOptions: PmuCapOptions = {};

/** The global --max-pmus: the cap on PMU devices in a platform and nodes read from an APMT. */
export function setMaxPmus(text: string | undefined): void {
  if (text === undefined) return;
  if (!/^\d+$/.test(text)) throw kerr('EINVAL', `--max-pmus '${text}' is not a whole number of PMU devices`);
  pmuCapOptions = { maxPmus: pmuCap({ maxPmus: Number(text) }) };
}

/** The cap as loadPlatform, parseApmt and Machine.boot take it. */
export function pmuCapFlag(): PmuCapOptions {
  return pmuCapOptions;
}

/** A file input's bytes: a regular file under the --max-input-bytes cap, or EINVAL saying what it is. */
export function readInputFile(path: string, what: string): Buffer {
  return readRegularFile(path, { what, maxBytes: maxInputBytes, raiseWith: `--max-input-bytes (now ${maxInputBytes})` });
}

/** Read a JSON file, with errors that say which file and what is wrong. */
export function readJson(path: string, what: string): unknown {
  const text = readInputFile(path, `${what} file`).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw kerr('EINVAL', `${what} file '${path}' is not valid JSON: ${(e as Error).message}`);
  }
}

// The format codec: parsing sysfs format/ files (config1:0-9), and encoding a value into its config bits and decoding it back.
import { kerr } from '@cspmu/kernel';

export type ConfigField = 'config' | 'config1' | 'config2' | 'config3';

/** A parsed `format/<name>` file: which config word and which bits, lowest first. */
export interface FormatField {
  readonly name: string;
  readonly config: ConfigField;
  readonly bits: readonly number[];
}

/** Parse `config1:0-9`, `config:0-7,32-35`, `config2:5` (decimal bits, ranges and singles). */
export function parseFormat(name: string, text: string): FormatField {
  const m = /^(config[123]?):([0-9,\s-]+)$/.exec(text.trim());
  if (!m) throw kerr('EINVAL', `format '${name}': '${text.trim()}' is not CONFIG:BITS (e.g. config1:0-9)`);
  // Bits seen, as two 32-bit masks: a listed bit may repeat or ranges overlap, and the field lists each once, lowest first.
  let low = 0;
  let high = 0;
  for (const part of m[2]!.split(',')) {
    const r = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!r) throw kerr('EINVAL', `format '${name}': bad bit list '${m[2]}'`);
    const lo = Number(r[1]);
    const hi = r[2] === undefined ? lo : Number(r[2]);
    if (hi < lo || hi > 63) throw kerr('EINVAL', `format '${name}': bits ${part.trim()} are out of 0-63 or reversed`);
    for (let b = lo; b <= hi; b++) {
      if (b < 32) low |= 1 << b;
      else high |= 1 << (b - 32);
    }
  }
  const bits: number[] = [];
  for (let b = 0; b < 32; b++) if ((low >>> b) & 1) bits.push(b);
  for (let b = 0; b < 32; b++) if ((high >>> b) & 1) bits.push(b + 32);
  return { name, config: m[1] as ConfigField, bits };
}

/** Parsed fields by text, then name: every machine's grammar parses the same few format files (see parsedFormat). */
const parsed = new Map<string, Map<string, FormatField>>();
let parsedCount = 0;
/** A bound on what the cache keeps: past it, it starts over (a process meets a few dozen format files). */
const PARSED_MAX = 4096;

/**
 * parseFormat, remembered: a grammar is built for each machine and PMU set, from format
 * files that repeat across machines. The fields are shared, so frozen; a text that
 * does not parse is not kept, and throws each time, as parseFormat does.
 */
export function parsedFormat(name: string, text: string): FormatField {
  let byName = parsed.get(text);
  const known = byName?.get(name);
  if (known !== undefined) return known;
  const f = parseFormat(name, text);
  Object.freeze(f.bits);
  Object.freeze(f);
  if (parsedCount >= PARSED_MAX) {
    parsed.clear();
    parsedCount = 0;
    byName = undefined;
  }
  if (byName === undefined) parsed.set(text, (byName = new Map()));
  byName.set(name, f);
  parsedCount++;
  return f;
}

/** The format file's text for a field (contiguous runs as ranges). */
export function formatText(config: ConfigField, bits: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bits.length; ) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === bits[j]! + 1) j++;
    parts.push(i === j ? `${bits[i]}` : `${bits[i]}-${bits[j]}`);
    i = j + 1;
  }
  return `${config}:${parts.join(',')}`;
}

/** Largest value a field holds. */
export function formatMax(f: FormatField): bigint {
  return (1n << BigInt(f.bits.length)) - 1n;
}

/** Scatter `value` into the field's bits, lowest bit first; EINVAL if it is negative or does not fit. */
export function encodeFormat(f: FormatField, value: bigint): bigint {
  const max = formatMax(f);
  if (value < 0n) throw kerr('EINVAL', `value ${value} is negative: format (${f.name}) takes 0 to ${max}`);
  if (value > max) throw kerr('EINVAL', `value too big for format (${f.name}), maximum is ${max}`);
  // A run of consecutive field bits takes the value's bits in one shift (most fields are one run); bit by bit was a few BigInts a bit.
  const bits = f.bits;
  let out = 0n;
  for (let i = 0; i < bits.length; ) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === bits[j]! + 1) j++;
    out |= BigInt.asUintN(j - i + 1, value >> BigInt(i)) << BigInt(bits[i]!);
    i = j + 1;
  }
  return out;
}

/** Gather a field's value back out of a config word. */
export function decodeFormat(f: FormatField, word: bigint): bigint {
  let v = 0n;
  for (let i = 0; i < f.bits.length; i++) if ((word >> BigInt(f.bits[i]!)) & 1n) v |= 1n << BigInt(i);
  return v;
}

/** The mask of a field's bits in its config word. */
export function formatMask(f: FormatField): bigint {
  return f.bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);
}

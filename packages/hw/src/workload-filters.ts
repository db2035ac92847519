// Filters in the workload model: which bits of which filter register a stream's traffic depends on, and how a counter's registers pick its rate.
import { kerr } from '@cspmu/kernel';

/**
 * The register words a counter's rate may depend on, in one array:
 * PMEVFILTR low and high word (PMCCFILTR on the cycle counter), PMEVFILT2R
 * low and high word, then PMIMPDEF0..31 of page 0 (shared by every counter).
 */
export const WORD = { filter: 0, filter2: 2, impdef: 4 } as const;
export const FILTER_WORDS = 4 + 32;

/** A field of a filter register: `bits` bits from bit `shift` of word `word` (may run into the next word). */
export interface FilterField {
  readonly text: string;
  readonly word: number;
  readonly shift: number;
  readonly width: number;
}

/** What a condition asks of a field: equal to a value, some bit of a mask set, or no bit of it set. */
export interface FilterCondition {
  readonly field: FilterField;
  readonly test: 'equals' | 'anyBit' | 'noBit';
  readonly value: number;
}

/** How a stream's rate follows the filters: a fixed rate, a rate per set bit (summed), or a rate per field value. */
export type RateShape =
  | { readonly kind: 'fixed'; readonly rate: number }
  | { readonly kind: 'bits'; readonly field: FilterField; readonly rates: readonly number[] }
  | { readonly kind: 'values'; readonly field: FilterField; readonly rates: ReadonlyMap<number, number>; readonly otherwise: number };

const FIELD_RE = /^(filter2|filter|impdef([0-9]|[12][0-9]|3[01]))(?::([0-9]{1,2})(?:-([0-9]{1,2}))?)?$/;

/**
 * Parse a field reference as format files write them: `register[:lo[-hi]]`,
 * register `filter` (PMEVFILTR, or PMCCFILTR for the cycle counter),
 * `filter2` (PMEVFILT2R) or `impdef0`..`impdef31` (PMIMPDEF words). Without
 * bits the field is the register's low 32 bits. Fields are at most 32 bits
 * wide; filter registers have 64 bits (FEAT_CSPMU_EXT64), PMIMPDEF words 32.
 */
export function parseField(text: string, where: string): FilterField {
  const m = FIELD_RE.exec(text);
  if (!m) throw kerr('EINVAL', `${where}: '${text}' is not a field: write filter, filter2 or impdef0..impdef31, optionally with bits (filter:0-9)`);
  const reg = m[1]!;
  const lo = m[3] === undefined ? 0 : Number(m[3]);
  const hi = m[3] === undefined ? 31 : m[4] === undefined ? lo : Number(m[4]);
  const top = reg.startsWith('impdef') ? 31 : 63;
  if (lo > hi || hi > top) throw kerr('EINVAL', `${where}: bits ${lo}-${hi} of ${reg} do not exist (bits 0-${top}, low bit first)`);
  if (hi - lo + 1 > 32) throw kerr('EINVAL', `${where}: field ${text} is ${hi - lo + 1} bits wide; a field has at most 32`);
  const word = reg === 'filter' ? WORD.filter : reg === 'filter2' ? WORD.filter2 : WORD.impdef + Number(m[2]);
  return { text, word: word + (lo >= 32 ? 1 : 0), shift: lo & 31, width: hi - lo + 1 };
}

/** The field's value in `words` (see WORD). */
export function fieldValue(f: FilterField, words: ArrayLike<number>): number {
  const lo = (words[f.word] ?? 0) >>> f.shift;
  const spill = f.shift + f.width - 32;
  if (spill <= 0) return f.width === 32 ? lo >>> 0 : (lo & ((1 << f.width) - 1)) >>> 0;
  const hi = (words[f.word + 1] ?? 0) & ((1 << spill) - 1);
  return lo + hi * 2 ** (32 - f.shift);
}

/** True if every condition holds for these register words. */
export function conditionsHold(conds: readonly FilterCondition[], words: ArrayLike<number>): boolean {
  for (const c of conds) {
    const v = fieldValue(c.field, words);
    if (c.test === 'equals' ? v !== c.value : c.test === 'anyBit' ? and32(v, c.value) === 0 : and32(v, c.value) !== 0) return false;
  }
  return true;
}

/** The shape's rate for these register words. */
export function shapeRate(s: RateShape, words: ArrayLike<number>): number {
  if (s.kind === 'fixed') return s.rate;
  const v = fieldValue(s.field, words);
  if (s.kind === 'values') return s.rates.get(v) ?? s.otherwise;
  let r = 0;
  for (let bit = 0; bit < s.rates.length; bit++) if (Math.floor(v / 2 ** bit) % 2 === 1) r += s.rates[bit]!;
  return r;
}

function and32(a: number, b: number): number {
  return (a & b) >>> 0;
}

/** A value given for a field: it must fit the field's width. */
export function fieldConstant(f: FilterField, v: number, where: string): number {
  if (v >= 2 ** f.width) throw kerr('EINVAL', `${where}: 0x${v.toString(16)} does not fit field ${f.text} (${f.width} bits)`);
  return v;
}

/** The PMIMPDEF words a field reads (none for the counter's own filters). */
export function impdefWordsOf(f: FilterField): number[] {
  if (f.word < WORD.impdef) return [];
  return [f.word - WORD.impdef];
}

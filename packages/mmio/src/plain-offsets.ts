// Which byte offsets of an ioremapped page readl may read straight from the device's state, as a string V8 can read while compiling, and the rule that keeps it true (a mapped device's plain set never changes).
import { kerr } from '@cspmu/kernel';
import { PAGE_SIZE } from './address-map.js';

const WORDS_PER_PAGE = PAGE_SIZE / 4;
const PLAIN_WORD = 'p---';
const OTHER_WORD = '----';

/** What is made once per table, for pages without a read shadow (no offset is plain). */
let forNoShadow: unknown;

/** Per bits array of a device's read shadow: the bits as first mapped, and per first word of a page in it, what was made from that page's table. */
const made = new WeakMap<Uint32Array, { readonly asFirstMapped: Uint32Array; readonly perPage: Map<number, unknown> }>();

/**
 * Refuse to map `device` again if its read shadow's bits changed since they
 * were first mapped. The tables made from them (and the direct and traced
 * readl made from each table) are fixed when a page is first mapped, so a
 * changed bit would let readl skip a register's side effects, or send a
 * plain read the long way:
 * which words are plain must stay fixed for the device's life (a device
 * whose plain set can change offers no read shadow). Checked by ioremap
 * before it changes anything; a mapping made before the change cannot be
 * mended, which is why the rule is refused loudly at the next ioremap.
 */
export function checkShadowUnchanged(owner: string, device: { readonly name: string; readonly readShadow?: { readonly bits: Uint32Array } }): void {
  const bits = device.readShadow?.bits;
  if (bits === undefined) return;
  const first = made.get(bits)?.asFirstMapped;
  if (first === undefined) return;
  for (let i = 0; i < first.length || i < bits.length; i++) {
    const changed = ((first[i] ?? 0) ^ (bits[i] ?? 0)) >>> 0;
    if (changed !== 0) {
      const word = i * 32 + 31 - Math.clz32(changed & -changed);
      throw kerr(
        'EINVAL',
        `ioremap for ${owner}: device ${device.name} changed which registers are plain reads (offset 0x${(word * 4).toString(16)}) after it was first mapped; ` +
          "a read shadow's bits must stay as they were when the device was first mapped: a device whose plain registers can change must offer no read shadow",
      );
    }
  }
}

/**
 * `make(table)`, made once for each page of each register layout (every
 * device of one kind shares it), where `table` is the page's plain offsets:
 * character `o` is 'p' exactly when a 32-bit read at byte offset `o` may
 * return the device's state word (`o` is 4-aligned and the word's bit is set
 * in `bits`, which begins at word `firstWord` of the device), '-' otherwise;
 * words past the device are not plain; without `bits`, none is.
 *
 * A string, not a typed array: where V8 knows the string and the offset
 * while compiling a caller (a constant offset, and the table a constant of
 * the accessor it inlines), it reads the character then and drops the branch
 * to the device, and with it the call that branch makes (a call anywhere in
 * a caller's loop makes V8 keep that loop's values in memory around it). V8
 * reads characters while compiling only of internalized strings, hence the
 * round trip through a property name.
 */
export function madeForPlainOffsets<T>(bits: Uint32Array | undefined, firstWord: number, make: (table: string) => T): T {
  if (bits === undefined) {
    forNoShadow ??= make(internalized(OTHER_WORD.repeat(WORDS_PER_PAGE)));
    return forNoShadow as T;
  }
  let entry = made.get(bits);
  if (entry === undefined) {
    entry = { asFirstMapped: bits.slice(), perPage: new Map() };
    made.set(bits, entry);
  }
  const perPage = entry.perPage;
  let it = perPage.get(firstWord) as T | undefined;
  if (it === undefined) {
    const words = new Array<string>(WORDS_PER_PAGE);
    for (let i = 0; i < WORDS_PER_PAGE; i++) {
      const w = firstWord + i;
      words[i] = ((bits[w >>> 5] ?? 0) >>> (w & 31)) & 1 ? PLAIN_WORD : OTHER_WORD;
    }
    it = make(internalized(words.join('')));
    perPage.set(firstWord, it);
  }
  return it;
}

/** `s` as V8's string table holds it: a string used as a property name is internalized, and Object.keys returns that copy. */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

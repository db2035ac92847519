// Which byte offsets of an ioremapped page readl may read straight from the device's state, as a string V8 can read while compiling.
import { PAGE_SIZE } from './address-map.js';

const WORDS_PER_PAGE = PAGE_SIZE / 4;
const PLAIN_WORD = 'p---';
const OTHER_WORD = '----';

/** Pages whose device has no read shadow: no offset is plain. */
export const NO_PLAIN_OFFSETS = internalized(OTHER_WORD.repeat(WORDS_PER_PAGE));

/** Per bits array of a device's read shadow, and per first word of a page in it: that page's table. */
const tables = new WeakMap<Uint32Array, Map<number, string>>();

/**
 * The page's plain offsets: character `o` is 'p' exactly when a 32-bit read
 * at byte offset `o` of the page may return the device's state word (`o` is
 * 4-aligned and the word's bit is set in `bits`, which begins at word
 * `firstWord` of the device), and '-' otherwise; words past the device are
 * not plain. A string, not a typed array, so that where V8 knows the mapping
 * and the offset while compiling a caller (a constant mapping read at a
 * constant offset), it reads the character then and drops the branch to the
 * device, and with it the call that branch makes: a call anywhere in a
 * caller's loop makes V8 keep that loop's values in memory around it. V8
 * reads characters while compiling only of internalized strings, hence the
 * round trip through a property name. One table per page of each shared
 * register layout: every device of one kind shares it.
 */
export function plainOffsets(bits: Uint32Array, firstWord: number): string {
  let perPage = tables.get(bits);
  if (perPage === undefined) {
    perPage = new Map();
    tables.set(bits, perPage);
  }
  let table = perPage.get(firstWord);
  if (table === undefined) {
    const words = new Array<string>(WORDS_PER_PAGE);
    for (let i = 0; i < WORDS_PER_PAGE; i++) {
      const w = firstWord + i;
      words[i] = ((bits[w >>> 5] ?? 0) >>> (w & 31)) & 1 ? PLAIN_WORD : OTHER_WORD;
    }
    table = internalized(words.join(''));
    perPage.set(firstWord, table);
  }
  return table;
}

/** `s` as V8's string table holds it: a string used as a property name is internalized, and Object.keys returns that copy. */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

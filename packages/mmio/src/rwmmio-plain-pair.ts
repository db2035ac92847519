// The traced read of a plain register: both rwmmio read records written in one run of stores into the ring it was made for.
import type { CallStack, RingBuffer, TraceFs } from '@cspmu/kernel';
import type { RwmmioTracepoints } from './rwmmio.js';

/** A traced 32-bit read of a plain register: its state words and word, the address halves, the device's name id; returns the value. */
export type PlainRead = (words: Uint32Array, word: number, addrLo: number, addrHi: number, devId: number) => number;

/**
 * The plain read's pair writer for `ring`. Everything it writes through is
 * a const of this closure (the ring's two views, its mask, both event ids),
 * so where V8 knows the function (a monomorphic call, which it inlines) it
 * knows the arrays' lengths and the indices' ranges while compiling and
 * drops every store's bounds check. A read is the load between the two
 * records (no code runs there). With both tracepoints on and unfiltered,
 * and room for both, the two records are claimed at once; otherwise, or
 * once the trace directory has a new ring, rw.read32PlainEach writes them
 * one at a time (and makes a writer for the new ring). The post-read
 * record carries the fields of both (rwmmio_read's are caller0, caller,
 * width, addr and dev, all of them post_read's too), so the read record is
 * its time and header, linked to it (LINK_WORD). Each field is one 32-bit
 * word at the word RecordLayout gives it (no double field, so the words
 * follow the field order from word 3): caller0 3, caller 4, width 5, val
 * 6-7, addr 8-9, dev 10. The address halves and the device id may come as
 * int32 patterns (`| 0`, which a call passes unboxed): a word store keeps
 * the same 32 bits. V8 inlines a function only under 460 bytes of bytecode,
 * and read32Plain is just under it: a store or branch more here and it is
 * called, not inlined, and the bounds checks come back (about 2.5x slower;
 * only the mmio_on figure shows it).
 */
export function plainPairWriter(rw: RwmmioTracepoints, fs: TraceFs, calls: CallStack, ring: RingBuffer): PlainRead {
  const u = ring.words;
  const d = ring.doubles;
  // Under 2^24 (the capacity's limit): saying so lets V8 drop the overflow checks on the records' indices.
  const mask = ring.mask & 0xffffff;
  const read = rw.read;
  const post = rw.postRead;
  const readId = read.id;
  const postId = post.id;
  const now = fs.now;
  const cpuNow = fs.cpu;
  return function read32Plain(words: Uint32Array, word: number, addrLo: number, addrHi: number, devId: number): number {
    // The CPU and the clock are asked before any record is claimed: if either throws, no claimed slot keeps an older lap's record.
    const cpu = cpuNow() << 16;
    const t0 = now();
    const t1 = now();
    const w = rw.readPairDirect === true && fs.ring === ring ? ring.claim(2) : -1;
    if (w < 0) return rw.read32PlainEach(words, word, addrLo, addrHi, devId);
    const caller0 = calls.parent();
    const caller = calls.current();
    read.hits++;
    post.hits++;
    const v = words[word]!;
    // Literals (see RingBuffer.reserve): 12 words a record, its time the double at half its first word.
    const b = (w & mask) * 12;
    const p = ((w + 1) & mask) * 12;
    // The read record is its time and header: its fields are the post-read record's (LINK_WORD 1), which is held whenever it is.
    d[b >> 1] = t0;
    u[b + 2] = readId | cpu;
    u[b + 11] = 1;
    d[p >> 1] = t1;
    u[p + 2] = postId | cpu;
    u[p + 3] = caller0;
    u[p + 4] = caller;
    u[p + 5] = 32;
    u[p + 6] = v;
    u[p + 7] = 0;
    u[p + 8] = addrLo;
    u[p + 9] = addrHi;
    u[p + 10] = devId;
    u[p + 11] = 0;
    return v;
  };
}

// The kernel's IDA: an allocator of small integer ids, lowest free first, with explicit claims.
import { kerr } from './errors.js';

/**
 * An ID allocator that hands out the lowest free id at or above a minimum
 * (the kernel's IDA). Freed ids are reused smallest first; ids claimed
 * explicitly are never handed out until freed.
 */
export class Ida {
  private readonly used = new Set<number>();
  /** Freed ids below `next`, as a min-heap; entries claimed again since are skipped lazily. */
  private readonly freed: number[] = [];
  private next: number;

  constructor(readonly min = 0) {
    if (!Number.isSafeInteger(min) || min < 0) throw kerr('EINVAL', `an IDA's minimum must be a non-negative integer, got ${min}`);
    this.next = min;
  }

  /** The lowest free id at or above `min`, now taken. */
  alloc(): number {
    const h = this.freed;
    while (h.length > 0) {
      const id = this.popMin();
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
    while (this.used.has(this.next)) this.next++;
    const id = this.next++;
    this.used.add(id);
    return id;
  }

  /** Take a given id; EEXIST if it is taken, EINVAL if it is below the minimum. */
  claim(id: number): void {
    if (!Number.isSafeInteger(id) || id < this.min) throw kerr('EINVAL', `id ${id} is below this IDA's minimum ${this.min}`);
    if (this.used.has(id)) throw kerr('EEXIST', `id ${id} is taken`);
    this.used.add(id);
  }

  /** Give an id back; EINVAL if it was not taken. */
  free(id: number): void {
    if (!this.used.delete(id)) throw kerr('EINVAL', `id ${id} is not allocated`);
    if (id < this.next) this.pushFreed(id);
  }

  has(id: number): boolean {
    return this.used.has(id);
  }

  private pushFreed(id: number): void {
    const h = this.freed;
    h.push(id);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p]! <= h[i]!) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private popMin(): number {
    const h = this.freed;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]! < h[m]!) m = l;
        if (r < h.length && h[r]! < h[m]!) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

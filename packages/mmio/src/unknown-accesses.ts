// Accesses a register bank saw at offsets with no register, counted per offset: the first offset in fields, a map only from a second.

export interface UnknownAccessCount {
  reads: number;
  writes: number;
}

/**
 * Per-offset counts of accesses to offsets with no register. Most banks that
 * see one see a single offset (a driver probing a register the device does
 * not have), so that offset's counts are kept in fields, and a map is made
 * only when a second offset is touched: a map and its table cost about 200
 * bytes, on every device a probe touches.
 */
export class UnknownAccesses {
  private offset = -1;
  private reads = 0;
  private writes = 0;
  private more: Map<number, UnknownAccessCount> | undefined;

  count(offset: number, write: boolean): void {
    if (this.offset === -1) this.offset = offset;
    if (offset === this.offset) {
      if (write) this.writes++;
      else this.reads++;
      return;
    }
    this.more ??= new Map();
    let n = this.more.get(offset);
    if (!n) this.more.set(offset, (n = { reads: 0, writes: 0 }));
    if (write) n.writes++;
    else n.reads++;
  }

  /** Every offset's counts, the first offset first (a copy: later accesses do not change it). */
  snapshot(): ReadonlyMap<number, UnknownAccessCount> {
    const out = new Map<number, UnknownAccessCount>();
    if (this.offset !== -1) out.set(this.offset, { reads: this.reads, writes: this.writes });
    if (this.more) for (const [o, n] of this.more) out.set(o, { reads: n.reads, writes: n.writes });
    return out;
  }
}

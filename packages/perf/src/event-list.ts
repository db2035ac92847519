// An intrusive list of perf events (the kernel's list_head): add, remove and membership in O(1), in insertion order, with nothing allocated.
import { kerr } from '@cspmu/kernel';
import type { PerfEvent } from './event.js';

/**
 * A list of events threaded through the events themselves, as the
 * kernel's list_head: adding and removing allocate nothing (a Set shrinks
 * and regrows its table each time it empties and fills again), membership is
 * one comparison, and iteration is in insertion order. The free path keeps
 * its sleeping frees on one (the core finds its open events through their
 * contexts and keeps no list of them); an event is on at most one list.
 */
export class EventList {
  private head: PerfEvent | undefined;
  private tail: PerfEvent | undefined;
  size = 0;

  constructor(readonly name: string) {}

  has(e: PerfEvent): boolean {
    return e.list === this;
  }

  add(e: PerfEvent): void {
    if (e.list !== undefined) throw kerr('EINVAL', `event ${e.id} is already on the ${e.list.name} list; it cannot join ${this.name}`);
    e.list = this;
    e.listPrev = this.tail;
    e.listNext = undefined;
    if (this.tail === undefined) this.head = e;
    else this.tail.listNext = e;
    this.tail = e;
    this.size++;
  }

  /** Take `e` off this list; false if it is not on it. */
  delete(e: PerfEvent): boolean {
    if (e.list !== this) return false;
    const { listPrev: prev, listNext: next } = e;
    if (prev === undefined) this.head = next;
    else prev.listNext = next;
    if (next === undefined) this.tail = prev;
    else next.listPrev = prev;
    e.list = undefined;
    e.listPrev = undefined;
    e.listNext = undefined;
    this.size--;
    return true;
  }

  toArray(): PerfEvent[] {
    const out: PerfEvent[] = [];
    for (let e = this.head; e !== undefined; e = e.listNext) out.push(e);
    return out;
  }
}

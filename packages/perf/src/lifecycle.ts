// The lifecycle events the perf core adds (PMU registration, event open, close and free, context migration), and how open and close fire theirs.
import type { Lifecycle, LifecycleInterest } from '@cspmu/kernel';
import type { PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';

declare module '@cspmu/kernel' {
  interface LifecycleEventMap {
    'pmu:registered': { pmu: string; type: number };
    'pmu:unregistered': { pmu: string; type: number };
    'event:opened': { id: number; pmu: string; cpu: number; config: string };
    'event:closed': { id: number; pmu: string };
    'event:freed': { id: number; pmu: string };
    'pmu:migrated': { pmu: string; from: number; to: number; events: number };
  }
}

/**
 * An event's open, close and free as lifecycle events, each payload built
 * only when something listens, records or traces: the interests answer
 * that without a lookup by event name on every open and close.
 */
export class EventLifecycle {
  // Declared and set in the constructor (see PmuCpuContext), so V8 keeps the fields' types.
  declare private readonly opened: LifecycleInterest;
  declare private readonly closed: LifecycleInterest;
  declare private readonly freed: LifecycleInterest;
  declare private readonly lc: Lifecycle;
  declare private readonly nameOf: (pmu: Pmu) => string;

  constructor(lc: Lifecycle, nameOf: (pmu: Pmu) => string) {
    this.lc = lc;
    this.nameOf = nameOf;
    this.opened = lc.interest('event:opened');
    this.closed = lc.interest('event:closed');
    this.freed = lc.interest('event:freed');
  }

  // Each fire is one test, small enough for V8 to inline into open, close and the free; the payload is built out of line, only when wanted.
  fireOpened(event: PerfEvent, pmu: string): void {
    if (this.lc.wanted(this.opened)) this.emitOpened(event, pmu);
  }

  fireClosed(event: PerfEvent): void {
    if (this.lc.wanted(this.closed)) this.emitClosed(event);
  }

  fireFreed(event: PerfEvent): void {
    if (this.lc.wanted(this.freed)) this.emitFreed(event);
  }

  private emitOpened(event: PerfEvent, pmu: string): void {
    this.lc.fire('event:opened', { id: event.id, pmu, cpu: event.cpu, config: `0x${event.attr.config.toString(16)}` });
  }

  private emitClosed(event: PerfEvent): void {
    this.lc.fire('event:closed', { id: event.id, pmu: this.nameOf(event.pmu) });
  }

  private emitFreed(event: PerfEvent): void {
    this.lc.fire('event:freed', { id: event.id, pmu: this.nameOf(event.pmu) });
  }
}

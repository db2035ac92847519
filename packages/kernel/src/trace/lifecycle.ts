// Lifecycle events of the machine (devices bound and unbound, modules loaded, reports): a typed emitter each layer extends with its own events.
import { EventEmitter } from 'eventemitter3';
import type { TraceFs, Tracepoint } from './tracing.js';

/**
 * Lifecycle events of the emulated machine, name → payload. Each layer adds
 * its own by augmenting this interface (`declare module '@cspmu/kernel'`).
 */
export interface LifecycleEventMap {
  'device:added': { device: string };
  'device:removed': { device: string };
  'device:bound': { device: string; driver: string };
  'device:unbound': { device: string; driver: string };
  'device:deferred': { device: string; driver: string; reason: string };
  'device:probe-failed': { device: string; driver: string; errno: string; message: string };
  'driver:registered': { driver: string };
  'driver:unregistered': { driver: string };
  'module:requested': { module: string };
  'module:loaded': { module: string; version: string };
  'module:load-failed': { module: string; errno: string; message: string };
  'module:unloaded': { module: string };
  'work:failed': { work: string; errno: string; message: string };
  'refcount:misuse': { message: string };
  'kasan:report': { kind: string; object: string; access: string; accessedIn: string; freedIn: string };
}

export type LifecycleEventName = keyof LifecycleEventMap;

type EmitterMap = { [K in keyof LifecycleEventMap]: [LifecycleEventMap[K]] };

/** One observed lifecycle event, as recorded in order. */
export interface LifecycleRecord {
  readonly seq: number;
  readonly timeNs: number;
  readonly name: string;
  readonly payload: unknown;
}

/**
 * Whether anything listens to one lifecycle event, and whether a listener or a recording wants it: kept current by
 * the stream as listeners and recordings come and go, so a hot path asks one field (and the tracepoint's flag)
 * without a lookup by name.
 */
export class LifecycleInterest {
  listened = false;
  wanted = false;
  constructor(readonly name: LifecycleEventName) {}
}

type Name = EventEmitter.EventNames<EmitterMap>;
type Listener<T extends Name> = EventEmitter.EventListener<EmitterMap, T>;

/**
 * The machine's typed lifecycle stream. Every event also goes to the
 * `cspmu:lifecycle` tracepoint, so a trace shows it among MMIO accesses.
 */
export class Lifecycle extends EventEmitter<EmitterMap> {
  private seq = 0;
  private readonly tp: Tracepoint;
  private readonly recorders = new Set<LifecycleRecord[]>();
  private readonly interests: LifecycleInterest[] = [];

  constructor(
    private readonly trace: TraceFs,
    private readonly now: () => number,
  ) {
    super();
    this.tp = trace.define({
      system: 'cspmu',
      name: 'lifecycle',
      fields: [
        { name: 'event', kind: 'str' },
        { name: 'detail', kind: 'str' },
      ],
      format: (r) => `${r.str('event')} ${r.str('detail')}`,
    });
  }

  /** Emit a lifecycle event to listeners and the trace. */
  fire<K extends LifecycleEventName>(name: K, payload: LifecycleEventMap[K]): void {
    const seq = this.seq++;
    for (const r of this.recorders) r.push({ seq, timeNs: this.now(), name, payload });
    if (this.tp.enabled) {
      this.tp.emit(this.trace.strings.intern(name), this.trace.strings.intern(JSON.stringify(payload)));
    }
    (this.emit as (n: string, p: unknown) => boolean)(name, payload);
  }

  /** Is anybody listening, recording or tracing `name`? Lets hot-ish paths skip building a payload. */
  wants(name: LifecycleEventName): boolean {
    return this.recorders.size > 0 || this.tp.enabled || this.listenerCount(name) > 0;
  }

  /** The interest in `name`, for wanted(): made once per name and kept current by every way a listener is added or removed. */
  interest(name: LifecycleEventName): LifecycleInterest {
    let i = this.interests.find((x) => x.name === name);
    if (i === undefined) {
      i = new LifecycleInterest(name);
      i.listened = this.listenerCount(name) > 0;
      i.wanted = i.listened || this.recorders.size > 0;
      this.interests.push(i);
    }
    return i;
  }

  /**
   * wants(name) for a hot path: the name's interest (one field, kept current) or the tracepoint. The tracepoint is
   * asked here rather than folded in through its onChange hook: a closure of the stream kept there held a released
   * machine alive through young collections (release-young.spec).
   */
  wanted(i: LifecycleInterest): boolean {
    return i.wanted || this.tp.enabled;
  }

  override on<T extends Name>(event: T, fn: Listener<T>, context?: unknown): this {
    super.on(event, fn, context);
    return this.listenersChanged();
  }

  override addListener<T extends Name>(event: T, fn: Listener<T>, context?: unknown): this {
    super.addListener(event, fn, context);
    return this.listenersChanged();
  }

  override once<T extends Name>(event: T, fn: Listener<T>, context?: unknown): this {
    super.once(event, fn, context);
    return this.listenersChanged();
  }

  // The emitter removes a once listener through removeListener, so it lands here too.
  override removeListener<T extends Name>(event: T, fn?: Listener<T>, context?: unknown, once?: boolean): this {
    super.removeListener(event, fn, context, once);
    return this.listenersChanged();
  }

  override off<T extends Name>(event: T, fn?: Listener<T>, context?: unknown, once?: boolean): this {
    super.off(event, fn, context, once);
    return this.listenersChanged();
  }

  override removeAllListeners(event?: Name): this {
    super.removeAllListeners(event);
    return this.listenersChanged();
  }

  private listenersChanged(): this {
    for (const i of this.interests) i.listened = this.listenerCount(i.name) > 0;
    return this.interestsChanged();
  }

  /** A listener or a recording came or went: every interest's wanted again. */
  private interestsChanged(): this {
    const all = this.recorders.size > 0;
    for (const i of this.interests) i.wanted = i.listened || all;
    return this;
  }

  get count(): number {
    return this.seq;
  }

  /** Record every event into an array until the returned stop function is called. */
  record(): { records: LifecycleRecord[]; stop: () => void } {
    const records: LifecycleRecord[] = [];
    this.recorders.add(records);
    this.interestsChanged();
    return {
      records,
      stop: () => {
        this.recorders.delete(records);
        this.interestsChanged();
      },
    };
  }
}

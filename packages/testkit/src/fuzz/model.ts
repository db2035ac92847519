// What the fuzzer believes about the machine, and the invariants it checks after every step.

import type { ModuleHandle, Resource } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import type { Machine } from '@cspmu/system';
import { CoverageProbe } from './coverage.js';
import { FuzzFailure } from './report.js';

export interface ModelEvent {
  readonly event: PerfEvent;
  readonly device: string;
  /** pmu->module when it was opened: the module the event holds a reference on. */
  readonly module: ModuleHandle | undefined;
  enabled: boolean;
  enabledNs: number;
  since: number;
  /** The count at the last check: a count never goes backwards. */
  lastValue: number;
}

/**
 * How far a count may drift from its running time on a PMU whose accesses
 * take bus time, per nanosecond of latency. An access made at the same
 * virtual instant as the one before it lands `latency` ns later, so every
 * start and stop of a counter happens a few accesses after the perf core's
 * timestamp; over a run's hundreds of rotations the drift adds up (6,157 ns
 * per ns of latency at most in 1,500 runs). A torn read is off by 2^32.
 */
export const SKEW_PER_LATENCY_NS = 1 << 20;

/** A broken invariant, checked after every step with plain comparisons (an assertion library costs more than the step). */
function fail(message: string): never {
  throw new FuzzFailure('invariant', message);
}

/** How an invariant's failure names an event. */
const eventName = (e: ModelEvent) => `event ${e.event.id} on ${e.device}`;

const NO_EVENTS: readonly PerfEvent[] = [];

/**
 * A value that must be back where it started once the machine is at rest. The failure is
 * classified by its words (a refcount left over is a refcount report), as the checkers' are.
 */
function atRest<T>(actual: T, expected: T, what: () => string): void {
  if (actual !== expected) throw new Error(`${what()}: expected ${String(actual)} to equal ${String(expected)}`);
}

/**
 * What a run may log without failing: a requested module that fails to load,
 * a probe that fails because of it, and the kernel's own WARN when a probe
 * races a backend's rmmod (try_module_get fails on a module going away, which
 * the kernel warns about too). Anything else at warning level fails the run.
 */
const EXPECTED_LOG = /failed to load|probe of .* failed|probe with driver .* failed|^WARNING: arm_cspmu failed to get module: /;

/** What the fuzzer believes: the open events, their enabled time, and operations still in flight. */
export class FuzzModel {
  readonly events: ModelEvent[] = [];
  readonly inflight: Promise<unknown>[] = [];
  readonly unexpected: string[] = [];
  /** The module every event opened holds until its free reaches module_put. */
  private readonly moduleOf = new WeakMap<PerfEvent, ModuleHandle | undefined>();
  /** Closes whose free, and reads that sleep, still running, by device. */
  private readonly closes = new Map<string, number>();
  /** Platform devices removed by a step, with what it takes to add them again. */
  readonly removed = new Map<number, { resources: readonly Resource[]; data: unknown }>();
  readonly coverage: CoverageProbe;
  /** The last log record when the log's check last passed (see check). */
  private logPassedAt: unknown;

  constructor(readonly m: Machine) {
    this.coverage = new CoverageProbe(m);
  }

  now(): number {
    return this.m.clock.now();
  }

  expectedEnabled(e: ModelEvent): number {
    return e.enabledNs + (e.enabled ? this.now() - e.since : 0);
  }

  /** The platform description of the device an event counts on. */
  deviceSpec(e: ModelEvent) {
    const id = Number(e.device.slice(e.device.lastIndexOf('.') + 1));
    return this.m.platform.pmus.find((p) => p.id === id)!;
  }

  /**
   * A close in flight: its free still uses the PMU after destroy. Like the kernel (before PMU
   * unregistration learned to wait for frees), nothing stops an unbind racing it, so the
   * user side of the model does not unbind a device while one of its events is closing.
   */
  closing(device: string, p: Promise<void>): void {
    this.closes.set(device, (this.closes.get(device) ?? 0) + 1);
    this.track(
      'close',
      p.finally(() => this.closes.set(device, this.closes.get(device)! - 1)),
      [],
    );
  }

  /** A read(2) in flight (parked before a hi-lo-hi retry): like a close, its device is in use until it is done. */
  reading(device: string, p: Promise<unknown>): void {
    this.closes.set(device, (this.closes.get(device) ?? 0) + 1);
    this.track(
      'read',
      p.finally(() => this.closes.set(device, this.closes.get(device)! - 1)),
      [],
    );
  }

  opened(e: ModelEvent): void {
    this.events.push(e);
    this.moduleOf.set(e.event, e.module);
  }

  /** Has the device open or closing events (so a user could not unbind it)? */
  busy(device: string): boolean {
    return this.events.some((e) => e.device === device) || (this.closes.get(device) ?? 0) > 0;
  }

  /** Record an operation's failure unless its errno is one the operation may legitimately return. */
  track(what: string, p: Promise<unknown>, allowed: readonly string[]): void {
    this.inflight.push(
      p.catch((e: { code?: string; message?: string }) => {
        if (!e?.code || !allowed.includes(e.code)) this.unexpected.push(`${what}: ${e?.message ?? String(e)}`);
      }),
    );
  }

  /**
   * The invariants that must hold after every step. It runs a dozen times a run, so it
   * allocates only to report a failure: counts are loops (a handful of events, instances
   * and modules), and the log is filtered again only when a record came since it last passed.
   */
  check(): void {
    const m = this.m;
    // The kernel's own checkers first: their reports say what went wrong better than any invariant.
    const lockdep = m.kernel.lockdep.reports;
    if (lockdep.length > 0) throw new FuzzFailure('lockdep', lockdep.map((r) => r.text).join('\n\n'));
    const kasan = m.kernel.kasan.reports;
    if (kasan.length > 0) throw new FuzzFailure('kasan', kasan.map((r) => r.text).join('\n\n'));
    // The log only gains records at its end (and drops them at its start), so with the same last record as when it passed it still passes.
    const log = m.kernel.log.all();
    const lastLogged = log.length > 0 ? log[log.length - 1] : undefined;
    if (lastLogged !== this.logPassedAt) {
      const warnings = m.kernel.log.atLeast('warn');
      const refcount = warnings.filter((r) => r.subsystem === 'refcount');
      if (refcount.length > 0) throw new FuzzFailure('refcount', `refcount_t warnings: ${refcount.map((r) => r.message).join(' | ')}`);
      // Any other WARNING or error the kernel printed fails the run too.
      const logged = warnings.filter((r) => !EXPECTED_LOG.test(r.message));
      if (logged.length > 0)
        throw new FuzzFailure(
          'invariant',
          `the kernel logged ${logged.length} warning(s) or error(s):\n${logged.map((r) => `${r.level}: ${r.message}`).join('\n')}`,
        );
      this.logPassedAt = lastLogged;
    }
    if (this.unexpected.length > 0) fail(`unexpected failures: ${this.unexpected.join(' | ')}`);
    if (m.mmio.violations.length > 0) fail(`accesses through released mappings: ${JSON.stringify(m.mmio.violations)}`);
    const events = this.events;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const r = m.perf.read(e.event);
      const latency = this.deviceSpec(e).accessLatencyNs;
      if (r.value < e.lastValue) throw new FuzzFailure('torn-read', `torn read: ${eventName(e)} went backwards from ${e.lastValue} to ${r.value}`);
      if (latency === 0) {
        // Every counter counts 1/ns: the count is the running time, exactly, across everything.
        if (r.value !== r.timeRunning) fail(`${eventName(e)}: count ${r.value} vs running time ${r.timeRunning}`);
      } else if (Math.abs(r.value - r.timeRunning) > latency * SKEW_PER_LATENCY_NS) {
        throw new FuzzFailure('torn-read', `torn read: ${eventName(e)} jumped to ${r.value} with ${r.timeRunning} ns running (bus latency ${latency} ns)`);
      }
      e.lastValue = r.value;
      const enabled = this.expectedEnabled(e);
      if (r.timeEnabled !== enabled) fail(`${eventName(e)}: enabled time ${r.timeEnabled}, expected ${enabled}`);
      if (r.timeRunning > r.timeEnabled) fail(`${eventName(e)}: running time ${r.timeRunning} above enabled time ${r.timeEnabled}`);
    }
    for (const inst of m.driver.instances.values()) {
      let want = 1;
      for (let i = 0; i < events.length; i++) if (events[i]!.event.pmu === inst) want++;
      if (inst.refs.count !== want) fail(`${inst.name} refcount ${inst.refs.count}, expected ${want}`);
    }
    // Every module reference is accounted for, exactly: open events, frees not yet past module_put, probes in flight.
    const freeing = m.perf.eventsHoldingModule();
    for (const h of m.modules.list()) {
      let held = m.driver.probeRefs.get(h) ?? 0;
      for (let i = 0; i < events.length; i++) if (events[i]!.module === h) held++;
      for (let i = 0; i < freeing.length; i++) if (this.moduleOf.get(freeing[i]!) === h) held++;
      if (h.refs !== held) fail(`${h.name} refs ${h.refs}, but its open events, frees before module_put and probes hold ${held}`);
    }
    if (m.bus.deferwq.failures.length > 0 || m.driver.reprobeWq.failures.length > 0) {
      const failedWork = m.bus.deferwq.failures.concat(m.driver.reprobeWq.failures);
      fail(`failed work: ${failedWork.map((f) => f.error.message).join(' | ')}`);
    }
    this.coverage.sample(this.coverage.reached.rotated || events.length === 0 ? NO_EVENTS : events.map((e) => e.event));
  }

  /** At rest (nothing in flight, every event closed): everything is back to zero. */
  checkAtRest(): void {
    const m = this.m;
    for (const inst of m.driver.instances.values()) atRest(inst.refs.count, 1, () => `${inst.name} refcount at rest`);
    for (const h of m.modules.list()) atRest(h.refs, 0, () => `${h.name} refs at rest`);
    atRest(m.driver.registry.mutex.locked, false, () => 'arm_cspmu_lock held at rest');
    for (const d of m.bus.allDevices()) atRest(d.lock.locked, false, () => `${d.name} lock held at rest`);
    atRest(m.perf.liveEvents().length, 0, () => 'open events at rest');
  }
}
